import { openStores } from '@internal/plugin-logging-environments-backend/testUtils';
import { Knex, knex as createKnex } from 'knex';

const opened: Knex[] = [];

// Every database a test file opened is closed after it; importing this
// module at the top of a test file registers the hook.
afterAll(async () => {
  await Promise.all(opened.splice(0).map(db => db.destroy()));
});

/**
 * The plugin's real stores, migrated, on a fresh in-memory SQLite
 * database (one pooled connection: each connection to `:memory:` would be a
 * database of its own), with that database for assertions.
 */
export async function createTestStore() {
  const knex = createKnex({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
  opened.push(knex);
  return { ...(await openStores(knex)), knex };
}
