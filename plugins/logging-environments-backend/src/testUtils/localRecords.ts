import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  BootstrapRequest,
  environmentLayout,
} from '@internal/plugin-logging-environments-common';
import {
  ClusterClient,
  ClusterRegistry,
  EnvironmentRecordsApi,
} from '@internal/plugin-logging-environments-node';
import knexFactory, { Knex } from 'knex';
import { readTierPolicies } from '../services/environments/tierPolicies';
import { openStores } from './openStores';
import { silentLogger } from './silentLogger';
import {
  DefaultEnvironmentRecordService,
  RecordCaller,
} from '../services/records/DefaultEnvironmentRecordService';
import { BOOTSTRAP_RUNNER } from '../services/records/recordAccess';

/** The requester of the example org: a member of platform-team. */
export const EXAMPLE_REQUESTER: RecordCaller = {
  userEntityRef: 'user:default/requester',
  ownershipEntityRefs: [
    'user:default/requester',
    'group:default/platform-team',
  ],
  mayCreate: true,
};

/**
 * The real record service and stores on a SQLite database of the test's
 * (in memory by default), and an {@link EnvironmentRecordsApi} over it for
 * bootstrap actions run outside a backend: every call is made as `caller`
 * (by default the example org's requester). A portal backend started on
 * the same `knex` sees the same records.
 */
export async function localRecords(options: {
  clusters: ClusterRegistry;
  gitops: { repoUrl: string; branch?: string };
  knex?: Knex;
  caller?: RecordCaller;
  administrators?: string[];
  config?: object;
  logger?: LoggerService;
}) {
  const knex =
    options.knex ??
    knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
      pool: { min: 1, max: 1, idleTimeoutMillis: Number.MAX_SAFE_INTEGER },
    });
  const { store, records } = await openStores(knex);
  const service = new DefaultEnvironmentRecordService({
    records,
    history: store,
    clusters: options.clusters,
    clusterClient: cluster =>
      ClusterClient.fromKubeConfig(options.clusters.kubeConfig(cluster)),
    policies: readTierPolicies(new ConfigReader(options.config ?? {})),
    administrators: options.administrators ?? [],
    gitops: { branch: 'main', ...options.gitops },
    logger: options.logger ?? silentLogger,
  });
  const caller = options.caller ?? EXAMPLE_REQUESTER;
  const ref = (name: string) => environmentLayout(name).entityRef;
  // As the scaffolder calls: on the caller's behalf, naming its task.
  const viaScaffolder: RecordCaller = { ...caller, via: BOOTSTRAP_RUNNER };
  const api: EnvironmentRecordsApi = {
    claim: (
      request: BootstrapRequest,
      o: { dryRun?: boolean; taskId?: string },
    ) =>
      service.claim(request, viaScaffolder, {
        dryRun: o.dryRun,
        taskId: o.taskId,
      }),
    checkStep: (name, step) => service.checkStep(ref(name), caller, step),
    bindApplications: (name, o) =>
      service.bindApplications(ref(name), viaScaffolder, {
        taskId: o.taskId,
      }),
  };
  return {
    api,
    service,
    records,
    store,
    knex,
    /** Forgets every record (after a sandbox reset). */
    async clear() {
      await knex('environment_records').delete();
    },
  };
}
