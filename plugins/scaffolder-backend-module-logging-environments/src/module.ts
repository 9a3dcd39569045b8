import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  AwsClientFactory,
  ConfigClusterRegistry,
} from '@internal/plugin-logging-environments-node';
import { createApplyClusterCredentialsAction } from './actions/applyClusterCredentials';
import { createEnsureBucketAction } from './actions/ensureBucket';
import { createEnsureOperatorsAction } from './actions/ensureOperators';
import { createEnsureSecretStoreAction } from './actions/ensureSecretStore';
import { createPublishGitopsAction } from './actions/publishGitops';
import { createRegisterCatalogAction } from './actions/registerCatalog';
import { createRegisterArgoCdAction } from './actions/registerArgoCd';
import { createSyncArgoCdAction } from './actions/syncArgoCd';
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
        catalog: catalogServiceRef,
      },
      async init({ scaffolder, config, catalog }) {
        const clusters = ConfigClusterRegistry.fromConfig(config);
        const aws = AwsClientFactory.fromConfig(config);
        const gitops = {
          repoUrl: config.getString('loggingEnvironments.gitops.repoUrl'),
          branch:
            config.getOptionalString('loggingEnvironments.gitops.branch') ??
            'main',
          username: config.getOptionalString(
            'loggingEnvironments.gitops.username',
          ),
          password: config.getOptionalString(
            'loggingEnvironments.gitops.password',
          ),
          browseUrl: config.getOptionalString(
            'loggingEnvironments.gitops.browseUrl',
          ),
        };
        scaffolder.addActions(
          createValidateEnvironmentAction({ clusters, catalog, gitops }),
          createPublishGitopsAction({ gitops }),
          createRegisterCatalogAction({ catalog }),
          createEnsureBucketAction({ aws }),
          createEnsureIamAction({ aws }),
          createEnsureSecretAction({ aws }),
          createApplyClusterCredentialsAction({ clusters }),
          createEnsureSecretStoreAction({ clusters }),
          createEnsureOperatorsAction({ clusters }),
          createRegisterArgoCdAction({ clusters }),
          createSyncArgoCdAction({ clusters }),
        );
      },
    });
  },
});
