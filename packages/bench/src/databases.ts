import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import knexFactory, { Knex } from 'knex';

/**
 * One in-memory SQLite database per plugin, as the test backend's default
 * gives, except that the benchmark closes them (the default leaves its
 * pools' timers behind, and the process would not exit) and can reach a
 * plugin's database before the backend starts (to write the trusted
 * records the logging-environments plugin reads).
 */
export function createDatabases() {
  const clients = new Map<string, Knex>();
  const client = (pluginId: string): Knex => {
    let knex = clients.get(pluginId);
    if (!knex) {
      knex = knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
        },
      });
      clients.set(pluginId, knex);
    }
    return knex;
  };
  return {
    /** The database of a plugin (created on first use). */
    client,
    factory: createServiceFactory({
      service: coreServices.database,
      deps: { plugin: coreServices.pluginMetadata },
      factory: ({ plugin }) => {
        const knex = client(plugin.getId());
        return { getClient: async () => knex };
      },
    }),
    async destroy() {
      const all = [...clients.values()];
      clients.clear();
      await Promise.all(all.map(k => k.destroy()));
    },
  };
}
