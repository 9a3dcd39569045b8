export { accessKeyOwner, simulateAccess } from './access';
export type { AccessKeyOwner, SimulatedDecision } from './access';
export { AwsClientFactory, partitionOf } from './clients';
export type { AwsClients } from './clients';
export {
  DEFAULT_BUCKET_HARDENING,
  LIFECYCLE_RULE_IDS,
  TLS_ONLY_SID,
  ensureLokiBucket,
  hardeningDrift,
  inspectBucket,
  lokiLifecycleRules,
  tlsOnlyStatement,
} from './bucket';
export type { BucketHardening, BucketState } from './bucket';
export { EnsureError, awsErrorCode } from './errors';
export { ensureLokiIamUser, inspectLokiUser, lokiPolicyDocument } from './iam';
export type { LokiIamUserInput } from './iam';
export type { LokiUserState } from './iam';
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
