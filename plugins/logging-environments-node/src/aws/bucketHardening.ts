/**
 * The hardening every Loki bucket gets (Block Public Access, bucket-owner
 * object ownership, default encryption, versioning, lifecycle rules, a
 * TLS-only policy, ownership tags), and how far a bucket is from it, in
 * words. Pure: no AWS calls.
 */
import { LifecycleRule } from '@aws-sdk/client-s3';
import { BucketState } from './bucketState';
import { sameJson } from './json';

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
