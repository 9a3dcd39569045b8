export {
  DEFAULT_PROBES,
  DEFAULT_PROBE_TIMEOUT_MS,
  DefaultChecklistService,
  overallStatus,
} from './DefaultChecklistService';
export type { AwsClientSource } from './DefaultChecklistService';
export {
  bucketOf,
  bucketProbe,
  iamPolicyProbe,
  secretOf,
  secretProbe,
} from './awsProbes';
export {
  applicationsProbe,
  clusterCredentialsProbe,
  operatorsProbe,
  revisionProbe,
  secretStoreProbe,
} from './clusterProbes';
export { secretScopeProbe } from './secretScopeProbe';
export type { ChecklistProbe, ProbeContext, ProbeResult } from './types';
