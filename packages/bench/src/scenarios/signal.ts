/**
 * Scenario 4: time from an Application status change in the sandbox to the
 * signal reaching a subscriber, against a browser polling a per-request
 * fetch.
 */
import { FetchWaveStatusService } from '@internal/plugin-logging-environments-backend/testUtils';
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
import { sleep, summarize, waitFor } from '../stats';
import { fleetRegistry, round1, seededRandom } from '../util';

/** Parameters of {@link signalScenario}. */
export interface SignalOptions {
  fleet: Fleet;
  /** The environments seeded in the fleet; the changes go to the first `changes`. */
  environments: FixtureEnvironment[];
  /** The uids of their Applications, which their records bind. */
  uids: Map<string, ApplicationUids>;
  resources: number;
  changes: number;
  /** Longest random pause between two changes. */
  maxGapMs: number;
  /** The naive page's poll interval. */
  pollMs: number;
}

/** Runs scenario 4. */
export async function signalScenario(
  o: SignalOptions,
): Promise<ScenarioResult> {
  const { fleet } = o;
  const random = seededRandom(4);
  const changed = o.environments.slice(0, o.changes);
  fleet.resetCalls();
  const portal = await startPortal({
    clusters: fleet.clusterConfig(),
    records: o.environments.map(e => fixtureRecord(e, o.uids.get(e.name))),
    entities: o.environments.map(environmentEntity),
  });
  try {
    // Changes are written (and pages polled) once the backend watches every
    // cluster.
    await fleet.awaitWatches(60_000 + 200 * fleet.clusters.length);
  } catch (e) {
    await portal.stop();
    throw e;
  }
  const fetcher = new FetchWaveStatusService({
    clusters: fleetRegistry(fleet),
  });

  const changedAt = new Map<string, number>();
  const naiveSeen = new Map<string, number>();
  const oursLatencies: number[] = [];
  let polls = 0;
  let stopPolling = false;

  // The naive page: each environment's page polls the per-request fetch
  // every pollMs, from its own random moment, and notices the change when
  // the LokiStack's Application turns Degraded.
  const pollers = changed.map(async env => {
    await sleep(random() * o.pollMs);
    while (!stopPolling) {
      const apps = await fetcher.applications(
        serviceEnvironment(env, o.uids.get(env.name)),
      );
      polls++;
      const at = changedAt.get(env.name);
      if (
        at !== undefined &&
        !naiveSeen.has(env.name) &&
        apps[0].health === 'Degraded'
      ) {
        naiveSeen.set(env.name, performance.now() - at);
      }
      await sleep(o.pollMs);
    }
  });

  try {
    for (const env of changed) {
      const ref = `resource:default/${env.name}`;
      const start = performance.now();
      changedAt.set(env.name, start);
      fleet.setHealth(env, 'infrastructure', 'Degraded', {
        resources: o.resources,
      });
      const signal = await waitFor(
        `the signal of ${env.name}`,
        () =>
          portal.signals.find(
            s =>
              s.environmentRef === ref && s.change === 'waves' && s.at >= start,
          ),
        10_000,
        2,
      );
      oursLatencies.push(signal.at - start);
      await sleep(random() * o.maxGapMs);
    }
    await waitFor(
      'the polling pages to see every change',
      () => (naiveSeen.size === changed.length ? true : undefined),
      o.pollMs * 2 + 10_000,
      10,
    );
  } finally {
    stopPolling = true;
    await Promise.all(pollers);
    await portal.stop();
  }

  const ours = summarize(oursLatencies);
  const naive = summarize([...naiveSeen.values()]);
  return {
    id: 'signal',
    title: '4. Change to browser',
    method:
      `The real plugin (startTestBackend) watches ${o.environments.length} environments, each on a sandbox cluster of its own (one environment per cluster, as the trusted records require), each with its record and matching catalog entity; changes start once it watches every cluster. ` +
      `${o.changes} times, one environment's infrastructure Application gets a new status in the sandbox (LokiStack Degraded, written to the store as Argo CD writes it), then a random pause of up to ${o.maxGapMs} ms. ` +
      "Measured: from the write to the signal arriving at a subscriber of the backend's event bus on the signals topic, which is where the signals backend picks it up for the browsers' websockets (the websocket write itself is not included). " +
      `Naive: each changed environment's page polls the per-request fetch (FetchWaveStatusService) every ${
        o.pollMs / 1000
      } s from a random moment, and notices the change when the answer shows it.`,
    parameters: {
      environments: o.environments.length,
      changes: o.changes,
      'naive poll interval s': o.pollMs / 1000,
    },
    comparisons: [
      {
        what: 'change to browser, median',
        unit: 'ms',
        ours: ours.p50,
        naive: naive.p50,
        factor: ours.p50 > 0 ? naive.p50 / ours.p50 : undefined,
      },
      {
        what: 'change to browser, p95',
        unit: 'ms',
        ours: ours.p95,
        naive: naive.p95,
        factor: ours.p95 > 0 ? naive.p95 / ours.p95 : undefined,
      },
    ],
    latencies: {
      'change to signal (ours)': ours,
      [`change to poll (naive, ${o.pollMs / 1000} s)`]: naive,
    },
    figures: {
      'naive polls made': polls,
      'naive upstream requests (2 GETs per poll)': polls * 2,
    },
    targets: [
      {
        target: 'median under 1 s',
        measured: `median ${round1(ours.p50)} ms, p95 ${round1(ours.p95)} ms`,
        met: ours.p50 < 1000,
        ...(ours.p50 < 1000
          ? {}
          : { note: `${round1(ours.p50 - 1000)} ms over` }),
      },
    ],
    notes: [
      'Most of our latency is on purpose: WatchWaveStatusService reports an environment once per 250 ms window (coalesceMs), because Argo CD writes an Application several times a second while it syncs.',
      'A poll of a per-request fetch averages half its interval; its cost grows with every open page (2 GETs per page per interval).',
    ],
  };
}
