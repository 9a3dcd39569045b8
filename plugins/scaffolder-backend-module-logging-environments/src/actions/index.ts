import { AuditorService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AwsClientFactory,
  ConfigClusterRegistry,
  EnvironmentRecordsApi,
  argoCdHealthCheckSettings,
} from '@internal/plugin-logging-environments-node';
import { createApplyClusterCredentialsAction } from './applyClusterCredentials';
import { auditedAction } from './audit';
import { createClaimEnvironmentAction } from './claimEnvironment';
import { createEnsureBucketAction } from './ensureBucket';
import { createEnsureIamAction } from './ensureIam';
import { createEnsureOperatorsAction } from './ensureOperators';
import { createEnsureSecretAction } from './ensureSecret';
import { createEnsureSecretStoreAction } from './ensureSecretStore';
import { createPublishGitopsAction } from './publishGitops';
import { createRegisterArgoCdAction } from './registerArgoCd';
import { createRegisterCatalogAction } from './registerCatalog';
import { DefaultPreflight } from './preflight';
import { createValidateEnvironmentAction } from './validateEnvironment';

/**
 * Every Logging Environments bootstrap action, configured from the app's
 * configuration (`loggingEnvironments.clusters`, `.aws`, `.gitops`,
 * `.argocd`), in the
 * order the template runs them. Every step with an effect asks the backend,
 * through `records`, on behalf of the person running the task, whether it
 * may act; every run of every action is an audit event of `auditor`
 * (`bootstrap-action`: the task's user, the action and the resources it
 * names, the environment, the task, the outcome; never a secret).
 *
 * @public
 */
export function createLoggingEnvironmentsActions(options: {
  config: Config;
  catalog: CatalogService;
  records: EnvironmentRecordsApi;
  auditor: AuditorService;
}) {
  const { config, catalog, records, auditor } = options;
  const clusters = ConfigClusterRegistry.fromConfig(config);
  const aws = AwsClientFactory.fromConfig(config);
  const gitops = {
    repoUrl: config.getString('loggingEnvironments.gitops.repoUrl'),
    branch:
      config.getOptionalString('loggingEnvironments.gitops.branch') ?? 'main',
    username: config.getOptionalString('loggingEnvironments.gitops.username'),
    password: config.getOptionalString('loggingEnvironments.gitops.password'),
    browseUrl: config.getOptionalString('loggingEnvironments.gitops.browseUrl'),
  };
  const actions = [
    createValidateEnvironmentAction({
      clusters,
      gitops,
      preflight: new DefaultPreflight({ aws, clusters, records }),
    }),
    createClaimEnvironmentAction({ records }),
    createPublishGitopsAction({ gitops, records }),
    createRegisterCatalogAction({ catalog, records }),
    createEnsureBucketAction({ aws, records }),
    createEnsureIamAction({ aws, records }),
    createEnsureSecretAction({ aws, records }),
    createApplyClusterCredentialsAction({ clusters, records }),
    createEnsureSecretStoreAction({ clusters, records }),
    createEnsureOperatorsAction({ clusters, records }),
    createRegisterArgoCdAction({
      clusters,
      records,
      gitops,
      argoCd: argoCdHealthCheckSettings({ config, clusters }),
    }),
  ];
  return actions.map(action => auditedAction(auditor, action));
}
