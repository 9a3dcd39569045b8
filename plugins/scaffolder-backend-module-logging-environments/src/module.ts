import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { EnvironmentRecordsClient } from '@internal/plugin-logging-environments-node';
import { createLoggingEnvironmentsActions } from './actions';

/**
 * Adds the Logging Environments bootstrap actions to the scaffolder.
 *
 * @public
 */
export const scaffolderModuleLoggingEnvironments = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'logging-environments',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        auditor: coreServices.auditor,
      },
      async init({ scaffolder, config, catalog, discovery, auth, auditor }) {
        // Every step with an effect asks the logging-environments backend,
        // on behalf of the person running the task, whether it may act.
        const records = EnvironmentRecordsClient.create({ discovery, auth });
        scaffolder.addActions(
          ...createLoggingEnvironmentsActions({
            config,
            catalog,
            records,
            auditor,
          }),
        );
      },
    });
  },
});
