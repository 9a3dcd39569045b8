import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  AwsClientFactory,
  ConfigClusterRegistry,
  EnvironmentRecordsClient,
} from '@internal/plugin-logging-environments-node';
import { createClaimEnvironmentAction } from './actions/claimEnvironment';
import { createApplyClusterCredentialsAction } from './actions/applyClusterCredentials';
import { createEnsureBucketAction } from './actions/ensureBucket';
import { createEnsureOperatorsAction } from './actions/ensureOperators';
import { createEnsureSecretStoreAction } from './actions/ensureSecretStore';
import { createPublishGitopsAction } from './actions/publishGitops';
import { createRegisterCatalogAction } from './actions/registerCatalog';
import { createRegisterArgoCdAction } from './actions/registerArgoCd';
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
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolder, config, catalog, discovery, auth }) {
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
        // Every step with an effect asks the logging-environments backend,
        // on behalf of the person running the task, for the environment's
        // trusted record, and acts only on what it holds.
        const records = EnvironmentRecordsClient.create({ discovery, auth });
        scaffolder.addActions(
          createValidateEnvironmentAction({ clusters, gitops }),
          createClaimEnvironmentAction({ records }),
          createPublishGitopsAction({ gitops, records }),
          createRegisterCatalogAction({ catalog, records }),
          createEnsureBucketAction({ aws, records }),
          createEnsureIamAction({ aws, records }),
          createEnsureSecretAction({ aws, records }),
          createApplyClusterCredentialsAction({ clusters, records }),
          createEnsureSecretStoreAction({ clusters, records }),
          createEnsureOperatorsAction({ clusters, records }),
          createRegisterArgoCdAction({ clusters, records, gitops }),
        );
      },
    });
  },
});
