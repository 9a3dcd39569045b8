import {
  ArgoHealth,
  clusterLogForwarderHealth,
  lokiStackHealth,
} from './argoHealth';

type LiveObject = {
  metadata?: { generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{ type?: string; observedGeneration?: number }>;
  };
};

/**
 * Why the status of an object was written for an older spec than it has
 * now, or undefined when nothing says so: a `status.observedGeneration`, or
 * an `observedGeneration` of one of `status.conditions`
 * (`metav1.Condition`), below `metadata.generation`.
 *
 * @remarks
 * Neither operator of the stack sets either field today: the Loki Operator
 * (grafana/loki `operator/internal/status`, `mergeConditions` and
 * `Refresh` at operator/v0.11.0 and at main) and the Cluster Logging
 * Operator (`internal/api/observability/conditions.go` `NewCondition` /
 * `SetCondition`, release-6.2 and main) write conditions without it, though
 * both CRDs have the field. Nothing is assumed where it is absent; an
 * operator that starts writing it is read right away.
 *
 * @public
 */
export function staleGeneration(object: unknown): string | undefined {
  const o = object as LiveObject | undefined;
  const generation = o?.metadata?.generation;
  if (typeof generation !== 'number') return undefined;
  const observed = [
    o?.status?.observedGeneration,
    ...(Array.isArray(o?.status?.conditions)
      ? o!.status!.conditions!.map(c => c?.observedGeneration)
      : []),
  ].filter((g): g is number => typeof g === 'number');
  if (observed.length === 0) return undefined;
  const oldest = Math.min(...observed);
  return oldest < generation
    ? `its status was written for generation ${oldest}, its spec is at generation ${generation}`
    : undefined;
}

const CHECKS: Record<string, (o: any) => ArgoHealth> = {
  'loki.grafana.com/LokiStack': lokiStackHealth,
  'observability.openshift.io/ClusterLogForwarder': clusterLogForwarderHealth,
};

/**
 * Whether the portal evaluates the health of a kind from its live object
 * (the kinds it ships Argo CD health checks for).
 *
 * @public
 */
export function hasLiveHealth(group: string, kind: string): boolean {
  return `${group}/${kind}` in CHECKS;
}

/**
 * The Argo CD health of a live LokiStack or ClusterLogForwarder, as the
 * shipped Lua checks compute it ({@link lokiStackHealth},
 * {@link clusterLogForwarderHealth}); Progressing while its status is known
 * to be for an older generation ({@link staleGeneration}); undefined for any
 * other kind.
 *
 * @public
 */
export function liveHealth(
  group: string,
  kind: string,
  object: unknown,
): ArgoHealth | undefined {
  const check = CHECKS[`${group}/${kind}`];
  if (!check) return undefined;
  const stale = staleGeneration(object);
  if (stale) {
    return {
      status: 'Progressing',
      message: `Waiting for the operator to report on the current spec: ${stale}`,
    };
  }
  return check(object);
}
