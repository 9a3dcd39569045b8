import type { CacheStatus } from './InformerCache';

/**
 * One cluster's watch caches: `ready` (every kind listed and watched or
 * polled), `starting` (a kind's first list has not answered yet),
 * `unreachable` (a kind's last attempt failed; its last known objects are
 * served while it retries).
 */
export type ClusterWatchState = 'ready' | 'starting' | 'unreachable';

/**
 * Whether the plugin can serve: `starting` until every configured
 * cluster's watch caches had their first list (or their first attempt
 * failed), then `ok`, or `degraded` with the clusters that cannot be
 * reached. A cluster that is down does not hold the plugin back: it would
 * take every replica out of its Service for one cluster's outage.
 */
export interface WatchReadiness {
  status: 'ok' | 'degraded' | 'starting';
  clusters: Array<{ name: string; state: ClusterWatchState }>;
  /** The names of the clusters whose state is `unreachable`. */
  unreachable: string[];
}

/** What answers {@link WatchReadiness}: the watch cache's service. */
export interface ReadinessSource {
  readiness(): WatchReadiness;
}

/**
 * The readiness of the configured clusters from their caches' states (a
 * cluster the cache does not know yet is starting).
 */
export function watchReadiness(
  clusters: readonly string[],
  status: readonly CacheStatus[],
): WatchReadiness {
  const states = clusters.map(name => {
    const kinds = status.filter(s => s.cluster === name);
    let state: ClusterWatchState = 'ready';
    if (kinds.length === 0 || kinds.some(k => k.state === 'starting')) {
      state = 'starting';
    } else if (kinds.some(k => k.state === 'stale')) {
      state = 'unreachable';
    }
    return { name, state };
  });
  const unreachable = states
    .filter(c => c.state === 'unreachable')
    .map(c => c.name);
  let overall: WatchReadiness['status'] = unreachable.length
    ? 'degraded'
    : 'ok';
  if (states.some(c => c.state === 'starting')) overall = 'starting';
  return { status: overall, clusters: states, unreachable };
}
