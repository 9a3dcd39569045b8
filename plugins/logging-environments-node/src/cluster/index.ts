export {
  ClusterClient,
  FIELD_MANAGER,
  kubeStatus,
  objectRefOf,
  waitFor,
  withKubeRetry,
} from './client';
export type { KubeStatus, ObjectRef, WaitProgress } from './client';
export { CLUSTER_CREDENTIALS, ensureClusterCredentials } from './credentials';
export {
  CLUSTER_SECRET_STORE_NAME,
  clusterSecretStoreProblems,
  ensureClusterSecretStore,
  expectedClusterSecretStore,
  storeReadiness,
} from './secretStore';
export { ensureOperators } from './operators';
export { EXTERNAL_SECRETS_CONFIGS } from './externalSecretsConfig';
export { assertExternalSecretsFlavour } from './externalSecretsFlavour';
export { ensureExternalSecretsConfig } from './ensureExternalSecretsConfig';
export { readExternalSecretsController } from './externalSecretsController';
export type { ExternalSecretsControllerState } from './externalSecretsController';
export {
  registerArgoApplications,
  syncApplicationViaOperation,
} from './argocd';
export { ArgoCdApiClient } from './argocdApi';
export {
  DEFAULT_EXTERNAL_SECRETS_FLAVOUR,
  EXTERNAL_SECRETS_OPERATORS,
  LOGGING_OPERATORS,
  operatorManifests,
} from './operatorManifests';
export type { ExternalSecretsFlavour, OperatorSpec } from './operatorManifests';
export {
  argoCdHealthCheckKey,
  argoCdHealthCheckSettings,
  defaultArgoCdHealthChecksDir,
  readArgoCdHealthChecks,
  sameHealthScript,
} from './argoCdHealthChecks';
export type {
  ArgoCdFlavour,
  ArgoCdFlavourSetting,
  ArgoCdHealthCheck,
  ArgoCdHealthChecks,
  ArgoCdHealthCheckSettings,
} from './argoCdHealthChecks';
export {
  detectArgoCdFlavour,
  ensureArgoCdHealthChecks,
  inspectArgoCdHealthChecks,
} from './ensureArgoCdHealthChecks';
export type {
  ArgoCdFlavourInfo,
  ArgoCdHealthChecksState,
  HealthCheckMatch,
} from './ensureArgoCdHealthChecks';
