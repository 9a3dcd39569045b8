export {
  ALLOWED_NAMESPACED_KINDS,
  IN_CLUSTER_SERVER,
  allowedClusterRoleBindings,
  appProjectProblems,
  argoManifestProblems,
  applicationBinding,
  applicationProblems,
  sameRepoUrl,
} from './argoShape';
export type { ExpectedArgoShape } from './argoShape';
export { assertMatchesRecord } from './checks';
export type { RecordedFacts } from './checks';
export { EnvironmentRecordsClient } from './EnvironmentRecordsClient';
export type { EnvironmentRecordsApi } from './EnvironmentRecordsClient';
