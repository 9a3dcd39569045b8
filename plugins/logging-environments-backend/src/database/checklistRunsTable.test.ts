/**
 * Checklist runs through DatabaseLoggingEnvironmentsStore, on every
 * supported database.
 */
import { randomUUID } from 'node:crypto';
import { InputError } from '@backstage/errors';
import { ChecklistRun } from '@internal/plugin-logging-environments-common';
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
  },
);
