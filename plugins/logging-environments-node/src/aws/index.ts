export { accessKeyOwner, callerIdentity, simulateAccess } from './access';
export type { AccessKeyOwner, SimulatedDecision } from './access';
export { AwsClientFactory, partitionOf } from './clients';
export type { AwsClients } from './clients';
export { ensureLokiBucket } from './bucket';
export {
  DEFAULT_BUCKET_HARDENING,
  LIFECYCLE_RULE_IDS,
  TLS_ONLY_SID,
  hardeningDrift,
  lokiLifecycleRules,
  tlsOnlyStatement,
} from './bucketHardening';
export type { BucketHardening } from './bucketHardening';
export { inspectBucket } from './bucketState';
export type { BucketState } from './bucketState';
export { EnsureError, awsErrorCode } from './errors';
export { ensureLokiIamUser, lokiPolicyDocument } from './iam';
export type { LokiIamUserInput } from './iam';
export { inspectLokiUser } from './iamUserState';
export { sameJson } from './json';
export type { LokiUserState } from './iamUserState';
export {
  TAG_ACCESS_KEY_ID,
  TAG_ACCESS_KEY_ISSUED,
  TAG_ENVIRONMENT,
  awsNamesFor,
  ownershipTags,
} from './names';
export {
  clientRequestToken,
  defaultS3Endpoint,
  describeSecret,
  ensureLokiSecret,
} from './secret';
export type { AccessKeyCredentials, LokiS3SecretValue } from './secret';
export type { EnsureOptions, EnsureResult } from './types';
