/**
 * Scenario 2: many concurrent requests for one environment while the
 * cache is cold.
 */
import {
  ArgoRevisionSource,
  CachedRevisionSource,
  FetchWaveStatusService,
  registryClusterClients,
  WatchWaveStatusService,
} from '@internal/plugin-logging-environments-backend/testUtils';
import { ScenarioResult } from '../report';
import { FixtureEnvironment, serviceEnvironment } from '../fixtures';
import { CallCount, Fleet } from '../fleet';
import { since, summarize } from '../stats';
import { fleetRegistry, quietLogger, round1 } from '../util';

/** Parameters of {@link coalescingScenario}. */
export interface CoalescingOptions {
  fleet: Fleet;
  environment: FixtureEnvironment;
  concurrent: number;
  /** How long the cache's first list of Applications takes (injected latency). */
  coldMs: number;
}

/** The requests made by the reads, apart from the cache's own list + watch. */
function readRequests(calls: CallCount): number {
  return Object.entries(calls.byOperation)
    .filter(([op]) => !op.startsWith('list:') && !op.startsWith('watch:'))
    .reduce((n, [, c]) => n + c, 0);
}

/** Runs scenario 2. */
export async function coalescingScenario(
  o: CoalescingOptions,
): Promise<ScenarioResult> {
  const { fleet } = o;
  // The environment's own cluster: what its reads depend on (the caches of
  // the other environments' clusters are not asked for them).
  const clusters = fleetRegistry(fleet, [o.environment.cluster]);
  const env = serviceEnvironment(o.environment);
  const logger = quietLogger();

  /**
   * `n` concurrent page reads (wave status + revision) against a freshly
   * started watch cache whose first list is still on its way.
   */
  async function ours(n: number) {
    fleet.addFault({
      target: 'kube',
      match: 'list:applications',
      action: { type: 'latency', ms: o.coldMs },
    });
    const waves = new WatchWaveStatusService({ clusters, logger });
    const revisions = new CachedRevisionSource({
      waves,
      fallback: new ArgoRevisionSource({
        clusters: registryClusterClients(clusters),
      }),
    });
    fleet.resetCalls();
    const starting = waves.start();
    const latencies: number[] = [];
    let complete = 0;
    let revisionsRead = 0;
    try {
      await Promise.all(
        Array.from({ length: n }, async () => {
          const start = performance.now();
          const apps = waves.applications(env);
          const { revision } = await revisions.current(env);
          latencies.push(since(start));
          if (apps.every(a => a.health !== 'Unknown')) {
            complete++;
          }
          if (revision) revisionsRead++;
        }),
      );
      const calls = fleet.calls();
      await starting;
      return { calls, latencies, complete, revisionsRead };
    } finally {
      await waves.stop();
      fleet.clearFaults();
    }
  }

  async function naive(n: number) {
    const fetcher = new FetchWaveStatusService({ clusters });
    const argo = new ArgoRevisionSource({
      clusters: registryClusterClients(clusters),
    });
    fleet.resetCalls();
    const latencies: number[] = [];
    await Promise.all(
      Array.from({ length: n }, async () => {
        const start = performance.now();
        await Promise.all([fetcher.applications(env), argo.current(env)]);
        latencies.push(since(start));
      }),
    );
    return { calls: fleet.calls(), latencies };
  }

  const oursOne = await ours(1);
  const oursMany = await ours(o.concurrent);
  const naiveOne = await naive(1);
  const naiveMany = await naive(o.concurrent);
  const oursOneN = readRequests(oursOne.calls);
  const oursManyN = readRequests(oursMany.calls);
  const naiveOneN = readRequests(naiveOne.calls);
  const naiveManyN = readRequests(naiveMany.calls);
  const many = summarize(oursMany.latencies);
  const naiveLat = summarize(naiveMany.latencies);

  return {
    id: 'coalescing',
    title: '2. Coalescing with a cold cache',
    method:
      `A fresh WatchWaveStatusService over the environment's cluster (its own: one environment per cluster) is started while its first list of Applications is held back ${o.coldMs} ms (injected latency on list:applications), and ${o.concurrent} concurrent reads of one environment's page data (wave status + CachedRevisionSource) are made at once; then the same with a single read. ` +
      'Requests are counted at the sandbox API servers; the cache’s own list and watch requests are counted apart (they do not depend on the number of readers). ' +
      'The naive design (FetchWaveStatusService + ArgoRevisionSource per request) is measured the same way. Measured at the services: the real router waits for the cache at start-up, so it never serves a cold cache.',
    parameters: {
      'concurrent requests': o.concurrent,
      'first list held back ms': o.coldMs,
    },
    comparisons: [
      {
        what: `upstream requests for ${o.concurrent} concurrent reads`,
        unit: 'requests',
        ours: oursManyN,
        naive: naiveManyN,
        factor: oursManyN > 0 ? naiveManyN / oursManyN : undefined,
      },
      {
        what: 'upstream requests for one read',
        unit: 'requests',
        ours: oursOneN,
        naive: naiveOneN,
        factor: oursOneN > 0 ? naiveOneN / oursOneN : undefined,
      },
    ],
    latencies: {
      [`${o.concurrent} concurrent reads, cold cache (ours)`]: many,
      [`${o.concurrent} concurrent reads (naive)`]: naiveLat,
    },
    figures: {
      'ours, read requests by operation': JSON.stringify(
        Object.fromEntries(
          Object.entries(oursMany.calls.byOperation).filter(
            ([op]) => !op.startsWith('list:') && !op.startsWith('watch:'),
          ),
        ),
      ),
      'ours, reads answered with complete wave status while cold': `${oursMany.complete} of ${o.concurrent}`,
      'ours, reads that got the revision': `${oursMany.revisionsRead} of ${o.concurrent}`,
      'cache start-up requests (list + watch)':
        oursMany.calls.total - oursManyN,
      'ours, p50 of a cold read ms': round1(many.p50),
    },
    targets: [
      {
        target: `${o.concurrent} concurrent cold requests make no more upstream requests than one`,
        measured: `${oursManyN} for ${o.concurrent} against ${oursOneN} for one (naive: ${naiveManyN} against ${naiveOneN})`,
        met: oursManyN <= oursOneN,
        ...(oursManyN <= oursOneN
          ? {}
          : {
              note: `${oursManyN - oursOneN} more than for one`,
            }),
      },
    ],
    notes: [
      'While the cache is cold, the page shows the wave status as not yet known (the cache answers at once, without asking the cluster) and the revision comes from one GET that every concurrent reader shares (SingleFlight in CachedRevisionSource).',
    ],
  };
}
