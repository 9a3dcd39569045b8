/**
 * The backend killed (SIGKILL, no shutdown) in each state of a sync run,
 * each time restarted on the same database, over two runs of a development
 * environment that rolls back on failure: the first run still ends
 * succeeded, every Application synced exactly once at its revision, no
 * wave skipped, the forwarder synced only after the health check passed;
 * the second, at a revision whose forwarder output is invalid, still ends
 * rolled back to the first revision, the forwarder synced once at the bad
 * revision and rolled back once.
 *
 * The kills follow the runs: the test polls the run's state in the
 * database and kills when it sees the state a seeded plan names (each
 * active state at least once across both runs, in the run the seed picks,
 * a few states twice, each after a seeded delay), then checks in the
 * database that the kill hit the run unfinished. The seed is printed;
 * `RELIABILITY_SEED` replays it (CI uses a fixed one). Every Argo CD
 * Application read is slowed down, so that each state lasts longer than
 * the poll and the delay: without that, the states a step passes through
 * within one tick could not be seen.
 */
import { Entity } from '@backstage/catalog-model';
import { SyncRunState } from '@internal/plugin-logging-environments-common';
import { Sandbox, startSandbox } from '@internal/sandbox';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import { parse, stringify } from 'yaml';
import {
  bootstrapEnvironment,
  copyRecords,
  openWorld,
} from '../environments/__testUtils__/bootstrapEnvironment';
import { reliabilitySeed, seededRandom } from './__testUtils__/seed';
import { recordReliability } from './__testUtils__/summary';
import { startKillableProcess } from '../__testUtils__/killableProcess';

jest.setTimeout(480_000);

const FINAL_STATES: ReadonlySet<string> = new Set<SyncRunState>([
  'succeeded',
  'failed',
  'blocked',
]);

/** The runs of the test: one that succeeds, one that is rolled back. */
type RunName = 'succeeding' | 'rolled back';

/** The active states each run passes through, in order. */
const RUN_STATES: Record<RunName, SyncRunState[]> = {
  succeeding: [
    'pending',
    'syncing-infrastructure',
    'waiting-infrastructure',
    'syncing-forwarder',
    'waiting-forwarder',
  ],
  'rolled back': [
    'pending',
    'syncing-infrastructure',
    'waiting-infrastructure',
    'syncing-forwarder',
    'waiting-forwarder',
    'rolling-back',
  ],
};
/** Every active state of a run: each is killed in at least once. */
const KILL_STATES = RUN_STATES['rolled back'];

/** How long every Application read of the plugin takes (the sandbox delays it). */
const READ_LATENCY_MS = 1_000;
/** The longest delay between seeing a state and the kill; well under the latency. */
const MAX_KILL_DELAY_MS = 300;
/** How often the test reads the run's state. */
const POLL_MS = 15;

/** A kill the plan asks for: in `state` of a run, `delayMs` after seeing it. */
interface PlannedKill {
  run: RunName;
  state: SyncRunState;
  delayMs: number;
}

/**
 * Each active state once, in a run the seed picks among those passing
 * through it, and up to two seeded states once more; each with a seeded
 * delay. In each run's order of states.
 */
function killPlan(next: () => number): PlannedKill[] {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const runsThrough = (state: SyncRunState) =>
    (Object.keys(RUN_STATES) as RunName[]).filter(r =>
      RUN_STATES[r].includes(state),
    );
  const states = [...KILL_STATES];
  const extra = Math.floor(next() * 3);
  for (let i = 0; i < extra; i++) states.push(pick(KILL_STATES));
  const kills = states.map(state => ({
    run: pick(runsThrough(state)),
    state,
    delayMs: Math.round(next() * MAX_KILL_DELAY_MS),
  }));
  const order = (k: PlannedKill) =>
    (k.run === 'succeeding' ? 0 : 100) + RUN_STATES[k.run].indexOf(k.state);
  return kills.sort((x, y) => order(x) - order(y));
}

/** The plugin in a child process (see __testUtils__/pluginProcess.ts). */
function startPluginProcess(configFile: string) {
  return startKillableProcess(
    join(__dirname, '__testUtils__/pluginProcess.ts'),
    configFile,
  );
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('a sync across backend crashes in each of its states', () => {
  let sandbox: Sandbox;
  let dir: string;
  let db: Knex;
  const processes: Array<ReturnType<typeof startPluginProcess>> = [];

  afterAll(async () => {
    await Promise.all(processes.map(p => p.kill()));
    await db?.destroy();
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('succeeds, then rolls back, whatever state the backend dies in', async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    const world = await openWorld(sandbox);
    const { entity, revision } = await bootstrapEnvironment(world, {
      name: 'acme-dev',
      tier: 'development',
    });
    dir = mkdtempSync(join(tmpdir(), 'sync-crash-'));
    const configFile = join(dir, 'backend.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        config: {
          ...world.config,
          backend: {
            baseUrl: 'http://localhost:7007',
            database: {
              client: 'better-sqlite3',
              connection: { directory: join(dir, 'db') },
            },
          },
          loggingEnvironments: {
            ...world.config.loggingEnvironments,
            tiers: { development: { rollbackOnFailure: true } },
          },
        },
        entities: [entity] as Entity[],
        tickMs: 200,
      }),
      { mode: 0o600 },
    );
    mkdirSync(join(dir, 'db'));
    db = knexFactory({
      client: 'better-sqlite3',
      connection: join(dir, 'db', 'logging-environments.sqlite'),
      useNullAsDefault: true,
    });
    // The bootstrap's record, in the database the plugin process opens.
    await copyRecords(world, db);
    const latestRun = async () => {
      try {
        return await db('sync_runs').orderBy('started_at', 'desc').first();
      } catch {
        return undefined; // not migrated yet
      }
    };

    const seed = reliabilitySeed();
    const plan = killPlan(seededRandom(seed));
    // Printed first, so that even a run that times out can be replayed.
    // eslint-disable-next-line no-console
    console.log(
      `sync crash: RELIABILITY_SEED=${seed}; kills planned in ${plan
        .map(k => `${k.state} of the ${k.run} run (+${k.delayMs} ms)`)
        .join(', ')}`,
    );
    sandbox.faults.add({
      target: 'kube',
      match: 'get:applications',
      action: { type: 'latency', ms: READ_LATENCY_MS },
    });

    /**
     * Polls the latest run until it is at `at` and `wanted` holds; fails
     * once it is final otherwise.
     */
    const runWhen = async (
      at: string,
      wanted: (state: string) => boolean,
      what: string,
    ) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const current = await latestRun();
        const mine = current?.revision === at ? current : undefined;
        if (mine && wanted(mine.state)) return mine;
        if (mine && FINAL_STATES.has(mine.state)) {
          throw new Error(
            `seed ${seed}: the run ended ${mine.state} (${mine.message}) before it was seen ${what}`,
          );
        }
        if (Date.now() > deadline) {
          throw new Error(
            `seed ${seed}: the run at ${at} was not seen ${what} within 120 s (it is ${
              mine?.state ?? 'not created'
            })`,
          );
        }
        await sleep(POLL_MS);
      }
    };

    const kills: Array<PlannedKill & { hit: string }> = [];
    /**
     * Starts the backend, kills and restarts it at each planned kill of the
     * run at `at`, and leaves the last start to finish the run.
     */
    const runThroughKills = async (name: RunName, at: string) => {
      let backend = startPluginProcess(configFile);
      processes.push(backend);
      await backend.ready;
      for (const planned of plan.filter(k => k.run === name)) {
        await runWhen(
          at,
          state => state === planned.state,
          `in ${planned.state}`,
        );
        await sleep(planned.delayMs);
        await backend.kill();
        // What the kill hit: the run as the dead process left it.
        const run = await latestRun();
        const hit = run?.revision === at ? run.state : 'none';
        kills.push({ ...planned, hit });
        expect({ seed, kill: kills.length, hit }).toEqual({
          seed,
          kill: kills.length,
          hit: expect.not.stringMatching(/^(succeeded|failed|blocked|none)$/),
        });
        backend = startPluginProcess(configFile);
        processes.push(backend);
        await backend.ready;
      }
      const run = await runWhen(
        at,
        state => FINAL_STATES.has(state),
        'in a final state',
      ).catch(e => e as Error);
      await backend.kill();
      if (run instanceof Error) throw run;
      return run;
    };

    // Operations Argo CD recorded as events, on an Application at a revision.
    const events = (name: string, reason: string, at: string) =>
      sandbox.store
        .list('v1', 'Event', { namespace: 'openshift-gitops' })
        .filter(
          (e: any) =>
            e.involvedObject?.name === name &&
            e.reason === reason &&
            String(e.message).includes(at),
        ).length;
    // A development infrastructure also syncs on its own (Argo CD's
    // automated sync): those come on top of the run's.
    const automated = (name: string, at: string) =>
      sandbox.store
        .list('v1', 'Event', { namespace: 'openshift-gitops' })
        .filter(
          (e: any) =>
            e.involvedObject?.name === name &&
            e.reason === 'OperationStarted' &&
            String(e.message).startsWith(`Initiated automated sync to '${at}'`),
        ).length;
    const INFRA = 'acme-dev-logging-infrastructure';
    const FORWARDER = 'acme-dev-logging-forwarder';
    const app = (name: string): any =>
      sandbox.store.get({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        namespace: 'openshift-gitops',
        name,
      });

    // The first run: succeeds.
    const run = await runThroughKills('succeeding', revision);
    expect({ seed, state: run.state, message: run.message }).toEqual({
      seed,
      state: 'succeeded',
      message: run.message,
    });
    // One sync operation per Application at the revision, whatever the
    // crashes.
    expect({
      forwarder: events(FORWARDER, 'OperationCompleted', revision),
      infrastructure: events(INFRA, 'OperationCompleted', revision),
    }).toEqual({
      forwarder: 1,
      infrastructure: 1 + automated(INFRA, revision),
    });
    // No wave skipped, and the forwarder only after the health check.
    const infra = app(INFRA);
    const forwarder = app(FORWARDER);
    const kinds = infra.status.operationState.syncResult.resources.map(
      (r: any) => r.kind,
    );
    expect(kinds).toEqual(
      expect.arrayContaining(['ExternalSecret', 'LokiStack', 'Job']),
    );
    expect(
      infra.status.operationState.syncResult.resources.find(
        (r: any) => r.kind === 'Job',
      ).hookPhase,
    ).toBe('Succeeded');
    expect(
      Date.parse(forwarder.status.operationState.startedAt),
    ).toBeGreaterThanOrEqual(
      Date.parse(infra.status.operationState.finishedAt),
    );

    // The second run: a revision whose forwarder output trusts a CA
    // ConfigMap that does not exist; the tier rolls back on failure.
    const path = join(
      world.clone,
      'environments/acme-dev/forwarder/kustomization.yaml',
    );
    const kustomization = parse(readFileSync(path, 'utf8'));
    kustomization.patches = [
      ...(kustomization.patches ?? []),
      {
        target: { kind: 'ClusterLogForwarder', name: 'collector' },
        patch: stringify([
          {
            op: 'replace',
            path: '/spec/outputs/0/tls/ca/configMapName',
            value: 'logging-collector-ca-missing',
          },
        ]),
      },
    ];
    writeFileSync(path, stringify(kustomization));
    const broken = await world.push(
      "acme-dev: the forwarder's output trusts a CA that does not exist",
    );
    const rolledBack = await runThroughKills('rolled back', broken);
    expect({
      seed,
      state: rolledBack.state,
      message: rolledBack.message,
    }).toEqual({
      seed,
      state: 'failed',
      message: expect.stringMatching(
        new RegExp(
          `^rolled back to ${revision.slice(
            0,
            7,
          )} after: The sync of ${FORWARDER} at ${broken.slice(0, 7)}`,
        ),
      ),
    });
    // The forwarder synced once at the bad revision and rolled back once
    // (a sync at the first revision); its output is the good one again.
    expect({
      forwarderAtBroken: events(FORWARDER, 'OperationCompleted', broken),
      forwarderAtFirst: events(FORWARDER, 'OperationCompleted', revision),
      infrastructureAtBroken: events(INFRA, 'OperationCompleted', broken),
    }).toEqual({
      forwarderAtBroken: 1,
      forwarderAtFirst: 2,
      infrastructureAtBroken: 1 + automated(INFRA, broken),
    });
    const clf: any = sandbox.store.get({
      apiVersion: 'observability.openshift.io/v1',
      kind: 'ClusterLogForwarder',
      namespace: 'openshift-logging',
      name: 'collector',
    });
    expect(clf.spec.outputs[0].tls.ca.configMapName).toBe(
      'openshift-service-ca.crt',
    );

    // Every active state of a run was hit at least once.
    const hits = kills.map(k => k.hit);
    expect({ seed, hits: [...new Set(hits)].sort() }).toEqual({
      seed,
      hits: [...KILL_STATES].sort(),
    });
    // Only kills that hit a run unfinished, which then ended as it should.
    recordReliability(
      'restarts survived',
      hits.filter(h => KILL_STATES.includes(h as SyncRunState)).length,
      'backend killed mid-sync',
    );
    // eslint-disable-next-line no-console
    console.log(
      `sync crash (RELIABILITY_SEED=${seed}): killed ${
        kills.length
      } times, hitting the runs in ${kills
        .map(k => `${k.hit} (${k.run})`)
        .join(', ')}; the first run ${run.state}, the second ${
        rolledBack.state
      } (rolled back)`,
    );
  });
});
