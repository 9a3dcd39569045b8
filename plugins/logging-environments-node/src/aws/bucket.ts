/**
 * The ensure operation of an environment's Loki bucket: create it or adopt
 * it, then write only the hardening settings that drifted.
 */
import {
  BucketLifecycleConfiguration,
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import {
  BucketHardening,
  DEFAULT_BUCKET_HARDENING,
  TLS_ONLY_SID,
  hardeningDrift,
  lokiLifecycleRules,
  tlsOnlyStatement,
} from './bucketHardening';
import { inspectBucket } from './bucketState';
import { AwsClients } from './clients';
import { EnsureError, step } from './errors';
import { TAG_ENVIRONMENT, ownershipTags } from './names';
import { EnsureOptions, EnsureResult, summarize } from './types';

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
