/**
 * Scaffolder actions that run phase 1 (bootstrap) of a logging environment.
 *
 * @packageDocumentation
 */

export { scaffolderModuleLoggingEnvironments as default } from './module';
export { createLoggingEnvironmentsActions } from './actions';
export {
  createValidateEnvironmentAction,
  defaultBucketName,
} from './actions/validateEnvironment';
export { DefaultPreflight } from './actions/preflight';
export type { Preflight, PreflightRequest } from './actions/preflight';
export { createClaimEnvironmentAction } from './actions/claimEnvironment';
export { createEnsureBucketAction } from './actions/ensureBucket';
export { createEnsureIamAction } from './actions/ensureIam';
export { createEnsureSecretAction } from './actions/ensureSecret';
export { createApplyClusterCredentialsAction } from './actions/applyClusterCredentials';
export { createEnsureSecretStoreAction } from './actions/ensureSecretStore';
export { createEnsureOperatorsAction } from './actions/ensureOperators';
export { createRegisterArgoCdAction } from './actions/registerArgoCd';
export { createPublishGitopsAction } from './actions/publishGitops';
export { createRegisterCatalogAction } from './actions/registerCatalog';
