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
export { applicationsProbe } from './applicationsProbe';
export { argoCdHealthChecksProbe } from './argoCdHealthChecksProbe';
export { clusterCredentialsProbe } from './clusterCredentialsProbe';
export { operatorsProbe } from './operatorsProbe';
export { revisionProbe } from './revisionProbe';
export { secretStoreProbe } from './secretStoreProbe';
export { readChecklistOptions } from './readChecklistOptions';
export type { ChecklistOptions } from './readChecklistOptions';
export { secretScopeProbe } from './secretScopeProbe';
export type { ChecklistProbe, ProbeContext, ProbeResult } from './types';
