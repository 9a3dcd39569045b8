import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { DatabaseEnvironmentRecordsStore } from '../database/DatabaseEnvironmentRecordsStore';
import { DatabaseLoggingEnvironmentsStore } from '../database/DatabaseLoggingEnvironmentsStore';

/**
 * The plugin's stores on a database of the caller's (any Knex the plugin
 * supports), migrated: what the plugin would open on that database.
 */
export async function openStores(knex: Knex): Promise<{
  store: DatabaseLoggingEnvironmentsStore;
  records: DatabaseEnvironmentRecordsStore;
}> {
  const database: DatabaseService = {
    getClient: async () => knex,
    migrations: { skip: false },
  };
  return {
    store: await DatabaseLoggingEnvironmentsStore.create({ database }),
    records: await DatabaseEnvironmentRecordsStore.create({ database }),
  };
}
