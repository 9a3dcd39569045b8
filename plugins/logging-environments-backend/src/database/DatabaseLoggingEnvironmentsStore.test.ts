import { randomUUID } from 'node:crypto';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConflictError, InputError } from '@backstage/errors';
import { ChecklistRun } from '@internal/plugin-logging-environments-common';
import { Knex } from 'knex';
import { DatabaseLoggingEnvironmentsStore } from './DatabaseLoggingEnvironmentsStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const migrationsDir = resolvePackagePath(
  '@internal/plugin-logging-environments-backend',
  'migrations',
);

const TABLES = ['checklist_runs', 'decisions', 'sync_runs', 'history'];

const ENV = 'resource:default/logs-staging';
const OTHER_ENV = 'resource:default/logs-production';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

async function createStore(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  const database = mockServices.database({ knex, migrations: { skip: false } });
  const store = await DatabaseLoggingEnvironmentsStore.create({ database });
  return { knex, store };
}

function checklistRun(overrides: Partial<ChecklistRun> = {}): ChecklistRun {
  return {
    id: randomUUID(),
    status: 'pass',
    startedAt: '2026-11-27T10:00:00.000Z',
    finishedAt: '2026-11-27T10:00:05.123Z',
    revision: '0123456789abcdef0123456789abcdef01234567',
    items: [
      {
        id: 'bucket',
        title: 'The S3 bucket exists',
        status: 'pass',
        message: 'Found',
        evidence: { bucket: 'logs-staging', versioned: true, objects: 3 },
        checkedAt: '2026-11-27T10:00:04.000Z',
      },
    ],
    ...overrides,
  };
}

const approve = (
  overrides: Partial<{ actor: string; revision: string; binding: string }>,
) => ({
  decision: 'approve' as const,
  role: 'security',
  actor: ALICE,
  comment: 'Looks good',
  revision: 'rev-1',
  binding: 'as-registered',
  ...overrides,
});
const bound = (revision: string, binding = 'as-registered') => ({
  revision,
  binding,
});

it('runs on PostgreSQL as well as SQLite in CI', () => {
  // CI exports the connection string; without it the PostgreSQL half of
  // this file would be skipped silently.
  const ids = databases.eachSupportedId().map(([id]) => id);
  const required = process.env.CI ? ['SQLITE_3', 'POSTGRES_15'] : ['SQLITE_3'];
  expect(ids).toEqual(expect.arrayContaining(required));
});

describe.each(databases.eachSupportedId())(
  'DatabaseLoggingEnvironmentsStore (%s)',
  databaseId => {
    let knex: Knex;
    let store: DatabaseLoggingEnvironmentsStore;

    beforeAll(async () => {
      ({ knex, store } = await createStore(databaseId));
    });

    afterEach(async () => {
      for (const table of TABLES) {
        await knex(table).delete();
      }
    });

    describe(`migrations on ${databaseId}`, () => {
      it('create every table on an empty database and roll back cleanly', async () => {
        const empty = await databases.init(databaseId);
        for (const table of TABLES) {
          expect(await empty.schema.hasTable(table)).toBe(false);
        }

        await DatabaseLoggingEnvironmentsStore.create({
          database: mockServices.database({
            knex: empty,
            migrations: { skip: false },
          }),
        });
        for (const table of TABLES) {
          expect(await empty.schema.hasTable(table)).toBe(true);
        }
        for (const column of ['active_key', 'voided_at', 'voided_reason']) {
          expect(await empty.schema.hasColumn('decisions', column)).toBe(true);
        }

        await empty.migrate.rollback({ directory: migrationsDir }, true);
        for (const table of TABLES) {
          expect(await empty.schema.hasTable(table)).toBe(false);
        }
      });

      it('are idempotent and keep the data', async () => {
        await store.addHistory(ENV, {
          type: 'bootstrap',
          actor: ALICE,
          message: 'Created',
        });

        const again = await DatabaseLoggingEnvironmentsStore.create({
          database: mockServices.database({
            knex,
            migrations: { skip: false },
          }),
        });

        expect(await again.listHistory(ENV)).toHaveLength(1);
        const [, pending] = await knex.migrate.list({
          directory: migrationsDir,
        });
        expect(pending).toEqual([]);
      });

      it('are not run when the deployment skips them', async () => {
        const empty = await databases.init(databaseId);
        await DatabaseLoggingEnvironmentsStore.create({
          database: mockServices.database({
            knex: empty,
            migrations: { skip: true },
          }),
        });
        expect(await empty.schema.hasTable('decisions')).toBe(false);
      });
    });

    describe('checklist runs', () => {
      it('round-trips a run, items and timestamps included', async () => {
        const run = checklistRun();
        await store.addChecklistRun(ENV, run, ALICE);

        expect(await store.latestChecklistRun(ENV)).toEqual(run);
        expect(await store.latestChecklistRun(OTHER_ENV)).toBeUndefined();

        const [row] = await knex('checklist_runs').where({ id: run.id });
        expect(row.triggered_by).toBe(ALICE);
      });

      it('keeps an absent revision absent', async () => {
        const run = checklistRun({ revision: undefined });
        await store.addChecklistRun(ENV, run, ALICE);

        const latest = await store.latestChecklistRun(ENV);
        expect(latest).toEqual(run);
        expect(latest).not.toHaveProperty('revision');
      });

      it('returns the run that finished last', async () => {
        const older = checklistRun({ finishedAt: '2026-11-27T09:00:00.000Z' });
        const newest = checklistRun({ finishedAt: '2026-11-27T11:00:00.000Z' });
        const middle = checklistRun({ finishedAt: '2026-11-27T10:00:00.000Z' });
        for (const run of [older, newest, middle]) {
          await store.addChecklistRun(ENV, run, ALICE);
        }
        await store.addChecklistRun(
          OTHER_ENV,
          checklistRun({ finishedAt: '2026-11-28T00:00:00.000Z' }),
          ALICE,
        );

        expect((await store.latestChecklistRun(ENV))?.id).toBe(newest.id);
      });

      it('refuses an id that is not a UUID, on every database alike', async () => {
        await expect(
          store.addChecklistRun(ENV, checklistRun({ id: 'run-1' }), ALICE),
        ).rejects.toThrow(InputError);
      });
    });

    describe('decisions', () => {
      it('round-trips a decision', async () => {
        const before = Date.now();
        const result = await store.addDecision(ENV, approve({}));

        expect(result.created).toBe(true);
        expect(result.approval).toEqual({
          id: expect.any(String),
          decision: 'approve',
          role: 'security',
          actor: ALICE,
          comment: 'Looks good',
          revision: 'rev-1',
          binding: 'as-registered',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        });
        expect(Date.parse(result.approval.createdAt)).toBeGreaterThanOrEqual(
          before,
        );
        expect(await store.listDecisions(ENV)).toEqual([result.approval]);
        expect(await store.listDecisions(OTHER_ENV)).toEqual([]);
      });

      it('lists decisions newest first', async () => {
        const first = await store.addDecision(ENV, approve({ actor: ALICE }));
        const second = await store.addDecision(ENV, {
          ...approve({ actor: BOB }),
          decision: 'reject',
          comment: 'Bucket is not encrypted',
        });
        const third = await store.addDecision(
          ENV,
          approve({ actor: 'user:default/carol' }),
        );

        expect((await store.listDecisions(ENV)).map(d => d.id)).toEqual([
          third.approval.id,
          second.approval.id,
          first.approval.id,
        ]);
      });

      it('records one decision when two identical ones race', async () => {
        const [a, b] = await Promise.all([
          store.addDecision(ENV, approve({})),
          store.addDecision(ENV, approve({})),
        ]);

        expect([a.created, b.created].sort()).toEqual([false, true]);
        expect(a.approval).toEqual(b.approval);
        expect(await knex('decisions')).toHaveLength(1);
        expect(await store.listDecisions(ENV)).toEqual([a.approval]);
      });

      it('returns the existing decision for a later duplicate', async () => {
        const first = await store.addDecision(ENV, approve({}));
        const again = await store.addDecision(ENV, {
          ...approve({}),
          comment: 'clicked twice',
        });

        expect(again).toEqual({ created: false, approval: first.approval });
      });

      it('keeps decisions of other actors, roles, revisions and environments apart', async () => {
        const results = await Promise.all([
          store.addDecision(ENV, approve({})),
          store.addDecision(ENV, approve({ actor: BOB })),
          store.addDecision(ENV, { ...approve({}), role: 'platform' }),
          store.addDecision(ENV, approve({ revision: 'rev-2' })),
          store.addDecision(OTHER_ENV, approve({})),
        ]);

        expect(results.every(r => r.created)).toBe(true);
        expect(await store.listDecisions(ENV)).toHaveLength(4);
      });

      it('voids the decisions for other revisions and lists them with the reason', async () => {
        const old1 = await store.addDecision(
          ENV,
          approve({ revision: 'rev-1' }),
        );
        const old2 = await store.addDecision(
          ENV,
          approve({ actor: BOB, revision: 'rev-1' }),
        );
        const current = await store.addDecision(
          ENV,
          approve({ revision: 'rev-2' }),
        );
        const elsewhere = await store.addDecision(
          OTHER_ENV,
          approve({ revision: 'rev-1' }),
        );

        const voided = await store.voidDecisionsNotFor(
          ENV,
          bound('rev-2'),
          () => 'New revision rev-2',
        );

        expect(voided).toEqual([
          { ...old2.approval, voidedReason: 'New revision rev-2' },
          { ...old1.approval, voidedReason: 'New revision rev-2' },
        ]);
        expect(await store.listDecisions(ENV)).toEqual([
          current.approval,
          { ...old2.approval, voidedReason: 'New revision rev-2' },
          { ...old1.approval, voidedReason: 'New revision rev-2' },
        ]);
        expect(await store.listDecisions(OTHER_ENV)).toEqual([
          elsewhere.approval,
        ]);

        // Already voided ones are not voided again.
        expect(
          await store.voidDecisionsNotFor(
            ENV,
            bound('rev-3'),
            () => 'New revision rev-3',
          ),
        ).toEqual([
          { ...current.approval, voidedReason: 'New revision rev-3' },
        ]);
        expect(
          (await store.listDecisions(ENV)).map(d => d.voidedReason),
        ).toEqual([
          'New revision rev-3',
          'New revision rev-2',
          'New revision rev-2',
        ]);
      });

      it("voids decisions for the same commit once the Applications' binding changed, with the reason for each", async () => {
        const before = await store.addDecision(ENV, approve({}));
        const kept = await store.addDecision(
          ENV,
          approve({ actor: BOB, binding: 'path-moved' }),
        );
        const voided = await store.voidDecisionsNotFor(
          ENV,
          bound('rev-1', 'path-moved'),
          d =>
            d.revision === 'rev-1'
              ? `binding ${d.binding} changed`
              : 'new commit',
        );
        expect(voided).toEqual([
          { ...before.approval, voidedReason: 'binding as-registered changed' },
        ]);
        expect(before.approval.binding).toBe('as-registered');
        expect(
          (await store.listDecisions(ENV)).filter(d => !d.voidedReason),
        ).toEqual([kept.approval]);
      });

      it('allows a new decision for the same actor, role and revision once voided', async () => {
        const first = await store.addDecision(
          ENV,
          approve({ revision: 'rev-1' }),
        );
        await store.voidDecisionsNotFor(
          ENV,
          bound('rev-2'),
          () => 'New revision rev-2',
        );

        // The revision went back to rev-1 (a revert): approve it again.
        const second = await store.addDecision(
          ENV,
          approve({ revision: 'rev-1' }),
        );

        expect(second.created).toBe(true);
        expect(second.approval.id).not.toBe(first.approval.id);
        expect(second.approval).not.toHaveProperty('voidedReason');
        expect((await store.listDecisions(ENV)).map(d => d.id)).toEqual([
          second.approval.id,
          first.approval.id,
        ]);
      });
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

    describe('history', () => {
      it('round-trips an event, with its given time', async () => {
        const event = await store.addHistory(ENV, {
          type: 'approval',
          actor: ALICE,
          at: '2026-11-27T10:00:00.123Z',
          message: 'Approved as security',
          details: { revision: 'rev-1', role: 'security', count: 1, ok: true },
        });

        expect(event).toEqual({
          id: expect.any(String),
          type: 'approval',
          actor: ALICE,
          at: '2026-11-27T10:00:00.123Z',
          message: 'Approved as security',
          details: { revision: 'rev-1', role: 'security', count: 1, ok: true },
        });
        expect(await store.listHistory(ENV)).toEqual([event]);
        expect(await store.listHistory(OTHER_ENV)).toEqual([]);
      });

      it('stamps the time when none is given, and keeps absent details absent', async () => {
        const before = Date.now();
        const event = await store.addHistory(ENV, {
          type: 'sync-requested',
          actor: 'system',
          message: 'Sync requested',
        });

        expect(Date.parse(event.at)).toBeGreaterThanOrEqual(before);
        expect(event).not.toHaveProperty('details');
        expect(await store.listHistory(ENV)).toEqual([event]);
      });

      it('lists newest first and honours the limit', async () => {
        const times = [
          '2026-11-27T10:00:02.000Z',
          '2026-11-27T10:00:00.000Z',
          '2026-11-27T10:00:03.000Z',
          '2026-11-27T10:00:01.000Z',
        ];
        for (const [i, at] of times.entries()) {
          await store.addHistory(ENV, {
            type: 'sync-progress',
            actor: 'system',
            at,
            message: `step ${i}`,
          });
        }
        // Same instant: the later write is the newer event.
        const tieA = await store.addHistory(ENV, {
          type: 'sync-succeeded',
          actor: 'system',
          at: '2026-11-27T10:00:04.000Z',
          message: 'tie a',
        });
        const tieB = await store.addHistory(ENV, {
          type: 'approvals-voided',
          actor: 'system',
          at: '2026-11-27T10:00:04.000Z',
          message: 'tie b',
        });

        const all = await store.listHistory(ENV);
        expect(all.map(e => e.message)).toEqual([
          tieB.message,
          tieA.message,
          'step 2',
          'step 0',
          'step 3',
          'step 1',
        ]);
        expect(
          (await store.listHistory(ENV, { limit: 3 })).map(e => e.message),
        ).toEqual(['tie b', 'tie a', 'step 2']);
        expect(await store.listHistory(ENV, { limit: 0 })).toEqual([]);
        expect(await store.listHistory(ENV, { limit: 100 })).toHaveLength(6);
      });

      it('refuses a bad time or limit', async () => {
        await expect(
          store.addHistory(ENV, {
            type: 'checklist',
            actor: 'system',
            at: 'yesterday',
            message: 'x',
          }),
        ).rejects.toThrow(InputError);
        await expect(store.listHistory(ENV, { limit: -1 })).rejects.toThrow(
          InputError,
        );
      });
    });
  },
);
