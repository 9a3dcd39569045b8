import { Knex, knex as createKnex } from 'knex';
import { DatabaseEnvironmentRecordsStore } from '../DatabaseEnvironmentRecordsStore';
import { openStores } from '../../testUtils/openStores';
import { DatabaseLoggingEnvironmentsStore } from '../DatabaseLoggingEnvironmentsStore';

const created: Knex[] = [];

// Every database a test file opened is closed after it; importing this
// module at the top of a test file registers the hook.
afterAll(async () => {
  await Promise.all(created.splice(0).map(db => db.destroy()));
});

/**
 * The real {@link DatabaseLoggingEnvironmentsStore}, migrated, on a fresh
 * in-memory SQLite database, for tests that need a store. `knex` is that
 * database, for assertions on what was stored (e.g. columns the store
 * interface does not read back, such as `checklist_runs.triggered_by`).
 *
 * One pooled connection: each connection to `:memory:` would be a database
 * of its own.
 */
export async function createTestStore(): Promise<{
  store: DatabaseLoggingEnvironmentsStore;
  records: DatabaseEnvironmentRecordsStore;
  knex: Knex;
}> {
  const knex = createKnex({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
  created.push(knex);
  return { ...(await openStores(knex)), knex };
}

export { testRecord } from '../../testUtils/testRecord';
