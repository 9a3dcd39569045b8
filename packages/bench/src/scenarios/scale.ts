/**
 * Scenario 5: the backend's memory with many environments cached, and the
 * environment list API's latency as environments grow.
 */
import { FetchWaveStatusService } from '@internal/plugin-logging-environments-backend/testUtils';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import {
  ApplicationUids,
  FixtureEnvironment,
  environmentEntity,
  fixtureEnvironments,
  fixtureRecord,
  serviceEnvironment,
} from '../fixtures';
import { Fleet, startFleet } from '../fleet';
import type { MemorySample, ProbeRequest } from '../memoryProbe';
import { startPortal } from '../portal';
import { ScenarioResult } from '../report';
import { Summary, since, summarize } from '../stats';
import { fleetRegistry, round1, round2 } from '../util';

/** Parameters of {@link scaleScenario}. */
export interface ScaleOptions {
  sizes: number[];
  /**
   * At most this many clusters (one per environment) are served and
   * watched; the environments beyond have their record and entity only.
   */
  watchedMax: number;
  resources: number;
  /** List requests per size (one after another). */
  requests: number;
  /** Environments per page (the API's default is 100). */
  pageSize: number;
}

interface MemoryResult {
  baseline: MemorySample;
  cached: MemorySample;
}

/** How long a backend may take to list and watch every cluster. */
const warmUpMs = (clusters: number) => 60_000 + 200 * clusters;

/**
 * Runs the backend in a child process (so the fleet's own memory is not
 * counted) and measures it once it watches every cluster, and again after
 * the environments' Applications exist.
 */
async function measureBackendMemory(
  fleet: Fleet,
  seed: () => void,
  environments: number,
): Promise<MemoryResult> {
  // The benchmark runs from source.
  // eslint-disable-next-line no-restricted-syntax
  const child = fork(join(__dirname, '..', 'memoryProbe.ts'), [], {
    execArgv: [
      '--expose-gc',
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
    ],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', d => {
    stderr = `${stderr}${d}`.slice(-4000);
  });
  const messages: any[] = [];
  const waiters: Array<() => void> = [];
  child.on('message', m => {
    messages.push(m);
    waiters.splice(0).forEach(w => w());
  });
  const exited = new Promise<number | null>(resolve =>
    child.on('exit', code => {
      resolve(code);
      waiters.splice(0).forEach(w => w());
    }),
  );
  let exitCode: number | null | undefined;
  exited.then(code => {
    exitCode = code;
  });
  const receive = async (type: string) => {
    for (;;) {
      const error = messages.find(m => m?.type === 'error');
      if (error) throw new Error(`memory probe: ${error.error}`);
      const found = messages.find(m => m?.type === type);
      if (found) return found;
      if (exitCode !== undefined) {
        throw new Error(`memory probe exited (${exitCode}): ${stderr}`);
      }
      await new Promise<void>(resolve => waiters.push(resolve));
    }
  };
  try {
    const request: ProbeRequest = {
      clusters: fleet.clusterConfig(),
      environments,
    };
    fleet.resetCalls();
    child.send({ type: 'start', ...request });
    await receive('started');
    await fleet.awaitWatches(warmUpMs(fleet.clusters.length));
    child.send({ type: 'warm' });
    const baseline = (await receive('baseline')).sample as MemorySample;
    seed();
    child.send({ type: 'seeded' });
    const cached = await receive('cached');
    return { baseline, cached: cached.sample };
  } finally {
    if (exitCode === undefined) child.kill();
    await exited;
  }
}

const MiB = 1024 * 1024;

/** The list API's latency through the real plugin, or why it failed. */
interface ListResult {
  summary?: Summary;
  error?: string;
  /** For a 413 from the permission backend: the request's size and the limit. */
  payload?: { length: number; limit: number };
}

async function measureList(
  fleet: Fleet,
  envs: FixtureEnvironment[],
  uids: Map<string, ApplicationUids>,
  o: ScaleOptions,
  permissions: 'backend' | 'allow-all',
): Promise<ListResult> {
  fleet.resetCalls();
  const portal = await startPortal({
    clusters: fleet.clusterConfig(),
    records: envs.map(e => fixtureRecord(e, uids.get(e.name))),
    entities: envs.map(environmentEntity),
    permissions,
  });
  const path = `/environments?limit=${o.pageSize}`;
  const expected = Math.min(envs.length, o.pageSize);
  const list: number[] = [];
  try {
    await fleet.awaitWatches(warmUpMs(fleet.clusters.length));
    for (let i = 0; i < 3; i++) await portal.get(path);
    for (let i = 0; i < o.requests; i++) {
      const start = performance.now();
      const body = await portal.get(path);
      list.push(since(start));
      if (body.items.length !== expected) {
        throw new Error(
          `the list gave ${body.items.length} items, not ${expected}`,
        );
      }
    }
    return { summary: summarize(list) };
  } catch (e) {
    const message = String((e as Error)?.message ?? e);
    const length = message.match(/"length":(\d+)/)?.[1];
    const limit = message.match(/"limit":(\d+)/)?.[1];
    return {
      error: message.slice(0, 300),
      ...(length && limit
        ? { payload: { length: Number(length), limit: Number(limit) } }
        : {}),
    };
  } finally {
    await portal.stop();
  }
}

const cell = (r: ListResult) =>
  r.summary
    ? `${round1(r.summary.p50)} / ${round1(r.summary.p95)}`
    : `fails (${r.error?.match(/^GET [^:]+: (\d+)/)?.[1] ?? 'error'})`;

/** Runs scenario 5. */
export async function scaleScenario(o: ScaleOptions): Promise<ScenarioResult> {
  const rows: string[][] = [];
  const latencies: Record<string, Summary> = {};
  const perSize: Array<{
    size: number;
    watched: number;
    withBackend: ListResult;
    allowAll: ListResult;
    naive: Summary;
    naiveRequests: number;
    memory: MemoryResult;
  }> = [];
  // The measured page (the first environments) must be on watched clusters.
  if (o.sizes.some(size => Math.min(size, o.pageSize) > o.watchedMax)) {
    throw new Error(
      `a page of ${o.pageSize} needs at least ${o.pageSize} watched clusters`,
    );
  }

  for (const size of o.sizes) {
    const envs = fixtureEnvironments(size);
    const watched = envs.slice(0, Math.min(size, o.watchedMax));
    const fleet = await startFleet(watched.map(e => e.cluster));
    try {
      let uids = new Map<string, ApplicationUids>();
      const memory = await measureBackendMemory(
        fleet,
        () => {
          uids = fleet.seed(watched, { resources: o.resources });
        },
        size,
      );

      // The list API through the real plugin, in this process: with the
      // real permission backend, and with permissions that allow all (the
      // list's own cost, whatever the permission backend does).
      const withBackend = await measureList(fleet, envs, uids, o, 'backend');
      const allowAll = await measureList(fleet, envs, uids, o, 'allow-all');

      // Naive: the page's wave status fetched per request (2 GETs per
      // environment on the page), without the rest of the list's work.
      const fetcher = new FetchWaveStatusService({
        clusters: fleetRegistry(fleet),
      });
      const page = envs
        .slice(0, o.pageSize)
        .map(e => serviceEnvironment(e, uids.get(e.name)));
      const naive: number[] = [];
      await Promise.all(page.map(e => fetcher.applications(e)));
      fleet.resetCalls();
      const naiveRuns = Math.max(1, Math.ceil(o.requests / 4));
      for (let i = 0; i < naiveRuns; i++) {
        const start = performance.now();
        await Promise.all(page.map(e => fetcher.applications(e)));
        naive.push(since(start));
      }
      const naiveRequests = fleet.calls().total / naiveRuns;
      const naiveSummary = summarize(naive);

      if (withBackend.summary) {
        latencies[`list API, ${size} environments (ours, permission backend)`] =
          withBackend.summary;
      }
      if (allowAll.summary) {
        latencies[
          `list API, ${size} environments (ours, allow-all permissions)`
        ] = allowAll.summary;
      }
      latencies[`page's wave status fetched, ${size} environments (naive)`] =
        naiveSummary;
      perSize.push({
        size,
        watched: watched.length,
        withBackend,
        allowAll,
        naive: naiveSummary,
        naiveRequests,
        memory,
      });
      const delta = memory.cached.rss - memory.baseline.rss;
      const heapDelta = memory.cached.heapUsed - memory.baseline.heapUsed;
      rows.push([
        String(size),
        String(watched.length),
        round1(memory.baseline.rss / MiB).toString(),
        round1(memory.cached.rss / MiB).toString(),
        round1(delta / MiB).toString(),
        watched.length >= 100
          ? round2(delta / 1024 / watched.length).toString()
          : '—',
        watched.length >= 100
          ? round2(heapDelta / 1024 / watched.length).toString()
          : '—',
        cell(withBackend),
        cell(allowAll),
      ]);
    } finally {
      await fleet.stop();
    }
  }

  const largest = perSize[perSize.length - 1];
  const hundred =
    perSize.find(p => p.size === 100) ??
    perSize[Math.min(1, perSize.length - 1)];
  const smallest = perSize[0];
  const kbPerEnv =
    (largest.memory.cached.rss - largest.memory.baseline.rss) /
    1024 /
    largest.watched;
  const heapKbPerEnv =
    (largest.memory.cached.heapUsed - largest.memory.baseline.heapUsed) /
    1024 /
    largest.watched;
  // What watching one more cluster costs before any Application exists:
  // the baselines of the largest and the smallest size.
  const moreClusters = largest.watched - smallest.watched;
  const kbPerCluster =
    moreClusters > 0
      ? (largest.memory.baseline.rss - smallest.memory.baseline.rss) /
        1024 /
        moreClusters
      : NaN;
  const heapKbPerCluster =
    moreClusters > 0
      ? (largest.memory.baseline.heapUsed - smallest.memory.baseline.heapUsed) /
        1024 /
        moreClusters
      : NaN;
  const capped = perSize.filter(p => p.watched < p.size);
  const failing = perSize.filter(p => p.withBackend.error);
  const backendEverywhere = failing.length === 0;
  // Flatness on the real permission backend where it answers at every
  // size, else on allow-all permissions (the list's own cost).
  const basis = backendEverywhere ? 'withBackend' : 'allowAll';
  const big = largest[basis].summary;
  const small = hundred[basis].summary;
  const growth = big && small ? big.p50 / small.p50 : NaN;
  const growth95 = big && small ? big.p95 / small.p95 : NaN;
  const flat = growth95 <= 2;
  const firstFailure = failing[0];
  const bytesPerEnv = firstFailure?.withBackend.payload
    ? firstFailure.withBackend.payload.length / firstFailure.size
    : undefined;
  const maxEnvs =
    bytesPerEnv && firstFailure?.withBackend.payload
      ? Math.floor(firstFailure.withBackend.payload.limit / bytesPerEnv)
      : undefined;

  return {
    id: 'scale',
    title: '5. Scale',
    method:
      `For each size, every environment has its trusted record (written through the plugin's DatabaseEnvironmentRecordsStore into its database before it starts) and its matching catalog entity, and a cluster of its own (a record binds one environment to one cluster); a sandbox cluster per environment holds its two Applications (${o.resources} resources each), for at most ${o.watchedMax} environments: beyond that the environments have their record and entity only, and their clusters are neither served nor configured (at 5,000 clusters the backend would hold 15,000 watch connections, as many as the API servers in this process, over this machine's limit of open files). ` +
      'Memory: the portal backend (the real plugin in a test backend, with the real permission backend, the records and a catalog holding the entities) runs in a child process of its own; its RSS and heap are read after garbage collection, once it has listed and is watching every served cluster (still without Applications) and again when the Applications exist and the watch cache holds them all; the difference is the cache, per environment with Applications. ' +
      `Latency: GET /environments (a page of ${o.pageSize}${
        o.pageSize === 100 ? ', the default' : ''
      }; the first page, whose environments are all on watched clusters) through the real router, once the backend watches every served cluster, ${
        o.requests
      } requests one after another after 3 warm-up requests, once with the real permission backend (over HTTP, as in production) and once with the test backend's allow-all permissions (the list's own cost). ` +
      "Naive: the page's wave status fetched per request (FetchWaveStatusService, all environments of the page at once), the cluster part alone of a naive list.",
    parameters: {
      sizes: o.sizes.join(', '),
      'clusters (one per environment) watched at most': o.watchedMax,
      'resources per Application': o.resources,
      'requests per size': o.requests,
      'page size': o.pageSize,
    },
    comparisons: perSize
      .filter(p => p.allowAll.summary)
      .map(p => ({
        what: `list page p50 at ${p.size} environments`,
        unit: 'ms',
        ours: p.allowAll.summary!.p50,
        naive: p.naive.p50,
        factor: p.naive.p50 / p.allowAll.summary!.p50,
        note: `ours with allow-all permissions; naive: ${round1(
          p.naiveRequests,
        )} GETs per page, cluster reads only`,
      })),
    latencies,
    tables: [
      {
        title: 'Backend memory and list latency by size',
        header: [
          'Environments (records)',
          'Clusters watched',
          'Backend RSS, watching, no Applications (MiB)',
          'Backend RSS, cache full (MiB)',
          'RSS growth (MiB)',
          'KB RSS per environment',
          'KB heap per environment',
          'List p50 / p95 ms, permission backend',
          'List p50 / p95 ms, allow-all permissions',
        ],
        rows,
      },
    ],
    figures: {
      [`backend RSS with ${largest.size} records, ${largest.watched} environments cached MiB`]:
        round1(largest.memory.cached.rss / MiB),
      'KB of RSS per environment (largest size)': round2(kbPerEnv),
      'KB of heap per environment (largest size)': round2(heapKbPerEnv),
      'KB of RSS per watched cluster, before its Applications':
        round2(kbPerCluster),
      'KB of heap per watched cluster, before its Applications':
        round2(heapKbPerCluster),
      [`list p50 at ${largest.size} / at ${hundred.size} environments (${
        backendEverywhere ? 'permission backend' : 'allow-all permissions'
      })`]: round2(growth),
      [`list p95 at ${largest.size} / at ${hundred.size} environments (${
        backendEverywhere ? 'permission backend' : 'allow-all permissions'
      })`]: round2(growth95),
      ...(bytesPerEnv
        ? {
            'authorize request bytes per environment': Math.round(bytesPerEnv),
            'environments the list can authorize in one request (100 kB limit)':
              maxEnvs!,
          }
        : {}),
    },
    targets: [
      {
        target:
          'the list API answers at every size with the real permission backend',
        measured: backendEverywhere
          ? `answers at ${o.sizes.join(', ')}`
          : `fails at ${failing.map(p => p.size).join(', ')}: ${
              firstFailure.withBackend.error?.slice(0, 120) ?? ''
            }`,
        met: backendEverywhere,
        ...(backendEverywhere
          ? {}
          : {
              note: `the router authorizes every environment of the catalog in one POST /authorize${
                bytesPerEnv
                  ? ` (${Math.round(bytesPerEnv)} bytes per environment, ${
                      firstFailure.withBackend.payload!.length
                    } bytes at ${firstFailure.size})`
                  : ''
              }, over the permission backend's ${
                firstFailure.withBackend.payload
                  ? `${Math.round(
                      firstFailure.withBackend.payload.limit / 1024,
                    )} kB`
                  : ''
              } body limit${
                maxEnvs
                  ? `: the list fails above about ${maxEnvs} environments`
                  : ''
              }. What would meet it: authorize the read permission once (authorizeConditional) and apply a conditional decision to the environments in the plugin, as the catalog does, instead of one resource check per environment`,
            }),
      },
      {
        target: `list API near flat per page (p95 at ${largest.size} environments within 2 × of ${hundred.size})`,
        measured:
          big && small
            ? `${
                backendEverywhere
                  ? 'permission backend'
                  : 'allow-all permissions'
              }: p50 ${round1(small.p50)} → ${round1(big.p50)} ms, p95 ${round1(
                small.p95,
              )} → ${round1(big.p95)} ms (${round2(growth95)} ×)`
            : 'not measured',
        met: flat,
        ...(flat
          ? {}
          : {
              note: `p95 grows ${round2(growth95)} × from ${hundred.size} to ${
                largest.size
              }. A request pages the records in SQL and reads only the page's entities, but two parts of it still grow with the number of environments: the count of all matching records (totalItems, a COUNT(*) per request) and, in this set-up, the test backend's in-memory catalog, which builds a map of every entity for each getEntitiesByRefs call (the real catalog backend reads entities by ref from its database)`,
            }),
      },
      {
        target:
          'memory linear in environments with a small constant (KB per environment reported)',
        measured: `${round2(kbPerEnv)} KB RSS (${round2(
          heapKbPerEnv,
        )} KB heap) per environment with ${
          largest.watched
        } cached; watching a cluster costs ${round2(
          kbPerCluster,
        )} KB RSS (${round2(heapKbPerCluster)} KB heap) before any Application`,
        met: Number.isFinite(kbPerEnv),
      },
    ],
    notes: [
      'An environment in the cache is its two Applications as the API server sends them (with status.resources and the last operation), held once by the informer and referenced by the cache.',
      "The list asks the permission backend once (a conditional decision); when reading is allowed outright it pages the trusted records in SQL (ordered by entity ref, limit and offset, with a count of all), reads the page's entities from the catalog by ref with the caller's credentials (an entity the caller cannot see, or one that does not match its record, is left out), and builds the page's items from the watch cache and the database.",
      'With one environment per cluster, the backend watches three kinds (Applications, LokiStacks, ClusterLogForwarders) on a cluster per environment: at start-up it lists and watches each, and holds three watch connections per environment; the baseline column shows what that costs before any Application exists.',
      `The cost of a watched cluster is the difference of the baselines at ${largest.size} and at ${smallest.size} environments, divided by the difference in clusters; it also holds the larger size's extra records and entities, so it is an upper bound.`,
      ...(capped.length
        ? [
            `At ${capped
              .map(p => `${p.size} (${p.watched} watched)`)
              .join(
                ', ',
              )} not every environment's cluster is served: the list's page and its items are complete (the page's environments are all watched), but the backend holds fewer watches than a real one with as many environments would.`,
          ]
        : []),
      'What an environment costs in memory could shrink: the informer keeps whole Applications (status.resources, the last operation with every resource result, history) where the portal reads a few fields of each; a transform that keeps only those would cut it several times.',
    ],
  };
}
