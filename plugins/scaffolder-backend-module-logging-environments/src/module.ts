import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  AwsClientFactory,
  ConfigClusterRegistry,
} from '@internal/plugin-logging-environments-node';
import { createEnsureBucketAction } from './actions/ensureBucket';
import { createEnsureIamAction } from './actions/ensureIam';
import { createEnsureSecretAction } from './actions/ensureSecret';
import { createValidateEnvironmentAction } from './actions/validateEnvironment';

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
      },
      async init({ scaffolder, config }) {
        const clusters = ConfigClusterRegistry.fromConfig(config);
        const aws = AwsClientFactory.fromConfig(config);
        scaffolder.addActions(
          createValidateEnvironmentAction({ clusters }),
          createEnsureBucketAction({ aws }),
          createEnsureIamAction({ aws }),
          createEnsureSecretAction({ aws }),
        );
      },
    });
  },
});
