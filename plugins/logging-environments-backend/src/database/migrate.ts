import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-logging-environments-backend',
  'migrations',
);

/**
 * Connects to the plugin's database and, unless the deployment skips them,
 * brings its tables up to date. Safe to call more than once and from
 * several replicas at a time (Knex takes a migration lock).
 *
 * @internal
 */
export async function migrateLoggingEnvironmentsDatabase(
  database: DatabaseService,
): Promise<Knex> {
  const client = await database.getClient();
  if (!database.migrations?.skip) {
    await client.migrate.latest({ directory: migrationsDir });
  }
  return client;
}
