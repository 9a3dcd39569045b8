/**
 * How fast the simulated operators move. `fast` is for tests; `demo` is slow
 * enough for a person to watch the waves in the portal.
 */
export interface SandboxProfile {
  name: 'fast' | 'demo';
  /** OLM: Subscription to CSV `Succeeded`. */
  csvInstallMs: number;
  /** External Secrets: store validation and ExternalSecret refresh. */
  esoReconcileMs: number;
  /** Loki operator: LokiStack creation to Ready (when its storage is good). */
  lokiReadyMs: number;
  /** Cluster logging: ClusterLogForwarder to Ready. */
  forwarderReadyMs: number;
  /** Argo CD: reconcile period (refresh, automated sync, operation steps). */
  argoReconcileMs: number;
  /** Health-check Job: how often it polls and its default deadline. */
  jobPollMs: number;
  jobDefaultDeadlineMs: number;
}

/** The built-in profiles. */
export const PROFILES: Record<SandboxProfile['name'], SandboxProfile> = {
  fast: {
    name: 'fast',
    csvInstallMs: 50,
    esoReconcileMs: 50,
    lokiReadyMs: 150,
    forwarderReadyMs: 100,
    argoReconcileMs: 50,
    jobPollMs: 50,
    jobDefaultDeadlineMs: 5_000,
  },
  demo: {
    name: 'demo',
    csvInstallMs: 3_000,
    esoReconcileMs: 1_000,
    lokiReadyMs: 8_000,
    forwarderReadyMs: 3_000,
    argoReconcileMs: 1_000,
    jobPollMs: 1_000,
    jobDefaultDeadlineMs: 120_000,
  },
};
