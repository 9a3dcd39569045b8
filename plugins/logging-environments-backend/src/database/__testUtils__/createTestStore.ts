import { mockServices } from '@backstage/backend-test-utils';
import { Knex, knex as createKnex } from 'knex';
import {
  EnvironmentRecord,
  Tier,
  environmentLayout,
} from '@internal/plugin-logging-environments-common';
import { DatabaseEnvironmentRecordsStore } from '../DatabaseEnvironmentRecordsStore';
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
  const database = mockServices.database({ knex, migrations: { skip: false } });
  const store = await DatabaseLoggingEnvironmentsStore.create({ database });
  const records = await DatabaseEnvironmentRecordsStore.create({ database });
  return { store, records, knex };
}

/** A registered environment's record, as a bootstrap writes it. */
export function testRecord(
  overrides: Partial<EnvironmentRecord> & { name?: string; tier?: Tier } = {},
): Omit<EnvironmentRecord, 'createdAt' | 'updatedAt'> {
  const name = overrides.name ?? 'acme-prod';
  const layout = environmentLayout(name);
  return {
    entityRef: layout.entityRef,
    name,
    tier: overrides.tier ?? 'production',
    cluster: 'sandbox',
    namespace: layout.namespace,
    argocdNamespace: layout.argocdNamespace,
    project: layout.project,
    applications: {
      infrastructure: {
        name: layout.applications.infrastructure,
        uid: `${name}-infra-uid`,
      },
      forwarder: {
        name: layout.applications.forwarder,
        uid: `${name}-fwd-uid`,
      },
    },
    owner: 'group:default/platform-team',
    requester: 'user:default/requester',
    region: 'us-east-2',
    bucket: `${name}-loki`,
    secret: `logging/${name}/loki-s3`,
    gitopsPath: layout.gitopsPath,
    extraApprovers: {},
    state: 'registered',
    updatedBy: 'user:default/requester',
    ...overrides,
  };
}
