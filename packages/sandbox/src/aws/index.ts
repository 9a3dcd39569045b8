import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  paginateListPolicies,
  paginateListUsers,
} from '@aws-sdk/client-iam';
import {
  SecretsManagerClient,
  paginateListSecrets,
} from '@aws-sdk/client-secrets-manager';
import { clientPolicyText } from './transportPolicy';

export { startMoto } from './moto';
export { startAwsProxy } from './proxy';

/** One S3 bucket and its configuration. `null`: not configured. */
export interface BucketInventory {
  name: string;
  creationDate?: string;
  tags: Record<string, string>;
  /** The bucket policy document (parsed JSON). */
  policy: unknown | null;
  /** `ServerSideEncryptionConfiguration.Rules`. */
  encryption: unknown[] | null;
  /** `Status` (`Enabled`/`Suspended`) and `MFADelete`; `{}` if never set. */
  versioning: { status?: string; mfaDelete?: string };
  publicAccessBlock: {
    BlockPublicAcls?: boolean;
    IgnorePublicAcls?: boolean;
    BlockPublicPolicy?: boolean;
    RestrictPublicBuckets?: boolean;
  } | null;
  /** Lifecycle rules. */
  lifecycle: unknown[] | null;
  /** Ownership controls rules. */
  ownershipControls: unknown[] | null;
  /** Object keys and sizes (at most the first 1000). */
  objects: Array<{ key: string; size: number }>;
  objectsTruncated: boolean;
}

/** One IAM user; never a secret access key. */
export interface IamUserInventory {
  name: string;
  arn: string;
  tags: Record<string, string>;
  accessKeys: Array<{
    accessKeyId: string;
    status?: string;
    createDate?: string;
  }>;
  attachedPolicies: Array<{ name: string; arn: string }>;
  /** Inline policies by name (documents parsed). */
  inlinePolicies: Record<string, unknown>;
}

/** One customer-managed IAM policy with its default version's document. */
export interface IamPolicyInventory {
  name: string;
  arn: string;
  attachmentCount?: number;
  document: unknown;
}

/** One Secrets Manager secret: metadata and version ids, never values. */
export interface SecretInventory {
  name: string;
  arn: string;
  description?: string;
  tags: Record<string, string>;
  /** Version id to staging labels (`AWSCURRENT`, ...). */
  versions: Record<string, string[]>;
  /** Set when the secret is scheduled for deletion. */
  deletedDate?: string;
}

/** What moto holds, as `GET /snapshot` reports it. */
export interface AwsInventory {
  buckets: BucketInventory[];
  iam: { users: IamUserInventory[]; policies: IamPolicyInventory[] };
  secrets: SecretInventory[];
}

/** How to reach moto (or the proxy) with the admin identity. */
export interface AwsAccess {
  url: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const iso = (d: Date | undefined) => d?.toISOString();

function tagMap(
  tags: Array<{ Key?: string; Value?: string }> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    (tags ?? []).map(t => [t.Key ?? '', t.Value ?? '']),
  );
}

/** IAM returns policy documents URL-encoded. */
function parsePolicyDocument(doc: string | undefined): unknown {
  if (doc === undefined) return null;
  let text = doc;
  try {
    text = decodeURIComponent(doc);
  } catch {
    // not encoded
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The value of a call, or null when the configuration does not exist (404). */
async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (e: any) {
    if (e?.$metadata?.httpStatusCode === 404) return null;
    throw e;
  }
}

async function bucketInventory(
  s3: S3Client,
  name: string,
  creationDate: Date | undefined,
): Promise<BucketInventory> {
  const Bucket = name;
  const [
    tags,
    policy,
    encryption,
    versioning,
    pab,
    lifecycle,
    ownership,
    list,
  ] = await Promise.all([
    orNull(s3.send(new GetBucketTaggingCommand({ Bucket }))),
    orNull(s3.send(new GetBucketPolicyCommand({ Bucket }))),
    orNull(s3.send(new GetBucketEncryptionCommand({ Bucket }))),
    s3.send(new GetBucketVersioningCommand({ Bucket })),
    orNull(s3.send(new GetPublicAccessBlockCommand({ Bucket }))),
    orNull(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))),
    orNull(s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))),
    s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1000 })),
  ]);
  return {
    name,
    creationDate: iso(creationDate),
    tags: tagMap(tags?.TagSet),
    // Read from moto itself: its policy may be the proxy's view of the
    // client's (transportPolicy.ts).
    policy: policy?.Policy
      ? parsePolicyDocument(clientPolicyText(policy.Policy))
      : null,
    encryption: encryption?.ServerSideEncryptionConfiguration?.Rules ?? null,
    versioning: {
      ...(versioning.Status ? { status: versioning.Status } : {}),
      ...(versioning.MFADelete ? { mfaDelete: versioning.MFADelete } : {}),
    },
    publicAccessBlock: pab?.PublicAccessBlockConfiguration ?? null,
    lifecycle: lifecycle?.Rules ?? null,
    ownershipControls: ownership?.OwnershipControls?.Rules ?? null,
    objects: (list.Contents ?? []).map(o => ({
      key: o.Key ?? '',
      size: o.Size ?? 0,
    })),
    objectsTruncated: Boolean(list.IsTruncated),
  };
}

async function iamInventory(iam: IAMClient): Promise<AwsInventory['iam']> {
  const users: IamUserInventory[] = [];
  for await (const page of paginateListUsers({ client: iam }, {})) {
    for (const user of page.Users ?? []) {
      const UserName = user.UserName!;
      const [keys, attached, inlineNames, tags] = await Promise.all([
        iam.send(new ListAccessKeysCommand({ UserName })),
        iam.send(new ListAttachedUserPoliciesCommand({ UserName })),
        iam.send(new ListUserPoliciesCommand({ UserName })),
        iam.send(new ListUserTagsCommand({ UserName })),
      ]);
      const inline = await Promise.all(
        (inlineNames.PolicyNames ?? []).map(async PolicyName => {
          const p = await iam.send(
            new GetUserPolicyCommand({ UserName, PolicyName }),
          );
          return [PolicyName, parsePolicyDocument(p.PolicyDocument)] as const;
        }),
      );
      users.push({
        name: UserName,
        arn: user.Arn ?? '',
        tags: tagMap(tags.Tags),
        accessKeys: (keys.AccessKeyMetadata ?? []).map(k => ({
          accessKeyId: k.AccessKeyId ?? '',
          status: k.Status,
          createDate: iso(k.CreateDate),
        })),
        attachedPolicies: (attached.AttachedPolicies ?? []).map(p => ({
          name: p.PolicyName ?? '',
          arn: p.PolicyArn ?? '',
        })),
        inlinePolicies: Object.fromEntries(inline),
      });
    }
  }
  const policies: IamPolicyInventory[] = [];
  for await (const page of paginateListPolicies(
    { client: iam },
    { Scope: 'Local' },
  )) {
    for (const policy of page.Policies ?? []) {
      const PolicyArn = policy.Arn!;
      const full = await iam.send(new GetPolicyCommand({ PolicyArn }));
      const versionId =
        full.Policy?.DefaultVersionId ?? policy.DefaultVersionId;
      const version = versionId
        ? await iam.send(
            new GetPolicyVersionCommand({ PolicyArn, VersionId: versionId }),
          )
        : undefined;
      policies.push({
        name: policy.PolicyName ?? '',
        arn: PolicyArn,
        attachmentCount: policy.AttachmentCount,
        document: parsePolicyDocument(version?.PolicyVersion?.Document),
      });
    }
  }
  return { users, policies };
}

async function secretsInventory(
  sm: SecretsManagerClient,
): Promise<SecretInventory[]> {
  const out: SecretInventory[] = [];
  for await (const page of paginateListSecrets(
    { client: sm },
    { IncludePlannedDeletion: true },
  )) {
    for (const s of page.SecretList ?? []) {
      out.push({
        name: s.Name ?? '',
        arn: s.ARN ?? '',
        ...(s.Description ? { description: s.Description } : {}),
        tags: tagMap(s.Tags),
        versions: s.SecretVersionsToStages ?? {},
        ...(s.DeletedDate ? { deletedDate: iso(s.DeletedDate) } : {}),
      });
    }
  }
  return out;
}

/**
 * Reads what moto holds: buckets with their configuration, IAM users with
 * access key ids and policies, Secrets Manager secrets with version ids.
 * Never reads a secret value or a secret access key.
 */
export async function awsInventory(access: AwsAccess): Promise<AwsInventory> {
  const config = {
    endpoint: access.url,
    region: access.region,
    credentials: {
      accessKeyId: access.accessKeyId,
      secretAccessKey: access.secretAccessKey,
    },
    maxAttempts: 1,
  };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const iam = new IAMClient(config);
  const sm = new SecretsManagerClient(config);
  try {
    const listed = await s3.send(new ListBucketsCommand({}));
    const [buckets, iamState, secrets] = await Promise.all([
      Promise.all(
        (listed.Buckets ?? []).map(b =>
          bucketInventory(s3, b.Name!, b.CreationDate),
        ),
      ),
      iamInventory(iam),
      secretsInventory(sm),
    ]);
    return {
      buckets: buckets.sort((a, b) => a.name.localeCompare(b.name)),
      iam: iamState,
      secrets: secrets.sort((a, b) => a.name.localeCompare(b.name)),
    };
  } finally {
    s3.destroy();
    iam.destroy();
    sm.destroy();
  }
}
