import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { loggingEnvironmentPermissions } from '@internal/plugin-logging-environments-common';
import { ConfigClusterRegistry } from '@internal/plugin-logging-environments-node';
import { createRouter } from './router';

/**
 * The Logging Environments backend plugin, mounted at
 * `/api/logging-environments`.
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
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({
        logger,
        config,
        httpRouter,
        httpAuth,
        permissionsRegistry,
      }) {
        const clusters = ConfigClusterRegistry.fromConfig(config);
        if (clusters.list().length === 0) {
          throw new Error(
            'No cluster is configured for Logging Environments: set loggingEnvironments.clusters (or kubernetes.clusterLocatorMethods with type: config)',
          );
        }
        logger.info(
          `Logging Environments serving clusters: ${clusters
            .list()
            .map(c => c.name)
            .join(', ')}`,
        );

        permissionsRegistry.addPermissions(loggingEnvironmentPermissions);

        httpRouter.use(await createRouter({ httpAuth, clusters }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
