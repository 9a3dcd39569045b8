import {
  BucketLifecycleConfiguration,
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  LifecycleRule,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  ServerSideEncryptionByDefault,
} from '@aws-sdk/client-s3';
import { AwsClients } from './clients';
import { sameJson } from './json';
import { EnsureError, awsErrorCode, awsStatus, step } from './errors';
import { TAG_ENVIRONMENT, ownershipTags } from './names';
import { EnsureOptions, EnsureResult, summarize } from './types';

/** Sid of the TLS-only statement in the bucket policy. */
export const TLS_ONLY_SID = 'DenyInsecureTransport';
/** IDs of the lifecycle rules the bootstrap owns. */
export const LIFECYCLE_RULE_IDS = {
  noncurrent: 'logging-environments-expire-noncurrent-versions',
  multipart: 'logging-environments-abort-incomplete-multipart-uploads',
} as const;

/**
 * The hardening every Loki bucket gets.
 *
 * @public
 */
export interface BucketHardening {
  /** KMS key for default encryption; SSE-S3 (AES256) when absent. */
  kmsKeyId?: string;
  /** Days after which noncurrent object versions expire. */
  noncurrentVersionExpirationDays: number;
  /** Days after which incomplete multipart uploads are aborted. */
  abortIncompleteMultipartUploadDays: number;
}

/** @public */
export const DEFAULT_BUCKET_HARDENING: BucketHardening = {
  noncurrentVersionExpirationDays: 30,
  abortIncompleteMultipartUploadDays: 7,
};

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

/** The TLS-only statement for a bucket. */
export function tlsOnlyStatement(partition: string, bucket: string) {
  return {
    Sid: TLS_ONLY_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [
      `arn:${partition}:s3:::${bucket}`,
      `arn:${partition}:s3:::${bucket}/*`,
    ],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/** The lifecycle rules the bootstrap owns. */
export function lokiLifecycleRules(h: BucketHardening): LifecycleRule[] {
  return [
    {
      ID: LIFECYCLE_RULE_IDS.noncurrent,
      Status: 'Enabled',
      Filter: { Prefix: '' },
      NoncurrentVersionExpiration: {
        NoncurrentDays: h.noncurrentVersionExpirationDays,
      },
    },
    {
      ID: LIFECYCLE_RULE_IDS.multipart,
      Status: 'Enabled',
      Filter: { Prefix: '' },
      AbortIncompleteMultipartUpload: {
        DaysAfterInitiation: h.abortIncompleteMultipartUploadDays,
      },
    },
  ];
}

// Compare only what we set: S3 adds defaults (and moto omits some fields).
function sameRule(a: LifecycleRule, b: LifecycleRule): boolean {
  return (
    a.ID === b.ID &&
    a.Status === b.Status &&
    (a.NoncurrentVersionExpiration?.NoncurrentDays ?? null) ===
      (b.NoncurrentVersionExpiration?.NoncurrentDays ?? null) &&
    (a.AbortIncompleteMultipartUpload?.DaysAfterInitiation ?? null) ===
      (b.AbortIncompleteMultipartUpload?.DaysAfterInitiation ?? null)
  );
}

/**
 * Which hardening settings of a bucket differ from the wanted ones, in words.
 * Used by the ensure operation (to change only those) and the checklist (to
 * report them).
 *
 * @public
 */
export function hardeningDrift(
  state: BucketState,
  wanted: BucketHardening & {
    partition: string;
    bucket: string;
    tags: Record<string, string>;
  },
): string[] {
  const drift: string[] = [];
  const pab = state.publicAccessBlock;
  if (
    !pab?.BlockPublicAcls ||
    !pab.IgnorePublicAcls ||
    !pab.BlockPublicPolicy ||
    !pab.RestrictPublicBuckets
  ) {
    drift.push('block all public access');
  }
  if (state.objectOwnership !== 'BucketOwnerEnforced') {
    drift.push('enforce bucket-owner object ownership (ACLs disabled)');
  }
  const enc = state.encryption;
  if (wanted.kmsKeyId) {
    if (
      enc?.SSEAlgorithm !== 'aws:kms' ||
      enc.KMSMasterKeyID !== wanted.kmsKeyId ||
      !enc.bucketKeyEnabled
    ) {
      drift.push(`default encryption with KMS key ${wanted.kmsKeyId}`);
    }
  } else if (enc?.SSEAlgorithm !== 'AES256') {
    drift.push('default encryption with SSE-S3 (AES256)');
  }
  if (state.versioning !== 'Enabled') drift.push('enable versioning');
  for (const rule of lokiLifecycleRules(wanted)) {
    const current = state.lifecycleRules.find(r => r.ID === rule.ID);
    if (!current || !sameRule(current, rule)) {
      drift.push(`lifecycle rule ${rule.ID}`);
    }
  }
  const tls = state.policy?.Statement?.find((s: any) => s.Sid === TLS_ONLY_SID);
  if (
    !tls ||
    !sameJson(tls, tlsOnlyStatement(wanted.partition, wanted.bucket))
  ) {
    drift.push(
      'bucket policy: deny requests without TLS (aws:SecureTransport)',
    );
  }
  for (const [k, v] of Object.entries(wanted.tags)) {
    if (state.tags[k] !== v) drift.push(`tag ${k}=${v}`);
  }
  return drift;
}

/**
 * Creates the environment's Loki bucket, or adopts it when it already
 * exists and carries this environment's tag, then (re-)applies the
 * hardening: Block Public Access (all four), BucketOwnerEnforced, default
 * encryption (SSE-S3 or KMS), versioning, lifecycle rules for noncurrent
 * versions and incomplete multipart uploads, a TLS-only bucket policy and
 * the ownership tags. Only settings that differ are written; other lifecycle
 * rules, policy statements and tags are kept.
 *
 * A bucket of another account, or one in this account without this
 * environment's tag, is refused before anything is changed.
 *
 * @public
 */
export async function ensureLokiBucket(
  clients: AwsClients,
  input: {
    bucket: string;
    environment: string;
    tags?: Record<string, string>;
  } & Partial<BucketHardening>,
  options: EnsureOptions = {},
): Promise<EnsureResult> {
  const { s3, region, partition } = clients;
  const { bucket, environment } = input;
  const resource = `S3 bucket "${bucket}"`;
  const hardening: BucketHardening = {
    ...DEFAULT_BUCKET_HARDENING,
    ...Object.fromEntries(
      Object.entries(input).filter(
        // An input left out (undefined, as the scaffolder passes an empty
        // template field) keeps the default.
        ([k, v]) =>
          v !== undefined &&
          (k in DEFAULT_BUCKET_HARDENING || (k === 'kmsKeyId' && v !== '')),
      ),
    ),
  };
  const tags = { ...(input.tags ?? {}), ...ownershipTags(environment) };
  const done: string[] = [];

  let state = await step(resource, 'inspect', done, () =>
    inspectBucket(s3, bucket),
  );
  if (state.forbidden) {
    throw new EnsureError(
      resource,
      'adopt',
      'AccessDenied',
      done,
      undefined,
      'the bucket exists but belongs to another AWS account (or this account may not use it); choose another name',
    );
  }
  const existed = state.exists;
  if (existed && state.tags[TAG_ENVIRONMENT] !== environment) {
    const owner = state.tags[TAG_ENVIRONMENT];
    throw new EnsureError(
      resource,
      'adopt',
      'BucketNotOwned',
      done,
      undefined,
      owner
        ? `the bucket belongs to logging environment "${owner}", not "${environment}"`
        : `the bucket exists without the tag ${TAG_ENVIRONMENT}=${environment}; only buckets created for this environment are adopted`,
    );
  }

  if (!existed) {
    if (options.dryRun) {
      return summarize(
        resource,
        false,
        [
          'create the bucket',
          ...hardeningDrift(state, { ...hardening, partition, bucket, tags }),
        ],
        true,
      );
    }
    await step(resource, 'CreateBucket', done, () =>
      s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ObjectOwnership: 'BucketOwnerEnforced',
          CreateBucketConfiguration: {
            ...(region !== 'us-east-1'
              ? { LocationConstraint: region as any }
              : {}),
            // Tagged at creation, so an interrupted run can still adopt it.
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          },
        }),
      ),
    );
    done.push('created the bucket');
    state = await step(resource, 'inspect', done, () =>
      inspectBucket(s3, bucket),
    );
  }

  const drift = hardeningDrift(state, {
    ...hardening,
    partition,
    bucket,
    tags,
  });
  if (options.dryRun || drift.length === 0) {
    return summarize(resource, existed, drift, options.dryRun, existed);
  }
  const changes: string[] = [];
  const apply = async (label: string, fn: () => Promise<unknown>) => {
    await step(resource, label, done, fn);
    done.push(label);
    changes.push(label);
  };

  // Tags first: they are what lets an interrupted run adopt the bucket.
  if (drift.some(d => d.startsWith('tag '))) {
    await apply('tag the bucket', () =>
      s3.send(
        new PutBucketTaggingCommand({
          Bucket: bucket,
          Tagging: {
            TagSet: Object.entries({ ...state.tags, ...tags }).map(
              ([Key, Value]) => ({ Key, Value }),
            ),
          },
        }),
      ),
    );
  }
  if (drift.includes('block all public access')) {
    await apply('block all public access', () =>
      s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
        }),
      ),
    );
  }
  if (drift.some(d => d.startsWith('enforce bucket-owner'))) {
    await apply('enforce bucket-owner object ownership', () =>
      s3.send(
        new PutBucketOwnershipControlsCommand({
          Bucket: bucket,
          OwnershipControls: {
            Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
          },
        }),
      ),
    );
  }
  if (drift.some(d => d.startsWith('default encryption'))) {
    await apply(
      hardening.kmsKeyId
        ? 'default encryption with KMS'
        : 'default encryption with SSE-S3',
      () =>
        s3.send(
          new PutBucketEncryptionCommand({
            Bucket: bucket,
            ServerSideEncryptionConfiguration: {
              Rules: [
                hardening.kmsKeyId
                  ? {
                      ApplyServerSideEncryptionByDefault: {
                        SSEAlgorithm: 'aws:kms',
                        KMSMasterKeyID: hardening.kmsKeyId,
                      },
                      BucketKeyEnabled: true,
                    }
                  : {
                      ApplyServerSideEncryptionByDefault: {
                        SSEAlgorithm: 'AES256',
                      },
                      BucketKeyEnabled: false,
                    },
              ],
            },
          }),
        ),
    );
  }
  if (drift.includes('enable versioning')) {
    await apply('enable versioning', () =>
      s3.send(
        new PutBucketVersioningCommand({
          Bucket: bucket,
          VersioningConfiguration: { Status: 'Enabled' },
        }),
      ),
    );
  }
  if (drift.some(d => d.startsWith('lifecycle rule'))) {
    const ours = lokiLifecycleRules(hardening);
    const others = state.lifecycleRules.filter(
      r => !ours.some(o => o.ID === r.ID),
    );
    const configuration: BucketLifecycleConfiguration = {
      Rules: [...others, ...ours],
    };
    await apply('lifecycle rules', () =>
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: configuration,
        }),
      ),
    );
  }
  if (drift.some(d => d.startsWith('bucket policy'))) {
    const statements = (state.policy?.Statement ?? []).filter(
      (s: any) => s.Sid !== TLS_ONLY_SID,
    );
    await apply('TLS-only bucket policy', () =>
      s3.send(
        new PutBucketPolicyCommand({
          Bucket: bucket,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [...statements, tlsOnlyStatement(partition, bucket)],
          }),
        }),
      ),
    );
  }
  return summarize(
    resource,
    existed,
    existed ? changes : ['created the bucket', ...changes],
    false,
  );
}
