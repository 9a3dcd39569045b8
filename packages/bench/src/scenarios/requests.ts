/**
 * Scenario 1: upstream Kubernetes / Argo CD requests per environment page
 * view, watch cache against a per-request fetch.
 */
import {
  ArgoRevisionSource,
  CachedRevisionSource,
  FetchWaveStatusService,
  registryClusterClients,
  WatchWaveStatusService,
} from '@internal/plugin-logging-environments-backend/testUtils';
import { ScenarioResult } from '../report';
import {
  ApplicationUids,
  FixtureEnvironment,
  environmentEntity,
  fixtureRecord,
  serviceEnvironment,
} from '../fixtures';
import { Fleet } from '../fleet';
import { startPortal } from '../portal';
import { closedLoop, since, summarize } from '../stats';
import {
  fleetRegistry,
  quietLogger,
  round1,
  round2,
  seededRandom,
} from '../util';

/** Parameters of {@link requestsScenario}. */
export interface RequestsOptions {
  /** The fleet, seeded with `environments` (one cluster each). */
  fleet: Fleet;
  environments: FixtureEnvironment[];
  /** The uids of their Applications, which their records bind. */
  uids: Map<string, ApplicationUids>;
  resources: number;
  viewers: number;
  durationMs: number;
  /** Mean think time of a viewer between two page views. */
  thinkMs: number;
  /** How often the plugin's sync task runs meanwhile (the scheduler's 5 s). */
  tickMs: number;
}

function perView(calls: number, views: number) {
  return views ? round2(calls / views) : NaN;
}

function describe(byOperation: Record<string, number>): string {
  const entries = Object.entries(byOperation).sort((a, b) => b[1] - a[1]);
  return entries.length
    ? entries.map(([op, n]) => `${op} ${n}`).join(', ')
    : 'none';
}

/** Runs scenario 1. */
export async function requestsScenario(
  o: RequestsOptions,
): Promise<ScenarioResult> {
  const { fleet, environments, uids } = o;
  const warmUpMs = 60_000 + 200 * fleet.clusters.length;
  const logs: string[] = [];
  const logger = quietLogger(logs);
  const pick = seededRandom(1);
  const random = seededRandom(2);
  const envAt = () => environments[Math.floor(pick() * environments.length)];
  // The services' view of each environment (its record), made before the
  // timed views.
  const serviceEnvs = new Map(
    environments.map(e => [e.name, serviceEnvironment(e, uids.get(e.name))]),
  );
  const serviceEnvAt = () => serviceEnvs.get(envAt().name)!;
  const load = (view: () => Promise<unknown>) =>
    closedLoop({
      workers: o.viewers,
      durationMs: o.durationMs,
      thinkMs: o.thinkMs,
      random,
      view,
    });

  // 1. The real plugin: page views through its router, the sync task on
  // its schedule; every request the backend makes is counted.
  fleet.resetCalls();
  const starting = performance.now();
  const portal = await startPortal({
    clusters: fleet.clusterConfig(),
    records: environments.map(e => fixtureRecord(e, uids.get(e.name))),
    entities: environments.map(environmentEntity),
  });
  let pageLatencies: number[];
  let pageCalls;
  let startup;
  let warmUp: number;
  let ticks = 0;
  try {
    // Steady state: the backend listed and watches every cluster (with
    // many clusters that takes longer than its start-up waits).
    await fleet.awaitWatches(warmUpMs);
    warmUp = since(starting);
    startup = fleet.calls();
    fleet.resetCalls();
    const ticker = setInterval(() => {
      ticks++;
      portal.tick().catch(e => logs.push(`tick: ${e}`));
    }, o.tickMs);
    try {
      pageLatencies = await load(() =>
        portal.get(`/environments/default/${envAt().name}`),
      );
    } finally {
      clearInterval(ticker);
    }
    pageCalls = fleet.calls();
  } finally {
    await portal.stop();
  }

  const clusters = fleetRegistry(fleet);

  // 2. The same services without the router: what a page view reads of the
  // clusters (wave status + the revision the gate is bound to).
  const waves = new WatchWaveStatusService({ clusters, logger });
  fleet.resetCalls();
  await waves.start();
  let cachedLatencies: number[];
  let cachedCalls;
  try {
    await fleet.awaitWatches(warmUpMs);
    const revisions = new CachedRevisionSource({
      waves,
      fallback: new ArgoRevisionSource({
        clusters: registryClusterClients(clusters),
      }),
    });
    fleet.resetCalls();
    cachedLatencies = await load(async () => {
      const env = serviceEnvAt();
      waves.applications(env);
      await revisions.current(env);
    });
    cachedCalls = fleet.calls();
  } finally {
    await waves.stop();
  }

  // 3. The naive design: the same reads, fetched from the cluster on every
  // view (one GET per Application, two for the revision and its binding),
  // as the existing
  // Argo CD plugins do.
  const fetcher = new FetchWaveStatusService({ clusters });
  const argo = new ArgoRevisionSource({
    clusters: registryClusterClients(clusters),
  });
  fleet.resetCalls();
  const naiveLatencies = await load(async () => {
    const env = serviceEnvAt();
    await Promise.all([fetcher.applications(env), argo.current(env)]);
  });
  const naiveCalls = fleet.calls();

  const pageViews = pageLatencies.length;
  const cachedViews = cachedLatencies.length;
  const naiveViews = naiveLatencies.length;
  const oursPerView = perView(pageCalls.total, pageViews);
  const cachedPerView = perView(cachedCalls.total, cachedViews);
  const naivePerView = perView(naiveCalls.total, naiveViews);
  const naiveGets = naiveCalls.byOperation['get:applications'] ?? 0;
  // Per view: one GET per Application for the wave status, and both again
  // for the revision and the binding approvals are made for.
  const naiveGetsPerView = naiveViews ? naiveGets / naiveViews : NaN;
  const pageLatency = summarize(pageLatencies);
  const cachedLatency = summarize(cachedLatencies);
  const naiveLatency = summarize(naiveLatencies);
  const warnings = logs.filter(l => !l.startsWith('info'));

  return {
    id: 'requests',
    title: '1. Upstream requests per page view',
    method:
      `${environments.length} environments (2 Applications of ${o.resources} resources each), each on a sandbox cluster of its own (${fleet.clusters.length} clusters: a trusted record binds one environment to one cluster; the sandbox's Kubernetes API server and store per cluster), each with its record in the plugin's database and its matching catalog entity. ` +
      `${
        o.viewers
      } simulated viewers each load a random environment's page, think for 0 to ${
        (2 * o.thinkMs) / 1000
      } s, and load the next, for ${
        o.durationMs / 1000
      } s. Requests are counted at the clusters' API servers (the sandbox's call log, which its control API serves as GET /calls). ` +
      'Ours is measured in steady state, once the backend has listed and watches every cluster, twice: through the real plugin (startTestBackend, GET /environments/:namespace/:name with the real permission backend, the sync task running every ' +
      `${
        o.tickMs / 1000
      } s), and at the services (WatchWaveStatusService + CachedRevisionSource). ` +
      'The naive design reads the same at the services on every view: FetchWaveStatusService (one GET per Application) and ArgoRevisionSource (one GET per Application: the revision and the binding of both).',
    parameters: {
      environments: environments.length,
      clusters: fleet.clusters.length,
      'resources per Application': o.resources,
      viewers: o.viewers,
      'duration s': o.durationMs / 1000,
      'mean think time s': o.thinkMs / 1000,
    },
    comparisons: [
      {
        what: 'upstream requests per page view',
        unit: 'requests',
        ours: oursPerView,
        naive: naivePerView,
        note: 'ours through the real router',
      },
      {
        what: 'upstream requests per page view at the services',
        unit: 'requests',
        ours: cachedPerView,
        naive: naivePerView,
      },
      {
        what: 'upstream requests in the window',
        unit: 'requests',
        ours: pageCalls.total,
        naive: naiveCalls.total,
      },
      {
        what: 'cluster-reading part of a view, p50',
        unit: 'ms',
        ours: cachedLatency.p50,
        naive: naiveLatency.p50,
        factor:
          cachedLatency.p50 > 0
            ? naiveLatency.p50 / cachedLatency.p50
            : undefined,
      },
    ],
    latencies: {
      'page view through the plugin (ours)': pageLatency,
      'cluster reads at the services (ours, cache)': cachedLatency,
      'cluster reads at the services (naive, fetch)': naiveLatency,
    },
    figures: {
      'page views through the plugin': pageViews,
      'page views per second through the plugin': round2(
        pageViews / (o.durationMs / 1000),
      ),
      'requests during the page views (ours, plugin)': describe(
        pageCalls.byOperation,
      ),
      'sync task runs during the page views': ticks,
      'requests at plugin start-up (list + watch per kind and cluster)':
        describe(startup.byOperation),
      'plugin start to every cluster watched s': round1(warmUp / 1000),
      'views at the services (ours)': cachedViews,
      'views at the services (naive)': naiveViews,
      'requests during the views (naive)': describe(naiveCalls.byOperation),
      'naive GETs per view (one per Application, both again for the revision and binding)':
        round2(naiveGetsPerView),
      'warnings logged': warnings.length,
    },
    targets: [
      {
        target: '0 upstream requests per page view in steady state',
        measured: `${oursPerView} per view over ${pageViews} views (${pageCalls.total} requests)`,
        met: pageCalls.total === 0,
        ...(pageCalls.total === 0
          ? {}
          : {
              note: `the backend made ${describe(
                pageCalls.byOperation,
              )} during the window`,
            }),
      },
      {
        target:
          'the naive per-request fetch makes at least one request per view per Application',
        measured: `${round2(
          naiveGetsPerView,
        )} GETs per view for 2 Applications (one each, one more for the revision)`,
        met: naiveGetsPerView >= 2,
      },
    ],
    notes: [
      "The plugin's only requests to the clusters are its watches: per cluster one list and one watch each of Applications, LokiStacks and ClusterLogForwarders, at start-up; page views and the sync task read the cache.",
      'The clusters run without the simulated operators: the Applications carry the status Argo CD writes for a synced, healthy environment and nothing changes them during this scenario.',
      "The clusters' API servers run in the benchmark's process: the naive latency includes their work (every naive view makes 3 HTTPS requests, the revision's on a new client), so at 100 viewers it measures a saturated process. The request counts are the robust figure.",
      ...(warnings.length
        ? [`Logged: ${warnings.slice(0, 5).join(' | ')}`]
        : []),
    ],
  };
}
