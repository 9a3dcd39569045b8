/**
 * Validation rules that real S3 and IAM apply to a request's own content and
 * moto 5.2 does not (it accepts these requests): pure functions, applied by
 * the AWS proxy (see requestGuards.ts). Each names its source.
 */

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

// General purpose bucket naming rules:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = [
  '-s3alias',
  '--ol-s3',
  '.mrap',
  '--x-s3',
  '--table-s3',
];

/**
 * Why a general purpose bucket name is invalid, or undefined when it is
 * valid. S3 answers CreateBucket with such a name with 400
 * `InvalidBucketName` "The specified bucket is not valid."
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList);
 * moto checks only the length.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) {
    return 'must be between 3 and 63 characters long';
  }
  if (!/^[a-z0-9.-]+$/.test(name)) {
    return 'can consist only of lowercase letters, numbers, dots and hyphens';
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return 'must begin and end with a letter or number';
  }
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) {
    return 'must not be formatted as an IP address';
  }
  const prefix = RESERVED_PREFIXES.find(p => name.startsWith(p));
  if (prefix) return `must not start with the reserved prefix ${prefix}`;
  const suffix = RESERVED_SUFFIXES.find(s => name.endsWith(s));
  if (suffix) return `must not end with the reserved suffix ${suffix}`;
  return undefined;
}

/**
 * The message of S3's 400 `MalformedPolicy` answer to a PutBucketPolicy
 * body, or undefined when the policy passes these checks (a subset of S3's:
 * the document's shape, not its actions, resources or principals' existence).
 * The code is in
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList;
 * the grammar (Statement, Effect, and Principal which resource-based
 * policies require) in
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html;
 * the messages are S3's own, as its answers quote them ("Policies must be
 * valid JSON and the first byte must be '{'", "This policy contains invalid
 * Json", "Missing required field Principal", ...).
 */
export function bucketPolicyProblem(text: string): string | undefined {
  if (!text.startsWith('{')) {
    return "Policies must be valid JSON and the first byte must be '{'";
  }
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return 'This policy contains invalid Json';
  }
  if (!isObject(policy)) return 'This policy contains invalid Json';
  if (!('Statement' in policy)) return 'Missing required field Statement';
  const statements = asList(policy.Statement);
  if (statements.length === 0) {
    return 'Could not parse the policy: Statement is empty!';
  }
  for (const statement of statements) {
    if (!isObject(statement)) return 'This policy contains invalid Json';
    if (statement.Effect === undefined) return 'Missing required field Effect';
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
      return `Invalid effect: ${String(statement.Effect)}`;
    }
    if (
      statement.Principal === undefined &&
      statement.NotPrincipal === undefined
    ) {
      return 'Missing required field Principal';
    }
  }
  return undefined;
}

// Condition keys that make a grant non-public when they have a fixed value
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status,
// also in the SDK's PublicAccessBlockConfiguration documentation:
// https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/S3/TPublicAccessBlockConfiguration.html).
const RESTRICTING_KEYS = new Set(
  [
    'aws:SourceIp',
    'aws:SourceArn',
    'aws:SourceVpc',
    'aws:SourceVpce',
    'aws:SourceOwner',
    'aws:SourceAccount',
    'aws:userid',
    's3:x-amz-server-side-encryption-aws-kms-key-id',
  ].map(k => k.toLowerCase()),
);
const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0']);

/** Whether a principal element names everyone (`*`, or any wildcard ARN). */
function publicPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  if (!isObject(principal)) return false;
  return Object.values(principal).some(v =>
    asList(v).some(p => typeof p === 'string' && p.includes('*')),
  );
}

/**
 * Whether a condition block pins a grant to fixed values of a restricting
 * key: a positive operator (not `Not...`, not `...IfExists`, which hold when
 * the key is absent) whose values have no wildcard (so not `aws:userid`
 * `AROLEID:*`) and, for `aws:SourceIp`, do not include every address.
 */
function restrictingCondition(condition: unknown): boolean {
  if (!isObject(condition)) return false;
  return Object.entries(condition).some(([operator, keys]) => {
    if (/not|ifexists$|^null$/i.test(operator) || !isObject(keys)) {
      return false;
    }
    return Object.entries(keys).some(([key, raw]) => {
      const k = key.toLowerCase();
      if (!RESTRICTING_KEYS.has(k)) return false;
      const values = asList(raw).map(String);
      if (values.length === 0) return false;
      if (values.some(v => v.includes('*') || v.includes('?'))) return false;
      if (k === 'aws:sourceip') return !values.some(v => OPEN_CIDRS.has(v));
      return true;
    });
  });
}

/**
 * Whether S3 considers a bucket policy public: it grants (Allow) to
 * everyone (`Principal` `*`, a wildcard principal, or `NotPrincipal`)
 * without a condition that pins a restricting key to fixed values. With the
 * bucket's `BlockPublicPolicy`, S3 refuses such a PutBucketPolicy with 403
 * `AccessDenied`
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html).
 * Deny statements are never public (the TLS-only statement is not).
 */
export function isPublicBucketPolicy(text: string): boolean {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isObject(policy)) return false;
  return asList(policy.Statement).some(
    s =>
      isObject(s) &&
      s.Effect === 'Allow' &&
      (publicPrincipal(s.Principal) || s.NotPrincipal !== undefined) &&
      !restrictingCondition(s.Condition),
  );
}

// ServerSideEncryptionByDefault.SSEAlgorithm, valid values for general
// purpose buckets:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html
// (the SDK's enum also has `aws:fsx`, which only FSx-attached access points
// report). S3 answers any other value with 400 `MalformedXML` (the XML does
// not validate against its schema), as seen from real S3 in
// https://github.com/aws-controllers-k8s/community/issues/1505 ("SSE-KMS").
const SSE_ALGORITHMS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);

/**
 * The first `SSEAlgorithm` of a PutBucketEncryption body that S3 does not
 * accept, or undefined when all are valid.
 */
export function unknownSseAlgorithm(xml: string): string | undefined {
  for (const m of xml.matchAll(/<SSEAlgorithm>([^<]*)<\/SSEAlgorithm>/g)) {
    const value = m[1].trim();
    if (!SSE_ALGORITHMS.has(value)) return value;
  }
  return undefined;
}

/**
 * The aggregate size quota of a user's inline policies, in non-whitespace
 * characters ("User policy size cannot exceed 2,048 characters ... IAM
 * doesn't count white space"):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 * (GetAccountSummary's `UserPolicySizeQuota`). PutUserPolicy beyond it is
 * answered 409 `LimitExceeded` "Maximum policy size of 2048 bytes exceeded
 * for user <name>".
 */
export const USER_POLICY_SIZE_QUOTA = 2048;

/** A policy document's size as IAM counts it: its non-whitespace characters. */
export function policySize(document: string): number {
  return document.replace(/\s/g, '').length;
}
