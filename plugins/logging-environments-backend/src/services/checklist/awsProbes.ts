import {
  DEFAULT_BUCKET_HARDENING,
  LIFECYCLE_RULE_IDS,
  TAG_ACCESS_KEY_ID,
  TAG_ENVIRONMENT,
  TLS_ONLY_SID,
  awsNamesFor,
  describeSecret,
  hardeningDrift,
  inspectBucket,
  lokiPolicyDocument,
  sameJson,
  tlsOnlyStatement,
} from '@internal/plugin-logging-environments-node';
import { LOGGING_ANNOTATIONS } from '@internal/plugin-logging-environments-common';
import { Environment } from '../types';
import { ChecklistProbe, ProbeResult } from './types';

/** The bucket the environment names, or the bootstrap's default. */
export function bucketOf(environment: Environment): string {
  return environment.bucket ?? `${environment.name}-loki`;
}

/** The Secrets Manager secret the environment names, or the bootstrap's default. */
export function secretOf(environment: Environment): string {
  return environment.secret ?? awsNamesFor(environment.name).secret;
}

/** The result of an AWS probe for an environment without a region. */
export function noRegion(): ProbeResult {
  return {
    status: 'fail',
    message: `The environment names no AWS region (annotation ${LOGGING_ANNOTATIONS.region})`,
    evidence: {},
  };
}

/**
 * `bucket`: the Loki bucket exists, carries the environment's tag and has
 * the hardening the bootstrap applies (Block Public Access, BucketOwnerEnforced,
 * default encryption, versioning, the two lifecycle rules, the TLS-only
 * policy statement).
 *
 * @public
 */
export const bucketProbe: ChecklistProbe = {
  id: 'bucket',
  title: 'S3 bucket',
  target: 'aws',
  async run({ environment, aws }) {
    if (!environment.region) return noRegion();
    const clients = await aws();
    const bucket = bucketOf(environment);
    const state = await inspectBucket(clients.s3, bucket);
    const evidence: ProbeResult['evidence'] = {
      bucket,
      region: clients.region,
    };
    if (!state.exists) {
      return {
        status: 'fail',
        message: `S3 bucket "${bucket}" does not exist`,
        evidence,
      };
    }
    if (state.forbidden) {
      return {
        status: 'fail',
        message: `S3 bucket "${bucket}" exists but the portal's AWS identity may not read it (it belongs to another account, or the permissions are missing)`,
        evidence,
      };
    }
    const tag = state.tags[TAG_ENVIRONMENT];
    const enc = state.encryption;
    const pab = state.publicAccessBlock ?? {};
    const blocked = (
      [
        'BlockPublicAcls',
        'IgnorePublicAcls',
        'BlockPublicPolicy',
        'RestrictPublicBuckets',
      ] as const
    ).filter(k => pab[k]);
    const tls = state.policy?.Statement?.find(
      (s: { Sid?: string }) => s.Sid === TLS_ONLY_SID,
    );
    Object.assign(evidence, {
      environmentTag: tag ?? '(none)',
      versioning: state.versioning ?? 'never enabled',
      encryption: enc?.SSEAlgorithm
        ? `${enc.SSEAlgorithm}${
            enc.KMSMasterKeyID ? ` (${enc.KMSMasterKeyID})` : ''
          }`
        : 'none',
      publicAccessBlock:
        blocked.length === 4
          ? 'all four settings on'
          : `${blocked.length} of 4 settings on`,
      objectOwnership: state.objectOwnership ?? '(none)',
      lifecycleRuleIds:
        state.lifecycleRules.map(r => r.ID ?? '(no id)').join(', ') || '(none)',
      policyTlsOnly: Boolean(
        tls && sameJson(tls, tlsOnlyStatement(clients.partition, bucket)),
      ),
    });
    if (tag !== environment.name) {
      return {
        status: 'fail',
        message: tag
          ? `S3 bucket "${bucket}" belongs to logging environment "${tag}", not "${environment.name}"`
          : `S3 bucket "${bucket}" lacks the tag ${TAG_ENVIRONMENT}=${environment.name}`,
        evidence,
      };
    }
    // The days of the lifecycle rules are the bootstrap's inputs; the probe
    // checks the rules are there and enabled, with whatever days were chosen.
    const ruleDays = (id: string) =>
      state.lifecycleRules.find(r => r.ID === id);
    const drift = hardeningDrift(state, {
      ...DEFAULT_BUCKET_HARDENING,
      noncurrentVersionExpirationDays:
        ruleDays(LIFECYCLE_RULE_IDS.noncurrent)?.NoncurrentVersionExpiration
          ?.NoncurrentDays ??
        DEFAULT_BUCKET_HARDENING.noncurrentVersionExpirationDays,
      abortIncompleteMultipartUploadDays:
        ruleDays(LIFECYCLE_RULE_IDS.multipart)?.AbortIncompleteMultipartUpload
          ?.DaysAfterInitiation ??
        DEFAULT_BUCKET_HARDENING.abortIncompleteMultipartUploadDays,
      // A KMS key is the bootstrap's input too: any key is accepted, SSE-S3
      // otherwise.
      kmsKeyId:
        enc?.SSEAlgorithm === 'aws:kms' ? enc.KMSMasterKeyID : undefined,
      partition: clients.partition,
      bucket,
      tags: {},
    });
    if (drift.length > 0) {
      return {
        status: 'fail',
        message: `S3 bucket "${bucket}" lacks the bootstrap's hardening: ${drift.join(
          '; ',
        )}`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `S3 bucket "${bucket}" exists, is tagged for ${environment.name} and hardened (versioning, encryption, public access blocked, lifecycle rules, TLS only)`,
      evidence,
    };
  },
};

/**
 * `iam-policy`: the Loki IAM user exists, is the environment's, has exactly
 * the Loki policy (one inline policy equal to `lokiPolicyDocument`, no
 * attached policies, no other inline policies, no groups) and exactly one
 * active access key.
 *
 * @public
 */
export const iamPolicyProbe: ChecklistProbe = {
  id: 'iam-policy',
  title: 'IAM user and policy',
  target: 'aws',
  async run({ environment, aws, lokiUser, secret }) {
    if (!environment.region) return noRegion();
    const clients = await aws();
    const names = awsNamesFor(environment.name);
    const user = await lokiUser();
    for (const key of user.accessKeys) secret(key.id);
    const evidence: ProbeResult['evidence'] = { user: names.iamUser };
    if (!user.exists) {
      return {
        status: 'fail',
        message: `IAM user "${names.iamUser}" does not exist`,
        evidence,
      };
    }
    const wanted = lokiPolicyDocument(clients.partition, bucketOf(environment));
    const policyMatches = sameJson(
      user.inlinePolicies[names.inlinePolicy],
      wanted,
    );
    const extraInline = Object.keys(user.inlinePolicies).filter(
      n => n !== names.inlinePolicy,
    );
    const active = user.accessKeys.filter(k => k.status === 'Active');
    Object.assign(evidence, {
      environmentTag: user.tags[TAG_ENVIRONMENT] ?? '(none)',
      inlinePolicies: Object.keys(user.inlinePolicies).join(', ') || '(none)',
      lokiPolicyMatches: policyMatches,
      attachedPolicies: user.attachedPolicyArns.join(', ') || '(none)',
      groups: user.groups.join(', ') || '(none)',
      accessKeys: user.accessKeys.length,
      activeAccessKeys: active.length,
    });
    const problems: string[] = [];
    if (user.tags[TAG_ENVIRONMENT] !== environment.name) {
      problems.push(`not tagged ${TAG_ENVIRONMENT}=${environment.name}`);
    }
    if (!(names.inlinePolicy in user.inlinePolicies)) {
      problems.push(`inline policy ${names.inlinePolicy} is missing`);
    } else if (!policyMatches) {
      problems.push(
        `inline policy ${names.inlinePolicy} differs from the Loki policy (s3:ListBucket on the bucket; s3:GetObject, s3:PutObject, s3:DeleteObject on its objects)`,
      );
    }
    if (extraInline.length) {
      problems.push(`extra inline policies: ${extraInline.join(', ')}`);
    }
    if (user.attachedPolicyArns.length) {
      problems.push(
        `attached managed policies: ${user.attachedPolicyArns.join(', ')}`,
      );
    }
    if (user.groups.length) {
      problems.push(`member of groups: ${user.groups.join(', ')}`);
    }
    if (user.accessKeys.length !== 1 || active.length !== 1) {
      problems.push(
        `${user.accessKeys.length} access key(s), ${active.length} active (exactly one active key expected)`,
      );
    }
    if (problems.length) {
      return {
        status: 'fail',
        message: `IAM user "${names.iamUser}": ${problems.join('; ')}`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `IAM user "${names.iamUser}" has exactly the Loki policy and one active access key`,
      evidence,
    };
  },
};

/**
 * `secret`: the Secrets Manager secret exists (DescribeSecret only: its
 * value is never read), is the environment's, is not scheduled for
 * deletion, and its access-key tag names the Loki user's active key.
 *
 * @public
 */
export const secretProbe: ChecklistProbe = {
  id: 'secret',
  title: 'Secrets Manager secret',
  target: 'aws',
  async run({ environment, aws, lokiUser, secret }) {
    if (!environment.region) return noRegion();
    const clients = await aws();
    const name = secretOf(environment);
    const described = await describeSecret(clients, name);
    const evidence: ProbeResult['evidence'] = { secret: name };
    if (!described) {
      return {
        status: 'fail',
        message: `Secrets Manager secret "${name}" does not exist`,
        evidence,
      };
    }
    const tags = Object.fromEntries(
      (described.Tags ?? []).map(t => [t.Key ?? '', t.Value ?? '']),
    );
    const keyTag = tags[TAG_ACCESS_KEY_ID];
    secret(keyTag);
    Object.assign(evidence, {
      lastChanged: described.LastChangedDate
        ? new Date(described.LastChangedDate).toISOString()
        : '(unknown)',
      versions: Object.keys(described.VersionIdsToStages ?? {}).length,
      kmsKey: described.KmsKeyId ?? 'aws/secretsmanager (AWS managed key)',
      environmentTag: tags[TAG_ENVIRONMENT] ?? '(none)',
      accessKeyTag: keyTag ? 'present' : 'missing',
    });
    if (described.DeletedDate) {
      return {
        status: 'fail',
        message: `Secrets Manager secret "${name}" is scheduled for deletion (since ${new Date(
          described.DeletedDate,
        ).toISOString()})`,
        evidence,
      };
    }
    if (tags[TAG_ENVIRONMENT] !== environment.name) {
      return {
        status: 'fail',
        message: `Secrets Manager secret "${name}" lacks the tag ${TAG_ENVIRONMENT}=${environment.name}`,
        evidence,
      };
    }
    if (!keyTag) {
      return {
        status: 'fail',
        message: `Secrets Manager secret "${name}" does not say which access key it holds (tag ${TAG_ACCESS_KEY_ID} is missing): it was not written by the bootstrap's IAM step`,
        evidence,
      };
    }
    const user = await lokiUser();
    for (const key of user.accessKeys) secret(key.id);
    const active = user.accessKeys.filter(k => k.status === 'Active');
    const matches = active.some(k => k.id === keyTag);
    evidence.accessKeyIdMatchesIamUser = matches;
    if (!matches) {
      return {
        status: 'fail',
        message: `Secrets Manager secret "${name}" holds an access key that is not the active key of IAM user "${
          awsNamesFor(environment.name).iamUser
        }" (rotated or deleted outside the bootstrap?)`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Secrets Manager secret "${name}" exists and holds the Loki user's active access key (by its tag; the value was not read)`,
      evidence,
    };
  },
};
