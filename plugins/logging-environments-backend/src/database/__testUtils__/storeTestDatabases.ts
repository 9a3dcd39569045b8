/**
 * What the tests of DatabaseLoggingEnvironmentsStore share: the databases
 * they run on (SQLite, and PostgreSQL where its connection string is set),
 * a migrated store on each, and the names they use.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { DatabaseLoggingEnvironmentsStore } from '../DatabaseLoggingEnvironmentsStore';

/** The store's tables, emptied after each test. */
export const TABLES = [
  'checklist_runs',
  'decisions',
  'sync_runs',
  'history',
  'locks',
];

/** The migrations the store runs, for tests that roll them back. */
export const migrationsDir = resolvePackagePath(
  '@internal/plugin-logging-environments-backend',
  'migrations',
);

export const ENV = 'resource:default/logs-staging';
export const OTHER_ENV = 'resource:default/logs-production';
export const ALICE = 'user:default/alice';
export const BOB = 'user:default/bob';

/**
 * The databases of one test file. Call it at the top level of the file:
 * it registers the hooks that shut them down.
 */
export function storeTestDatabases(): TestDatabases {
  return TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
}

/**
 * The databases a test file must run on here: PostgreSQL too in CI, which
 * exports its connection string; without it the PostgreSQL half of a file
 * would be skipped silently.
 */
export function requiredDatabaseIds(): TestDatabaseId[] {
  return process.env.CI ? ['SQLITE_3', 'POSTGRES_15'] : ['SQLITE_3'];
}

/** A migrated store on a fresh database, and that database. */
export async function createStore(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
): Promise<{ knex: Knex; store: DatabaseLoggingEnvironmentsStore }> {
  const knex = await databases.init(databaseId);
  const database = mockServices.database({ knex, migrations: { skip: false } });
  const store = await DatabaseLoggingEnvironmentsStore.create({ database });
  return { knex, store };
}

/** Empties the store's tables. */
export async function clearTables(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex(table).delete();
  }
}
