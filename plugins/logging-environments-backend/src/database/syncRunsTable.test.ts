/**
 * Sync runs (one active per environment, compare-and-set transitions)
 * through DatabaseLoggingEnvironmentsStore, on every supported database.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { DatabaseLoggingEnvironmentsStore } from './DatabaseLoggingEnvironmentsStore';
import {
  ALICE,
  BOB,
  clearTables,
  createStore,
  ENV,
  OTHER_ENV,
  requiredDatabaseIds,
  storeTestDatabases,
} from './__testUtils__/storeTestDatabases';

jest.setTimeout(60_000);

const databases = storeTestDatabases();

it('runs on PostgreSQL as well as SQLite in CI', () => {
  const ids = databases.eachSupportedId().map(([id]) => id);
  expect(ids).toEqual(expect.arrayContaining(requiredDatabaseIds()));
});

describe.each(databases.eachSupportedId())(
  'DatabaseLoggingEnvironmentsStore (%s)',
  databaseId => {
    let knex: Knex;
    let store: DatabaseLoggingEnvironmentsStore;

    beforeAll(async () => {
      ({ knex, store } = await createStore(databases, databaseId));
    });

    afterEach(async () => {
      await clearTables(knex);
    });

    describe('sync runs', () => {
      const request = (environmentRef = ENV) => ({
        environmentRef,
        revision: 'rev-1',
        requestedBy: ALICE,
      });

      it('creates a pending run and round-trips it', async () => {
        const run = await store.createSyncRun({
          ...request(),
          message: 'Requested',
          rollbackTo: 7,
          data: { attempt: 1, app: 'logs-staging-infra', dryRun: false },
        });

        expect(run).toEqual({
          id: expect.any(String),
          environmentRef: ENV,
          state: 'pending',
          revision: 'rev-1',
          requestedBy: ALICE,
          message: 'Requested',
          rollbackTo: 7,
          data: { attempt: 1, app: 'logs-staging-infra', dryRun: false },
          startedAt: run.startedAt,
          updatedAt: run.startedAt,
          stateSince: run.startedAt,
        });
        expect(Number.isNaN(Date.parse(run.startedAt))).toBe(false);
        expect(await store.latestSyncRun(ENV)).toEqual(run);
        expect(await store.latestSyncRun(OTHER_ENV)).toBeUndefined();
      });

      it('leaves optional fields absent', async () => {
        const run = await store.createSyncRun(request());
        const latest = await store.latestSyncRun(ENV);

        expect(latest).toEqual(run);
        expect(latest).not.toHaveProperty('message');
        expect(latest).not.toHaveProperty('rollbackTo');
        expect(latest).not.toHaveProperty('data');
      });

      it('creates one run when two requests race, the other gets a ConflictError', async () => {
        const results = await Promise.allSettled([
          store.createSyncRun(request()),
          store.createSyncRun({ ...request(), requestedBy: BOB }),
        ]);

        const created = results.filter(r => r.status === 'fulfilled');
        const refused = results.filter(
          (r): r is PromiseRejectedResult => r.status === 'rejected',
        );
        expect(created).toHaveLength(1);
        expect(refused).toHaveLength(1);
        expect(refused[0].reason).toBeInstanceOf(ConflictError);
        expect(refused[0].reason.message).toContain(ENV);
        expect(refused[0].reason.message).toContain("'pending'");
        expect(
          await knex('sync_runs').where({ environment_ref: ENV }),
        ).toHaveLength(1);
      });

      it('refuses a second run while one is active, naming its state', async () => {
        const run = await store.createSyncRun(request());
        await store.transitionSyncRun(
          run.id,
          'pending',
          'waiting-infrastructure',
        );

        await expect(store.createSyncRun(request())).rejects.toThrow(
          ConflictError,
        );
        await expect(store.createSyncRun(request())).rejects.toThrow(
          `${ENV} already has a sync run in progress (run ${run.id}, state 'waiting-infrastructure'`,
        );
        // Other environments are not held.
        await expect(store.createSyncRun(request(OTHER_ENV))).resolves.toEqual(
          expect.objectContaining({ environmentRef: OTHER_ENV }),
        );
      });

      it('transitions by compare-and-set', async () => {
        const run = await store.createSyncRun({
          ...request(),
          message: 'Requested',
        });
        await new Promise(resolve => setTimeout(resolve, 5));

        const moved = await store.transitionSyncRun(
          run.id,
          'pending',
          'syncing-infrastructure',
          { message: 'Syncing the infrastructure app', data: { wave: 0 } },
        );

        expect(moved).toEqual({
          ...run,
          state: 'syncing-infrastructure',
          message: 'Syncing the infrastructure app',
          data: { wave: 0 },
          updatedAt: moved!.updatedAt,
          stateSince: moved!.updatedAt,
        });
        expect(moved!.updatedAt > run.updatedAt).toBe(true);
        expect(await store.latestSyncRun(ENV)).toEqual(moved);

        // A stale `from` (another replica got there first) changes nothing.
        expect(
          await store.transitionSyncRun(run.id, 'pending', 'failed'),
        ).toBeUndefined();
        expect(await store.latestSyncRun(ENV)).toEqual(moved);

        // Unknown runs are not found either.
        expect(
          await store.transitionSyncRun(randomUUID(), 'pending', 'failed'),
        ).toBeUndefined();
        expect(
          await store.transitionSyncRun('not-a-uuid', 'pending', 'failed'),
        ).toBeUndefined();
      });

      it('lets exactly one of two racing transitions win', async () => {
        const run = await store.createSyncRun(request());

        const results = await Promise.all([
          store.transitionSyncRun(run.id, 'pending', 'syncing-infrastructure'),
          store.transitionSyncRun(run.id, 'pending', 'blocked'),
        ]);

        const winners = results.filter(r => r !== undefined);
        expect(winners).toHaveLength(1);
        expect((await store.latestSyncRun(ENV))?.state).toBe(winners[0]!.state);
      });

      it('keeps stateSince on a self-transition and keeps unpatched fields', async () => {
        const run = await store.createSyncRun({
          ...request(),
          message: 'Requested',
          rollbackTo: 3,
        });
        const waiting = await store.transitionSyncRun(
          run.id,
          'pending',
          'waiting-infrastructure',
          { data: { wave: 0 } },
        );
        await new Promise(resolve => setTimeout(resolve, 5));

        const progressed = await store.transitionSyncRun(
          run.id,
          'waiting-infrastructure',
          'waiting-infrastructure',
          { data: { wave: 10 } },
        );

        expect(progressed?.stateSince).toBe(waiting?.stateSince);
        expect(progressed!.updatedAt > waiting!.updatedAt).toBe(true);
        expect(progressed?.data).toEqual({ wave: 10 });
        expect(progressed?.message).toBe('Requested');
        expect(progressed?.rollbackTo).toBe(3);

        const rolling = await store.transitionSyncRun(
          run.id,
          'waiting-infrastructure',
          'rolling-back',
          { rollbackTo: 4 },
        );
        expect(rolling?.rollbackTo).toBe(4);
        expect(rolling?.data).toEqual({ wave: 10 });
      });

      it.each(['succeeded', 'failed', 'blocked'] as const)(
        'frees the environment when a run ends %s',
        async finalState => {
          const first = await store.createSyncRun(request());
          await store.transitionSyncRun(
            first.id,
            'pending',
            'syncing-forwarder',
          );
          await store.transitionSyncRun(
            first.id,
            'syncing-forwarder',
            finalState,
          );

          const second = await store.createSyncRun({
            ...request(),
            revision: 'rev-2',
          });

          expect(second.id).not.toBe(first.id);
          expect(await store.latestSyncRun(ENV)).toEqual(second);
          const [row] = await knex('sync_runs').where({ id: first.id });
          expect(row.state).toBe(finalState);
          expect(row.active_key).toBeNull();
        },
      );

      it('refuses to revive a finished run while another one holds the environment', async () => {
        const first = await store.createSyncRun(request());
        await store.transitionSyncRun(first.id, 'pending', 'failed');
        await store.createSyncRun(request());

        await expect(
          store.transitionSyncRun(first.id, 'failed', 'pending'),
        ).rejects.toThrow(ConflictError);
        expect((await knex('sync_runs').where({ id: first.id }))[0].state).toBe(
          'failed',
        );
      });

      it('lists the active runs of every environment, oldest first', async () => {
        const done = await store.createSyncRun(request());
        await store.transitionSyncRun(done.id, 'pending', 'succeeded');
        const staging = await store.createSyncRun(request());
        const production = await store.createSyncRun(request(OTHER_ENV));
        const movedOn = await store.transitionSyncRun(
          production.id,
          'pending',
          'waiting-forwarder',
          { data: { wave: 30 } },
        );

        const active = await store.listActiveSyncRuns();

        expect(active).toEqual([staging, movedOn]);
      });
    });
  },
);
