import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import knexFactory, { Knex } from 'knex';

/**
 * One in-memory SQLite database per plugin, as the test backend's default
 * gives, except that the benchmark closes them (the default leaves its
 * pools' timers behind, and the process would not exit).
 */
export function createDatabases() {
  const clients: Knex[] = [];
  return {
    factory: createServiceFactory({
      service: coreServices.database,
      deps: {},
      factory: () => {
        const knex = knexFactory({
          client: 'better-sqlite3',
          connection: ':memory:',
          useNullAsDefault: true,
          pool: {
            min: 1,
            max: 1,
            idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
          },
        });
        clients.push(knex);
        return { getClient: async () => knex };
      },
    }),
    async destroy() {
      await Promise.all(clients.splice(0).map(k => k.destroy()));
    },
  };
}
