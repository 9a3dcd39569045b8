/**
 * What a bucket looks like, as far as the Loki hardening is concerned:
 * read-only, for the ensure operation and the checklist.
 */
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  LifecycleRule,
  S3Client,
  ServerSideEncryptionByDefault,
} from '@aws-sdk/client-s3';
import { awsErrorCode, awsStatus } from './errors';

/**
 * What a bucket looks like, as far as the hardening is concerned. Read-only;
 * used by the ensure operation and by the checklist.
 *
 * @public
 */
export interface BucketState {
  exists: boolean;
  /** The bucket exists but this account may not use it (owned elsewhere). */
  forbidden: boolean;
  tags: Record<string, string>;
  publicAccessBlock?: {
    BlockPublicAcls?: boolean;
    IgnorePublicAcls?: boolean;
    BlockPublicPolicy?: boolean;
    RestrictPublicBuckets?: boolean;
  };
  objectOwnership?: string;
  encryption?: ServerSideEncryptionByDefault & { bucketKeyEnabled?: boolean };
  versioning?: string;
  lifecycleRules: LifecycleRule[];
  policy?: { Version?: string; Statement?: any[] };
}

function missing(e: unknown, ...codes: string[]) {
  const code = awsErrorCode(e);
  return code !== undefined && codes.includes(code);
}

async function readOptional<T>(
  fn: () => Promise<T>,
  ...notFoundCodes: string[]
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (missing(e, ...notFoundCodes)) return undefined;
    throw e;
  }
}

/**
 * Reads a bucket's existence, tags and hardening settings.
 *
 * @public
 */
export async function inspectBucket(
  s3: S3Client,
  bucket: string,
): Promise<BucketState> {
  const state: BucketState = {
    exists: false,
    forbidden: false,
    tags: {},
    lifecycleRules: [],
  };
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    state.exists = true;
  } catch (e) {
    const status = awsStatus(e);
    if (status === 404 || missing(e, 'NotFound', 'NoSuchBucket')) return state;
    if (status === 403 || status === 301 || missing(e, 'Forbidden')) {
      // HeadBucket answers 403 for a bucket of another account (and 301 for
      // one in another region we cannot see into).
      return { ...state, exists: true, forbidden: true };
    }
    throw e;
  }

  const tagging = await readOptional(
    () => s3.send(new GetBucketTaggingCommand({ Bucket: bucket })),
    'NoSuchTagSet',
    'NoSuchTagSetError',
  );
  state.tags = Object.fromEntries(
    (tagging?.TagSet ?? []).map(t => [t.Key!, t.Value ?? '']),
  );
  const pab = await readOptional(
    () => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })),
    'NoSuchPublicAccessBlockConfiguration',
  );
  state.publicAccessBlock = pab?.PublicAccessBlockConfiguration;
  const ownership = await readOptional(
    () => s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket })),
    'OwnershipControlsNotFoundError',
  );
  state.objectOwnership =
    ownership?.OwnershipControls?.Rules?.[0]?.ObjectOwnership;
  const encryption = await readOptional(
    () => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
    'ServerSideEncryptionConfigurationNotFoundError',
  );
  const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
  if (rule?.ApplyServerSideEncryptionByDefault) {
    state.encryption = {
      ...rule.ApplyServerSideEncryptionByDefault,
      bucketKeyEnabled: rule.BucketKeyEnabled,
    };
  }
  const versioning = await s3.send(
    new GetBucketVersioningCommand({ Bucket: bucket }),
  );
  state.versioning = versioning.Status;
  const lifecycle = await readOptional(
    () =>
      s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })),
    'NoSuchLifecycleConfiguration',
  );
  state.lifecycleRules = lifecycle?.Rules ?? [];
  const policy = await readOptional(
    () => s3.send(new GetBucketPolicyCommand({ Bucket: bucket })),
    'NoSuchBucketPolicy',
  );
  state.policy = policy?.Policy ? JSON.parse(policy.Policy) : undefined;
  return state;
}
