/**
 * Decisions (one active per actor, role, revision and binding; voiding)
 * through DatabaseLoggingEnvironmentsStore, on every supported database.
 */
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
  },
);
