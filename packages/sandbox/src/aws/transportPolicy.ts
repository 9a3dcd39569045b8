/**
 * Bucket policy statements conditioned on `aws:SecureTransport`, evaluated
 * per request by the AWS proxy, because moto cannot.
 *
 * moto 5.2.1 enforces a bucket policy on object calls but has no request
 * context for conditions: a statement with a `Condition` whose action
 * matches counts as a Deny for every object call (see its
 * `IAMPolicyStatement.is_action_permitted`). So the common TLS-only
 * statement (`Deny` `s3:*` with `{"Bool": {"aws:SecureTransport": "false"}}`)
 * refuses every object call, whatever the transport.
 *
 * What the proxy does instead:
 * - PutBucketPolicy: the policy is forwarded to moto as a *moto view*: the
 *   statements whose only condition is `aws:SecureTransport` are taken out
 *   (Deny) or kept without their condition when it holds over TLS (Allow),
 *   and the client's policy text rides along, verbatim, under
 *   {@link CLIENT_POLICY_KEY} (moto reads only `Statement`). moto holds it
 *   all, so the state journal, replay at restart, DeleteBucketPolicy,
 *   DeleteBucket and reset need nothing more.
 * - GetBucketPolicy: moto's answer is replaced by the client's text
 *   ({@link clientPolicyText}).
 * - object calls: the taken-out Deny statements are evaluated for the
 *   request's transport ({@link transportDenial}); a match is refused with
 *   S3's 403 `AccessDenied`.
 */

/** Top-level key of a moto view that holds the client's policy text. */
export const CLIENT_POLICY_KEY = 'SandboxClientPolicy';

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
  [key: string]: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function statementsOf(policy: Record<string, unknown>): Statement[] {
  const raw = policy.Statement;
  if (Array.isArray(raw)) return raw.filter(isObject);
  return isObject(raw) ? [raw] : [];
}

/**
 * When a statement's only condition is `aws:SecureTransport` (operator
 * `Bool` or `BoolIfExists`, which are the same for S3, where the key always
 * exists): the transports it holds for. Otherwise undefined.
 */
export function transportCondition(
  statement: Statement,
): { tls: boolean; plain: boolean } | undefined {
  const condition = statement.Condition;
  if (!isObject(condition)) return undefined;
  const operators = Object.keys(condition);
  if (operators.length !== 1) return undefined;
  const [operator] = operators;
  if (!['bool', 'boolifexists'].includes(operator.toLowerCase())) {
    return undefined;
  }
  const keys = condition[operator];
  if (!isObject(keys)) return undefined;
  const names = Object.keys(keys);
  if (names.length !== 1 || names[0].toLowerCase() !== 'aws:securetransport') {
    return undefined;
  }
  const raw = keys[names[0]];
  const values = (Array.isArray(raw) ? raw : [raw]).map(v =>
    String(v).toLowerCase(),
  );
  if (values.some(v => v !== 'true' && v !== 'false')) return undefined;
  return { tls: values.includes('true'), plain: values.includes('false') };
}

/**
 * The policy moto gets for a PutBucketPolicy body, or undefined when it has
 * no statement conditioned on `aws:SecureTransport` alone (or is not JSON):
 * then it is forwarded unchanged.
 */
export function motoPolicyView(clientText: string): string | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(clientText);
  } catch {
    return undefined;
  }
  if (!isObject(policy)) return undefined;
  const statements = statementsOf(policy);
  if (!statements.some(s => transportCondition(s))) return undefined;
  const kept: Statement[] = [];
  for (const statement of statements) {
    const holds = transportCondition(statement);
    if (!holds) {
      kept.push(statement);
    } else if (statement.Effect === 'Allow' && holds.tls) {
      // Grants over TLS: moto applies it without the condition. (A grant
      // only matters to moto for unsigned requests.)
      const { Condition: _, ...unconditional } = statement;
      kept.push(unconditional);
    }
    // Deny statements are the proxy's to enforce (transportDenial).
  }
  const { Statement: _statement, ...rest } = policy;
  return JSON.stringify({
    ...rest,
    Statement: kept,
    [CLIENT_POLICY_KEY]: clientText,
  });
}

/** The client's policy text of what moto holds (moto's text if not a view). */
export function clientPolicyText(motoText: string): string {
  try {
    const parsed = JSON.parse(motoText);
    if (isObject(parsed) && typeof parsed[CLIENT_POLICY_KEY] === 'string') {
      return parsed[CLIENT_POLICY_KEY] as string;
    }
  } catch {
    // not JSON: moto's text as it is
  }
  return motoText;
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** IAM wildcards: `*` any run, `?` one character. */
function wildcard(pattern: string, value: string, ignoreCase: boolean) {
  const re = pattern
    .split('')
    .map(c => {
      if (c === '*') return '.*';
      if (c === '?') return '.';
      return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

function matches(
  positive: unknown,
  negative: unknown,
  value: string,
  ignoreCase: boolean,
): boolean {
  if (positive !== undefined) {
    return list(positive).some(p => wildcard(p, value, ignoreCase));
  }
  if (negative !== undefined) {
    return !list(negative).some(p => wildcard(p, value, ignoreCase));
  }
  return false;
}

// Object-level S3 operations and the IAM action S3 authorizes them as.
const OBJECT_ACTIONS: Record<string, string> = {
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  GetObjectAttributes: 's3:GetObject',
  SelectObjectContent: 's3:GetObject',
  PutObject: 's3:PutObject',
  CopyObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  UploadPartCopy: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  DeleteObject: 's3:DeleteObject',
  GetObjectTagging: 's3:GetObjectTagging',
  PutObjectTagging: 's3:PutObjectTagging',
  DeleteObjectTagging: 's3:DeleteObjectTagging',
  GetObjectAcl: 's3:GetObjectAcl',
  PutObjectAcl: 's3:PutObjectAcl',
  GetObjectRetention: 's3:GetObjectRetention',
  PutObjectRetention: 's3:PutObjectRetention',
  GetObjectLegalHold: 's3:GetObjectLegalHold',
  PutObjectLegalHold: 's3:PutObjectLegalHold',
  RestoreObject: 's3:RestoreObject',
};

/**
 * The bucket, object ARN and IAM action of a path-style S3 object call
 * (undefined for bucket-level calls), e.g. `GetObject` with a `versionId`
 * is `s3:GetObjectVersion` on `arn:aws:s3:::bucket/key`.
 */
export function objectRequest(
  operation: string,
  rawUrl: string,
): { bucket: string; action: string; resource: string } | undefined {
  let action = OBJECT_ACTIONS[operation];
  if (!action) return undefined;
  const url = new URL(rawUrl, 'http://proxy');
  const path = url.pathname.replace(/^\/+/, '');
  const slash = path.indexOf('/');
  if (slash <= 0) return undefined;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const bucket = decode(path.slice(0, slash));
  const key = decode(path.slice(slash + 1));
  if (url.searchParams.has('versionId')) {
    if (action === 's3:GetObject') action = 's3:GetObjectVersion';
    else if (action === 's3:DeleteObject') action = 's3:DeleteObjectVersion';
  }
  return { bucket, action, resource: `arn:aws:s3:::${bucket}/${key}` };
}

/**
 * Whether a Deny statement of the client's policy that is conditioned on
 * `aws:SecureTransport` alone refuses this object call over this transport
 * (Action/NotAction and Resource/NotResource with IAM wildcards; Principal
 * is not evaluated: such a statement applies to every caller). `motoText`
 * is the policy moto holds for the bucket.
 */
export function transportDenial(
  motoText: string,
  request: { action: string; resource: string; secure: boolean },
): boolean {
  let policy: unknown;
  try {
    policy = JSON.parse(motoText);
  } catch {
    return false;
  }
  if (!isObject(policy) || typeof policy[CLIENT_POLICY_KEY] !== 'string') {
    return false;
  }
  let client: unknown;
  try {
    client = JSON.parse(policy[CLIENT_POLICY_KEY] as string);
  } catch {
    return false;
  }
  if (!isObject(client)) return false;
  return statementsOf(client).some(statement => {
    if (statement.Effect !== 'Deny') return false;
    const holds = transportCondition(statement);
    if (!holds || !(request.secure ? holds.tls : holds.plain)) return false;
    return (
      matches(statement.Action, statement.NotAction, request.action, true) &&
      matches(
        statement.Resource,
        statement.NotResource,
        request.resource,
        false,
      )
    );
  });
}
