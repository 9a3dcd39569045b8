/**
 * The Argo CD health of LokiStacks and ClusterLogForwarders, computed from
 * their conditions exactly as the Lua health checks Argo CD runs
 * (`manifests/argocd/health/<group>/<kind>/health.lua`), so the portal and
 * Argo CD never disagree. A test runs both checks' `health_test.yaml`
 * fixtures through these functions.
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

type WithConditions = { status?: { conditions?: Condition[] } } | undefined;

// Lua's `a or b` falls back only on nil (an empty string is kept), as `??`.

/**
 * `loki.grafana.com/LokiStack/health.lua`: Failed or Degraded is Degraded,
 * Ready is Healthy, Pending is Progressing, no status is Progressing.
 *
 * @public
 */
export function lokiStackHealth(obj: WithConditions): ArgoHealth {
  const condition = (kind: string) =>
    obj?.status?.conditions?.find(c => c.type === kind && c.status === 'True');
  const failed = condition('Failed') ?? condition('Degraded');
  if (failed) {
    return {
      status: 'Degraded',
      message: `${failed.reason ?? failed.type}: ${failed.message ?? ''}`,
    };
  }
  const ready = condition('Ready');
  if (ready) {
    return {
      status: 'Healthy',
      message: ready.message ?? 'All components ready',
    };
  }
  const pending = condition('Pending');
  if (pending) {
    return {
      status: 'Progressing',
      message:
        pending.message ?? 'Some LokiStack components pending on dependencies',
    };
  }
  return {
    status: 'Progressing',
    message: 'Waiting for the Loki Operator to report status',
  };
}

const VALID_PREFIX = 'observability.openshift.io/Valid';
const AUTHORIZED = 'observability.openshift.io/Authorized';

/**
 * `observability.openshift.io/ClusterLogForwarder/health.lua` (Cluster
 * Logging 6 conditions): a False Authorized or Valid* condition is
 * Degraded, Ready=True is Healthy, Ready=False is Degraded, otherwise
 * Progressing.
 *
 * @public
 */
export function clusterLogForwarderHealth(obj: WithConditions): ArgoHealth {
  const conditions = obj?.status?.conditions;
  if (!conditions) {
    return {
      status: 'Progressing',
      message: 'Waiting for the Cluster Logging Operator to report status',
    };
  }
  let ready: Condition | undefined;
  for (const c of conditions) {
    const type = c.type ?? '';
    const checked = type === AUTHORIZED || type.startsWith(VALID_PREFIX);
    if (checked && c.status === 'False') {
      return {
        status: 'Degraded',
        message: `${c.reason ?? c.type}: ${c.message ?? ''}`,
      };
    }
    if (type === 'Ready') ready = c;
  }
  if (ready?.status === 'True') {
    return { status: 'Healthy', message: ready.message ?? '' };
  }
  if (ready?.status === 'False') {
    return {
      status: 'Degraded',
      message: `${ready.reason ?? 'NotReady'}: ${ready.message ?? ''}`,
    };
  }
  return {
    status: 'Progressing',
    message: 'Waiting for the collector to become ready',
  };
}
