/**
 * The audit trail through DatabaseLoggingEnvironmentsStore, on every
 * supported database.
 */
import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import { DatabaseLoggingEnvironmentsStore } from './DatabaseLoggingEnvironmentsStore';
import {
  ALICE,
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
