/**
 * The store's creation and migrations, on every supported database; each
 * table's behaviour is tested beside its module (`*Table.test.ts`).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { DatabaseLoggingEnvironmentsStore } from './DatabaseLoggingEnvironmentsStore';
import {
  ALICE,
  clearTables,
  createStore,
  ENV,
  migrationsDir,
  requiredDatabaseIds,
  storeTestDatabases,
  TABLES,
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
  },
);
