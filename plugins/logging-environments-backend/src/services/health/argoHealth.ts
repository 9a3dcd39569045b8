/**
 * The Argo CD health of LokiStacks and ClusterLogForwarders, computed from
 * their status exactly as the Lua health checks Argo CD runs
 * (`manifests/argocd/health/<group>/<kind>/health.lua`), so the portal and
 * Argo CD never disagree. A test runs both checks' `health_test.yaml`
 * fixtures (taken from the operators' own tests and code, see
 * `manifests/argocd/health/SOURCES.md`) through these functions.
 */

/**
 * An Argo CD health status and its message.
 *
 * @public
 */
export interface ArgoHealth {
  status: 'Healthy' | 'Progressing' | 'Degraded' | 'Missing' | 'Unknown';
  message: string;
}

type Condition = {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
};

type LokiStackObject = { status?: { conditions?: Condition[] } } | undefined;

type Named = { name?: unknown };
type RefField = 'inputRefs' | 'outputRefs' | 'filterRefs';
type ForwarderObject =
  | {
      spec?: {
        inputs?: Named[];
        outputs?: Named[];
        filters?: Named[];
        pipelines?: Array<Named & Partial<Record<RefField, unknown[]>>>;
      };
      status?: {
        conditions?: Condition[];
        inputConditions?: Condition[];
        outputConditions?: Condition[];
        filterConditions?: Condition[];
        pipelineConditions?: Condition[];
      };
    }
  | undefined;

// The Lua checks test `x ~= nil and x ~= ""`; YAML's null is nil there.
const given = (text: string | undefined): text is string =>
  text !== undefined && text !== null && text !== '';

// What a list is to Lua's `ipairs(list or {})`.
const items = <T>(list: T[] | undefined): T[] =>
  Array.isArray(list) ? list : [];

/**
 * `loki.grafana.com/LokiStack/health.lua`: a True Failed or Degraded is
 * Degraded, a True Ready is Healthy, a True Pending is Progressing; Warning
 * conditions change nothing; without a True main condition, Progressing.
 *
 * @public
 */
export function lokiStackHealth(obj: LokiStackObject): ArgoHealth {
  const active = (kind: string) =>
    items(obj?.status?.conditions).find(
      c => c.type === kind && c.status === 'True',
    );
  const failed = active('Failed') ?? active('Degraded');
  if (failed) {
    const text = given(failed.reason) ? failed.reason : failed.type;
    return {
      status: 'Degraded',
      message: given(failed.message) ? `${text}: ${failed.message}` : `${text}`,
    };
  }
  const ready = active('Ready');
  if (ready) {
    return {
      status: 'Healthy',
      message: given(ready.message) ? ready.message : 'All components ready',
    };
  }
  const pending = active('Pending');
  if (pending) {
    return {
      status: 'Progressing',
      message: given(pending.message)
        ? pending.message
        : 'One or more LokiStack components pending on dependencies',
    };
  }
  return {
    status: 'Progressing',
    message: 'Waiting for the Loki Operator to report status',
  };
}

const GROUP = 'observability.openshift.io/';

const KINDS = [
  {
    label: 'input',
    list: 'inputConditions',
    prefix: 'ValidInput-',
    refs: 'inputRefs',
    spec: 'inputs',
  },
  {
    label: 'output',
    list: 'outputConditions',
    prefix: 'ValidOutput-',
    refs: 'outputRefs',
    spec: 'outputs',
  },
  {
    label: 'filter',
    list: 'filterConditions',
    prefix: 'ValidFilter-',
    refs: 'filterRefs',
    spec: 'filters',
  },
  {
    label: 'pipeline',
    list: 'pipelineConditions',
    prefix: 'ValidPipeline-',
    refs: undefined,
    spec: 'pipelines',
  },
] as const;

function describe(c: Condition): string {
  const text = given(c.reason) ? c.reason : c.type ?? '';
  return given(c.message) ? `${text}: ${c.message}` : text;
}

/**
 * `observability.openshift.io/ClusterLogForwarder/health.lua` (Cluster
 * Logging 6): a False `Authorized` condition or a False condition in
 * `status.inputConditions`, `outputConditions`, `filterConditions` or
 * `pipelineConditions` is Degraded, naming each failing item; otherwise a
 * False `Valid` or `Ready` is Degraded; `Ready=True` is Healthy; anything
 * else is Progressing.
 *
 * @public
 */
export function clusterLogForwarderHealth(obj: ForwarderObject): ArgoHealth {
  const status = obj?.status;
  if (status === undefined || status === null) {
    return {
      status: 'Progressing',
      message: 'Waiting for the Cluster Logging Operator to report status',
    };
  }
  const spec = obj?.spec ?? {};
  const find = (kind: string) =>
    items(status.conditions).find(c => c.type === kind);

  const problems: string[] = [];
  const authorized = find(`${GROUP}Authorized`);
  if (authorized?.status === 'False') problems.push(describe(authorized));
  for (const kind of KINDS) {
    // The item's name as the spec has it (the Lua script cannot cut it out
    // of the condition type without the string library).
    const names = [
      ...items<Named>(spec[kind.spec]).map(i => i.name),
      ...(kind.refs
        ? items(spec.pipelines).flatMap(p => items(p[kind.refs]))
        : []),
    ].filter((n): n is string => typeof n === 'string');
    for (const c of items(status[kind.list])) {
      if (c.status !== 'False') continue;
      const name = names.find(n => c.type === `${GROUP}${kind.prefix}${n}`);
      const item =
        name !== undefined ? `${kind.label} ${name}` : c.type ?? kind.label;
      problems.push(`${item}: ${describe(c)}`);
    }
  }
  const valid = find(`${GROUP}Valid`);
  if (problems.length === 0 && valid?.status === 'False') {
    problems.push(describe(valid));
  }
  const ready = find('Ready');
  if (problems.length === 0 && ready?.status === 'False') {
    problems.push(describe(ready));
  }
  if (problems.length > 0) {
    return { status: 'Degraded', message: problems.join('; ') };
  }

  if (ready?.status === 'True') {
    return { status: 'Healthy', message: ready.message ?? '' };
  }
  let message = 'Waiting for the collector to become ready';
  if (ready) message = describe(ready);
  else if (status.conditions === undefined || status.conditions === null) {
    message = 'Waiting for the Cluster Logging Operator to report status';
  }
  return { status: 'Progressing', message };
}
