import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  AwsClientFactory,
  ConfigClusterRegistry,
  argoCdHealthCheckSettings,
} from '@internal/plugin-logging-environments-node';
import { DatabaseEnvironmentRecordsStore } from './database/DatabaseEnvironmentRecordsStore';
import { DatabaseLoggingEnvironmentsStore } from './database/DatabaseLoggingEnvironmentsStore';
import {
  createRecordEnvironmentLoader,
  loggingEnvironmentPermissionResourceRef,
  registerLoggingEnvironmentPermissions,
} from './permissions';
import { createRouter } from './router';
import { DefaultApprovalService } from './services/approvals';
import {
  DefaultChecklistService,
  readChecklistOptions,
} from './services/checklist';
import { ApproverNotifier, revisionReaction } from './services/events';
import {
  RecordEnvironmentCatalog,
  readEnvironmentSettings,
} from './services/environments';
import { EnvironmentEvents } from './services/events/EnvironmentEvents';
import { DefaultServiceHealthService } from './services/health';
import { EnvironmentOverviewService } from './services/overview';
import { DefaultEnvironmentRecordService } from './services/records';
import {
  ArgoRevisionSource,
  CachedRevisionSource,
  registryClusterClients,
} from './services/revision';
import { DefaultSyncService } from './services/sync/DefaultSyncService';
import { WatchWaveStatusService } from './services/waves/WatchWaveStatusService';

/** How often the scheduler advances sync runs, unless configured. */
const DEFAULT_SYNC_INTERVAL_SECONDS = 5;

/**
 * The Logging Environments backend plugin, mounted at
 * `/api/logging-environments`: the phase-2 checklist and approval gate, the
 * phase-3 sync orchestration, wave status from a watch cache, per-service
 * logging health, audit events and signals.
 *
 * @public
 */
export const loggingEnvironmentsPlugin = createBackendPlugin({
  pluginId: 'logging-environments',
  register(env) {
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        userInfo: coreServices.userInfo,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        cache: coreServices.cache,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
        signals: signalsServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const { logger, config, httpRouter, scheduler, lifecycle } = deps;
        const clusters = ConfigClusterRegistry.fromConfig(config);
        if (clusters.list().length === 0) {
          throw new Error(
            'No cluster is configured for Logging Environments: set loggingEnvironments.clusters (or kubernetes.clusterLocatorMethods with type: config)',
          );
        }
        const clusterNames = clusters.list().map(c => c.name);
        logger.info(
          `Logging Environments serving clusters: ${clusterNames.join(', ')}`,
          { clusters: clusterNames.join(',') },
        );

        const store = await DatabaseLoggingEnvironmentsStore.create({
          database: deps.database,
        });
        const recordsStore = await DatabaseEnvironmentRecordsStore.create({
          database: deps.database,
        });
        const settings = readEnvironmentSettings(config);
        const environments = new RecordEnvironmentCatalog({
          ...settings,
          catalog: deps.catalog,
          records: recordsStore,
          logger,
        });
        const events = new EnvironmentEvents({
          signals: deps.signals,
          notifications: deps.notifications,
          environments,
          logger,
        });

        const records = new DefaultEnvironmentRecordService({
          records: recordsStore,
          history: store,
          clusters,
          clusterClient: registryClusterClients(clusters),
          policies: settings.policies,
          administrators:
            config.getOptionalStringArray(
              'loggingEnvironments.administrators',
            ) ?? [],
          gitops: settings.gitops,
          logger,
          events,
        });
        registerLoggingEnvironmentPermissions({
          permissionsRegistry: deps.permissionsRegistry,
          loadEnvironments: createRecordEnvironmentLoader({
            catalog: environments,
          }),
        });
        const readableBy = createConditionAuthorizer(
          deps.permissionsRegistry.getPermissionRuleset(
            loggingEnvironmentPermissionResourceRef,
          ),
        );

        const waves = new WatchWaveStatusService({ clusters, logger });
        waves.onChange(ref => events.changed(ref, 'waves'));
        // Page views read revisions from the watch cache; the cluster is
        // asked only while the cache does not hold the Application yet.
        const revisions = new CachedRevisionSource({
          waves,
          fallback: new ArgoRevisionSource({
            clusters: registryClusterClients(clusters),
          }),
        });
        const approvals = new DefaultApprovalService({
          store,
          revisions,
          logger,
          events,
        });
        const approvers = new ApproverNotifier({
          approvals,
          notifications: deps.notifications,
          cache: deps.cache,
          locks: store,
          logger,
        });
        // A new revision voids earlier decisions (reads already ignore them).
        waves.onChange(
          revisionReaction({
            environments,
            approvals,
            notifier: approvers,
            onChange: (ref, change) => events.changed(ref, change),
            logger,
          }),
        );
        const sync = new DefaultSyncService({
          store,
          approvals,
          revisions,
          clusters,
          logger,
          // The trusted records, never the catalog: a catalog entity cannot
          // make the scheduler sync anything.
          listEnvironments: () => environments.registered(),
          getEnvironment: ref => environments.registeredOne(ref),
          onChange: ref => events.changed(ref, 'sync'),
          notify: notice => events.ownerNotice(notice),
        });
        const checklistOptions = readChecklistOptions(config);
        const checklistClusters = registryClusterClients(clusters);
        const checklist = new DefaultChecklistService({
          store,
          logger,
          aws: AwsClientFactory.fromConfig(config),
          clusters: checklistClusters,
          revisions: new ArgoRevisionSource({
            clusters: checklistClusters,
            refreshTimeoutMs: checklistOptions.revisionRefreshTimeoutMs,
          }),
          gitops: checklistOptions.gitops,
          argoCd: argoCdHealthCheckSettings({ config, clusters }),
          timeouts: checklistOptions.timeouts,
          events,
          approvers,
        });

        httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            userInfo: deps.userInfo,
            permissions: deps.permissions,
            auditor: deps.auditor,
            clusters,
            environments,
            overview: new EnvironmentOverviewService({
              store,
              environments,
              readableBy,
              approvals,
              sync,
              waves,
            }),
            checklist,
            approvals,
            sync,
            records,
            readiness: waves,
            health: new DefaultServiceHealthService({
              environments,
              waves,
              clusters,
            }),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        // Backstage's readiness (/.backstage/health/v1/readiness) stays 503
        // until every plugin's startup hooks are done: this one waits for
        // each cluster's first list (bounded; /health then says which
        // clusters are still starting or unreachable).
        lifecycle.addStartupHook(async () => {
          await waves.start();
        });
        lifecycle.addShutdownHook(async () => {
          await waves.stop();
        });

        // One replica at a time advances the sync runs (DESIGN, data flow 4).
        await scheduler.scheduleTask({
          id: 'logging-environments-sync',
          scope: 'global',
          frequency: {
            seconds:
              config.getOptionalNumber(
                'loggingEnvironments.sync.intervalSeconds',
              ) ?? DEFAULT_SYNC_INTERVAL_SECONDS,
          },
          timeout: { minutes: 5 },
          fn: () => sync.tick(),
        });
      },
    });
  },
});
