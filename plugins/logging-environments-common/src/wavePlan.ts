/**
 * The two Argo CD Applications of an environment.
 *
 * @public
 */
export type ApplicationRole = 'infrastructure' | 'forwarder';

/**
 * One step of the phase-3 rollout.
 *
 * @public
 */
export interface WaveStep {
  /** Stable identifier of the step. */
  id: 'external-secret' | 'loki-stack' | 'health-check' | 'log-forwarder';
  /** What the step deploys, as shown to people. */
  title: string;
  /**
   * The `argocd.argoproj.io/sync-wave` value. An integer: Argo CD parses
   * the annotation with Atoi, so a fraction such as the ADR's "1.5" would
   * silently become 0 and run first.
   */
  wave: number;
  /** The wave number the ADR used for this step, for readers of the ADR. */
  adrWave: string;
  /** Kind of the resource the step applies. */
  kind: string;
  /** API group of that kind (empty for the core group). */
  group: string;
  /** The Application that carries the step. */
  application: ApplicationRole;
  /** Whether the step is an Argo CD Sync hook rather than a plain resource. */
  hook: boolean;
}

/**
 * The phase-3 rollout as data: the order the resources are applied in, and
 * which Application applies them.
 *
 * @remarks
 * The ADR numbers the waves 1 (ExternalSecret), 2 (LokiStack), 1.5 (health
 * check) and 3 (ClusterLogForwarder), but describes the health check as
 * running after the LokiStack. The integers here keep the order the ADR
 * describes, with gaps of ten to leave room for later steps.
 *
 * @public
 */
export const WAVE_PLAN: readonly WaveStep[] = [
  {
    id: 'external-secret',
    title: 'ExternalSecret',
    wave: 0,
    adrWave: '1',
    kind: 'ExternalSecret',
    group: 'external-secrets.io',
    application: 'infrastructure',
    hook: false,
  },
  {
    id: 'loki-stack',
    title: 'LokiStack',
    wave: 10,
    adrWave: '2',
    kind: 'LokiStack',
    group: 'loki.grafana.com',
    application: 'infrastructure',
    hook: false,
  },
  {
    id: 'health-check',
    title: 'Health check',
    wave: 20,
    adrWave: '1.5',
    kind: 'Job',
    group: 'batch',
    application: 'infrastructure',
    hook: true,
  },
  {
    id: 'log-forwarder',
    title: 'ClusterLogForwarder',
    wave: 30,
    adrWave: '3',
    kind: 'ClusterLogForwarder',
    group: 'observability.openshift.io',
    application: 'forwarder',
    hook: false,
  },
];

/**
 * The steps an Application carries, in wave order.
 *
 * @public
 */
export function wavesOf(application: ApplicationRole): WaveStep[] {
  return WAVE_PLAN.filter(s => s.application === application).sort(
    (a, b) => a.wave - b.wave,
  );
}

/**
 * The names of an environment's two Argo CD Applications.
 *
 * @public
 */
export function applicationNames(
  environment: string,
): Record<ApplicationRole, string> {
  return {
    infrastructure: `${environment}-logging-infrastructure`,
    forwarder: `${environment}-logging-forwarder`,
  };
}
