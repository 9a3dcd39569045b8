/**
 * The backend killed (SIGKILL, no shutdown) at random points of a sync,
 * again and again, each time restarted on the same database: the run still
 * ends succeeded, every Application is synced exactly once at the revision,
 * no wave is skipped, and the forwarder's sync starts only after the health
 * check passed.
 */
import { Entity } from '@backstage/catalog-model';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import {
  bootstrapEnvironment,
  copyRecords,
  openWorld,
} from '../environments/__testUtils__/bootstrapEnvironment';
import { recordReliability } from './__testUtils__/summary';
import { startKillableProcess } from '../__testUtils__/killableProcess';

jest.setTimeout(300_000);

/** A small seeded generator, so a failing sequence of kills can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The plugin in a child process (see __testUtils__/pluginProcess.ts). */
function startPluginProcess(configFile: string) {
  return startKillableProcess(
    join(__dirname, '__testUtils__/pluginProcess.ts'),
    configFile,
  );
}

describe('a sync across backend crashes at random points', () => {
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

  it('succeeds, syncing each Application once and the forwarder last', async () => {
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

    const seed = Number(process.env.SYNC_CRASH_SEED ?? Date.now() % 100000);
    const next = random(seed);
    let kills = 0;
    const states: string[] = [];
    for (let i = 0; i < 8; i++) {
      const backend = startPluginProcess(configFile);
      processes.push(backend);
      await backend.ready;
      await new Promise(r => setTimeout(r, 150 + next() * 900));
      await backend.kill();
      kills += 1;
      const run = await latestRun();
      states.push(run?.state ?? 'none');
      if (run && ['succeeded', 'failed', 'blocked'].includes(run.state)) break;
    }
    // The last start is left to finish.
    const last = startPluginProcess(configFile);
    processes.push(last);
    await last.ready;
    const deadline = Date.now() + 120_000;
    let run = await latestRun();
    while (!run || !['succeeded', 'failed', 'blocked'].includes(run.state)) {
      if (Date.now() > deadline) {
        throw new Error(`seed ${seed}: the run never finished (${run?.state})`);
      }
      await new Promise(r => setTimeout(r, 250));
      run = await latestRun();
    }
    await last.kill();

    expect({ seed, states, state: run.state, message: run.message }).toEqual({
      seed,
      states,
      state: 'succeeded',
      message: run.message,
    });
    expect(run.revision).toBe(revision);

    // One sync operation per Application at the revision, whatever the
    // crashes (the infrastructure's own automated sync at registration
    // aside). Argo CD records each finished one as an event.
    const completed = (name: string) =>
      sandbox.store
        .list('v1', 'Event', { namespace: 'openshift-gitops' })
        .filter(
          (e: any) =>
            e.involvedObject?.name === name &&
            e.reason === 'OperationCompleted' &&
            String(e.message).includes(revision),
        );
    expect(completed('acme-dev-logging-forwarder')).toHaveLength(1);
    expect(
      completed('acme-dev-logging-infrastructure').length,
    ).toBeLessThanOrEqual(2);

    // No wave skipped, and the forwarder only after the health check.
    const app = (name: string): any =>
      sandbox.store.get({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        namespace: 'openshift-gitops',
        name,
      });
    const infra = app('acme-dev-logging-infrastructure');
    const forwarder = app('acme-dev-logging-forwarder');
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
    recordReliability('restarts survived', kills, 'backend killed mid-sync');
    // eslint-disable-next-line no-console
    console.log(
      `sync crash (seed ${seed}): killed ${kills} times in states ${states.join(
        ', ',
      )}; the run ${run.state}`,
    );
  });
});
