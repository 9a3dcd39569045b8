/**
 * What the simulated operators need to act as AWS clients of the sandbox's
 * moto: SDK client configuration, and the two checks moto does not do
 * itself. moto accepts any credentials (signatures are not verified and IAM
 * policies are not enforced), so "these credentials work" and "this identity
 * may do that" are decided here, from moto's own state:
 *
 * - authentication: the access key id must be the sandbox admin's, or an
 *   Active access key of an IAM user (found with `sts:GetCallerIdentity`,
 *   which moto answers from the key id alone, and confirmed with
 *   `iam:ListAccessKeys`); the secret must be that key's secret, read from
 *   moto's introspection API `/moto-api/data.json` (IAM never returns a
 *   secret after `CreateAccessKey`, and moto keeps no other way to check it).
 * - authorization: the user's identity-based policies (inline and managed,
 *   the user's and its groups') and, where given, a resource policy, are
 *   evaluated for the action and resource ARN (see {@link evaluatePolicies}).
 *
 * Errors carry the code and message the real service returns, and never a
 * secret value.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';
import {
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsEndpoint } from './types';

/** A static access key. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Who a verified access key belongs to. */
export type AwsPrincipal =
  | { kind: 'admin'; arn: string }
  | { kind: 'user'; userName: string; arn: string; accountId: string };

/** The services whose error wording the checks imitate. */
export type AwsService = 'sts' | 'secretsmanager' | 's3' | 'iam';

/** An AWS error as the service would answer: code and message, no secrets. */
export class AwsError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'AwsError';
  }

  /** `Code: message`, the way operators usually log an SDK error. */
  toString() {
    return `${this.code}: ${this.message}`;
  }
}

/**
 * A short, secret-free description of any error thrown by the SDK or by the
 * checks here: `Code: message` for service errors, the system error for
 * connection failures.
 */
export function describeAwsError(e: unknown): string {
  if (e instanceof AwsError) return e.toString();
  const err = e as {
    name?: string;
    Code?: string;
    code?: string;
    message?: string;
    $metadata?: unknown;
  };
  if (err && err.$metadata) {
    const code = err.Code ?? err.name ?? 'UnknownError';
    return err.message && err.message !== 'UnknownError'
      ? `${code}: ${err.message}`
      : code;
  }
  if (err?.code) return `${err.code}: ${err.message ?? ''}`.trim();
  return err?.message ?? String(e);
}

// The errors AWS answers for an unknown/inactive key id and for a wrong
// secret (signature mismatch), per service.
const INVALID_KEY: Record<AwsService, [string, string]> = {
  sts: [
    'InvalidClientTokenId',
    'The security token included in the request is invalid.',
  ],
  iam: [
    'InvalidClientTokenId',
    'The security token included in the request is invalid.',
  ],
  secretsmanager: [
    'UnrecognizedClientException',
    'The security token included in the request is invalid.',
  ],
  s3: [
    'InvalidAccessKeyId',
    'The AWS Access Key Id you provided does not exist in our records.',
  ],
};
const BAD_SIGNATURE: Record<AwsService, [string, string]> = {
  sts: [
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  ],
  iam: [
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  ],
  secretsmanager: [
    'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  ],
  s3: [
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
};

/** One statement of an IAM policy document, as JSON. */
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: unknown;
}

/** An IAM policy document, as JSON. */
export interface PolicyDocument {
  Version?: string;
  Statement?: PolicyStatement | PolicyStatement[];
}

/** The outcome of a policy evaluation. */
export type PolicyDecision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Whether any pattern of a list matches (Action/Resource), or none of NotX. */
function listMatches(
  positive: string | string[] | undefined,
  negative: string | string[] | undefined,
  matches: (pattern: string) => boolean,
): boolean {
  if (positive !== undefined) return asList(positive).some(matches);
  if (negative !== undefined) return !asList(negative).some(matches);
  return false;
}

function regexOfWildcard(c: string): string {
  if (c === '*') return '.*';
  if (c === '?') return '.';
  return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** IAM wildcard matching: `*` any run, `?` one character. */
export function wildcardMatch(
  pattern: string,
  value: string,
  ignoreCase = false,
): boolean {
  const re = new RegExp(
    `^${pattern.split('').map(regexOfWildcard).join('')}$`,
    ignoreCase ? 'is' : 's',
  );
  return re.test(value);
}

function principalMatches(spec: unknown, principalArns: string[]): boolean {
  if (spec === '*') return true;
  if (!spec || typeof spec !== 'object') return false;
  const aws = (spec as { AWS?: string | string[] }).AWS;
  return asList(aws).some(
    p => p === '*' || principalArns.some(arn => wildcardMatch(p, arn)),
  );
}

/**
 * Evaluates IAM policy documents for one request, with IAM's precedence: an
 * explicit Deny wins, then any Allow, else the implicit deny.
 *
 * Supported: Effect, Action/NotAction (case-insensitive wildcards),
 * Resource/NotResource (wildcards), the `${aws:username}` policy variable,
 * and Principal/NotPrincipal for resource policies (matched against
 * `principalArns`; identity policies have none and apply to their holder).
 * Not evaluated: Condition blocks. A statement with a Condition is
 * disregarded, which is conservative for Allow (it grants nothing) and
 * permissive for Deny (it denies nothing); permission boundaries, SCPs and
 * session policies are not modelled.
 */
export function evaluatePolicies(
  documents: PolicyDocument[],
  action: string,
  resource: string,
  options: { userName?: string; principalArns?: string[] } = {},
): PolicyDecision {
  let allowed = false;
  for (const doc of documents) {
    const raw = doc?.Statement;
    let statements: PolicyStatement[] = [];
    if (Array.isArray(raw)) statements = raw;
    else if (raw) statements = [raw];
    for (const st of statements) {
      if (!st || st.Condition !== undefined) continue;
      const subst = (p: string) =>
        options.userName
          ? p.split('${aws:username}').join(options.userName)
          : p;
      const actionMatch = listMatches(st.Action, st.NotAction, a =>
        wildcardMatch(a, action, true),
      );
      if (!actionMatch) continue;
      const resourceMatch = listMatches(st.Resource, st.NotResource, r =>
        wildcardMatch(subst(r), resource),
      );
      if (!resourceMatch) continue;
      const arns = options.principalArns ?? [];
      if (st.Principal !== undefined && !principalMatches(st.Principal, arns)) {
        continue;
      }
      if (
        st.NotPrincipal !== undefined &&
        principalMatches(st.NotPrincipal, arns)
      ) {
        continue;
      }
      if (st.Effect === 'Deny') return 'ExplicitDeny';
      if (st.Effect === 'Allow') allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

/** Parses a policy document as IAM returns it (inline ones URL-encoded). */
export function parsePolicyDocument(text: string | undefined): PolicyDocument {
  if (!text) return {};
  let raw = text.trim();
  if (!raw.startsWith('{')) {
    try {
      raw = decodeURIComponent(raw);
    } catch {
      return {};
    }
  }
  try {
    return JSON.parse(raw) as PolicyDocument;
  } catch {
    return {};
  }
}

/** A decision, and for an explicit Deny, the kind of policy that denied. */
export interface AccessOutcome {
  decision: PolicyDecision;
  deniedBy?: 'identity' | 'resource';
}

/**
 * IAM's decision for an IAM user of the resource's own account: an explicit
 * Deny in its identity-based policies or in `resourcePolicy` wins, then an
 * Allow in either (same-account access needs only one), else the implicit
 * deny. `resourcePolicy` statements apply when their Principal names the
 * user or its account.
 */
export function decideAccess(
  identity: PolicyDocument[],
  principal: { userName: string; arn: string; accountId: string },
  action: string,
  resource: string,
  resourcePolicy?: PolicyDocument,
): AccessOutcome {
  const own = evaluatePolicies(identity, action, resource, {
    userName: principal.userName,
  });
  const res = resourcePolicy
    ? evaluatePolicies([resourcePolicy], action, resource, {
        userName: principal.userName,
        principalArns: [
          principal.arn,
          `arn:aws:iam::${principal.accountId}:root`,
        ],
      })
    : 'ImplicitDeny';
  if (own === 'ExplicitDeny') {
    return { decision: 'ExplicitDeny', deniedBy: 'identity' };
  }
  if (res === 'ExplicitDeny') {
    return { decision: 'ExplicitDeny', deniedBy: 'resource' };
  }
  return {
    decision: own === 'Allow' || res === 'Allow' ? 'Allow' : 'ImplicitDeny',
  };
}

/**
 * The AccessDenied error a service answers a same-account IAM user with, in
 * AWS's wording ("User: <arn> is not authorized to perform: <action> on
 * resource: <arn> because ..."), see
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
 * (S3 quotes the resource; actions without one, such as
 * s3:ListAllMyBuckets, name none).
 */
export function accessDenied(
  principalArn: string,
  service: AwsService,
  action: string,
  resource: string | undefined,
  outcome: AccessOutcome,
): AwsError {
  const why =
    outcome.decision === 'ExplicitDeny'
      ? `with an explicit deny in ${
          outcome.deniedBy === 'resource'
            ? 'a resource-based'
            : 'an identity-based'
        } policy`
      : `because no identity-based policy allows the ${action} action`;
  const code =
    service === 'secretsmanager' ? 'AccessDeniedException' : 'AccessDenied';
  let on = '';
  if (resource !== undefined) {
    on = ` on resource: ${service === 's3' ? `"${resource}"` : resource}`;
  }
  return new AwsError(
    code,
    `User: ${principalArn} is not authorized to perform: ${action}${on} ${why}`,
  );
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a), 'hex');
  const y = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(x, y);
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

/** Options of {@link AwsAccess}. */
export interface AwsAccessOptions {
  /**
   * How long a verified key and a user's policies are reused before moto is
   * asked again (keeps the periodic re-checks of the fast profile from
   * flooding moto); 0 disables the cache.
   */
  cacheTtlMs?: number;
}

/**
 * Access to the sandbox's AWS for one simulated operator, with the
 * authentication and authorization checks moto does not do.
 */
export class AwsAccess {
  private readonly auth = new Map<string, Cached<AwsPrincipal>>();
  private readonly policies = new Map<string, Cached<PolicyDocument[]>>();
  private readonly clients = new Map<string, { destroy(): void }>();
  private readonly ttl: number;
  // Trusts the sandbox's HTTPS endpoint (its certificate is its own CA).
  private readonly httpsAgent?: HttpsAgent;

  constructor(readonly aws: AwsEndpoint, options: AwsAccessOptions = {}) {
    this.ttl = options.cacheTtlMs ?? 0;
    if (aws.caData) {
      this.httpsAgent = new HttpsAgent({
        ca: Buffer.from(aws.caData, 'base64').toString('utf8'),
        keepAlive: true,
      });
    }
  }

  /** SDK client configuration for the sandbox endpoint with these credentials. */
  clientConfig(credentials: AwsCredentials, region?: string) {
    return {
      endpoint: this.aws.url,
      region: region || this.aws.region,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
      },
      // Path-style S3 URLs: the sandbox has one host for every bucket.
      forcePathStyle: true,
      maxAttempts: 2,
      ...(this.httpsAgent
        ? { requestHandler: { httpsAgent: this.httpsAgent } }
        : {}),
    };
  }

  /** SDK client configuration with the sandbox admin's credentials. */
  adminConfig(region?: string) {
    return this.clientConfig(
      {
        accessKeyId: this.aws.adminAccessKeyId,
        secretAccessKey: this.aws.adminSecretAccessKey,
      },
      region,
    );
  }

  /**
   * An SDK client for these credentials (the admin's when omitted), reused
   * across calls so its connections are too; `endpoint` overrides the
   * sandbox endpoint (e.g. a LokiStack's S3 endpoint; over HTTPS, the
   * sandbox's certificate is trusted).
   */
  client<T extends { destroy(): void }>(
    Client: new (config: ReturnType<AwsAccess['clientConfig']>) => T,
    credentials?: AwsCredentials,
    region?: string,
    endpoint?: string,
  ): T {
    const config = credentials
      ? this.clientConfig(credentials, region)
      : this.adminConfig(region);
    if (endpoint) config.endpoint = endpoint;
    const key = [
      Client.name,
      config.credentials.accessKeyId,
      sha256(config.credentials.secretAccessKey),
      config.region,
      config.endpoint,
    ].join('|');
    let client = this.clients.get(key) as T | undefined;
    if (!client) {
      client = new Client(config);
      this.clients.set(key, client);
    }
    return client;
  }

  /** Closes the SDK clients (their keep-alive connections). */
  destroy() {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
    this.httpsAgent?.destroy();
  }

  /** Forgets cached verifications (e.g. after a test rotated keys). */
  clearCache() {
    this.auth.clear();
    this.policies.clear();
  }

  /**
   * Verifies an access key as `service` would, and returns whose it is.
   * Throws {@link AwsError} with that service's code and message when the
   * key id is unknown or inactive or the secret does not match; throws the
   * SDK error when moto cannot be reached.
   */
  authenticate(
    credentials: AwsCredentials,
    service: AwsService,
  ): Promise<AwsPrincipal> {
    const cacheKey = `${credentials.accessKeyId}|${sha256(
      credentials.secretAccessKey,
    )}`;
    const verified = this.cached(this.auth, cacheKey, () =>
      this.verify(credentials),
    );
    return verified.catch(e => {
      if (e instanceof AwsError && e.code === 'InvalidKey') {
        const [code, message] = INVALID_KEY[service];
        throw new AwsError(code, message);
      }
      if (e instanceof AwsError && e.code === 'BadSignature') {
        const [code, message] = BAD_SIGNATURE[service];
        throw new AwsError(code, message);
      }
      throw e;
    });
  }

  /**
   * Decides whether `principal` may do `action` on `resource`: the admin may
   * do anything; a user needs an identity-based Allow (or an Allow naming it
   * in `resourcePolicy`) and no explicit Deny in either.
   */
  async decide(
    principal: AwsPrincipal,
    action: string,
    resource: string,
    resourcePolicy?: PolicyDocument,
  ): Promise<PolicyDecision> {
    if (principal.kind === 'admin') return 'Allow';
    const identity = await this.userPolicies(principal.userName);
    return decideAccess(identity, principal, action, resource, resourcePolicy)
      .decision;
  }

  /**
   * Like {@link AwsAccess.decide}, but throws the service's AccessDenied
   * error (with AWS's wording) unless allowed.
   */
  async authorize(
    principal: AwsPrincipal,
    service: AwsService,
    action: string,
    resource: string,
    resourcePolicy?: PolicyDocument,
  ): Promise<void> {
    if (principal.kind === 'admin') return;
    const identity = await this.userPolicies(principal.userName);
    const outcome = decideAccess(
      identity,
      principal,
      action,
      resource,
      resourcePolicy,
    );
    if (outcome.decision !== 'Allow') {
      throw accessDenied(principal.arn, service, action, resource, outcome);
    }
  }

  private cached<T>(
    map: Map<string, Cached<T>>,
    key: string,
    load: () => Promise<T>,
  ): Promise<T> {
    const hit = map.get(key);
    if (hit && Date.now() - hit.at < this.ttl) return hit.value;
    const value = load();
    map.set(key, { at: Date.now(), value });
    // Failures of the sandbox itself (moto unreachable) are not cached.
    value.catch(e => {
      if (!(e instanceof AwsError) && map.get(key)?.value === value) {
        map.delete(key);
      }
    });
    return value;
  }

  private async verify(credentials: AwsCredentials): Promise<AwsPrincipal> {
    const { accessKeyId, secretAccessKey } = credentials;
    if (!accessKeyId) throw new AwsError('InvalidKey', 'no access key id');
    if (accessKeyId === this.aws.adminAccessKeyId) {
      if (!sameSecret(secretAccessKey, this.aws.adminSecretAccessKey)) {
        throw new AwsError('BadSignature', 'secret mismatch');
      }
      return { kind: 'admin', arn: 'arn:aws:iam::123456789012:root' };
    }
    // moto answers GetCallerIdentity from the key id alone: an IAM user's
    // ARN for a key it issued, its default `user/moto` identity otherwise.
    // Through the sandbox's AWS proxy, which refuses a key moto did not
    // issue (InvalidClientTokenId) where moto itself answers `user/moto`.
    const sts = this.client(STSClient, credentials);
    let identity;
    try {
      identity = await sts.send(new GetCallerIdentityCommand({}));
    } catch (e: any) {
      if (e?.name === 'InvalidClientTokenId') {
        throw new AwsError('InvalidKey', 'unknown access key id');
      }
      throw e;
    }
    const match = /^arn:aws:iam::(\d+):user\/(?:.*\/)?([^/]+)$/.exec(
      identity.Arn ?? '',
    );
    if (!match) throw new AwsError('InvalidKey', 'unknown access key id');
    const [, accountId, userName] = match;
    const iam = this.client(IAMClient);
    const keys = await iam.send(
      new ListAccessKeysCommand({ UserName: userName }),
    );
    const key = keys.AccessKeyMetadata?.find(
      k => k.AccessKeyId === accessKeyId,
    );
    if (!key || key.Status !== 'Active') {
      throw new AwsError('InvalidKey', 'access key deleted or inactive');
    }
    const secret = await this.motoSecretOf(accessKeyId);
    if (secret === undefined) {
      throw new AwsError(
        'SandboxCannotVerify',
        'the sandbox could not read the secret of this access key from moto',
      );
    }
    if (!sameSecret(secretAccessKey, secret)) {
      throw new AwsError('BadSignature', 'secret mismatch');
    }
    return { kind: 'user', userName, arn: identity.Arn!, accountId };
  }

  /** The secret of an access key, from moto's model dump. */
  private async motoSecretOf(accessKeyId: string): Promise<string | undefined> {
    const res = await fetch(`${this.aws.url}/moto-api/data.json`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) {
      throw new Error(`moto-api/data.json answered ${res.status}`);
    }
    const data = (await res.json()) as {
      iam?: {
        AccessKey?: Array<{
          access_key_id?: string;
          secret_access_key?: string;
        }>;
      };
    };
    // Deleted keys stay in the dump; ListAccessKeys above decided liveness.
    const entries = (data.iam?.AccessKey ?? []).filter(
      k => k.access_key_id === accessKeyId,
    );
    return entries[entries.length - 1]?.secret_access_key;
  }

  /** Identity-based policy documents of a user (own and groups'). */
  userPolicies(userName: string): Promise<PolicyDocument[]> {
    return this.cached(this.policies, userName, async () => {
      const iam = this.client(IAMClient);
      const docs: PolicyDocument[] = [];
      const managed = async (arns: string[]) => {
        for (const arn of arns) {
          const policy = await iam.send(
            new GetPolicyCommand({ PolicyArn: arn }),
          );
          const version = await iam.send(
            new GetPolicyVersionCommand({
              PolicyArn: arn,
              VersionId: policy.Policy?.DefaultVersionId,
            }),
          );
          docs.push(parsePolicyDocument(version.PolicyVersion?.Document));
        }
      };
      const inline = await iam.send(
        new ListUserPoliciesCommand({ UserName: userName }),
      );
      for (const name of inline.PolicyNames ?? []) {
        const p = await iam.send(
          new GetUserPolicyCommand({ UserName: userName, PolicyName: name }),
        );
        docs.push(parsePolicyDocument(p.PolicyDocument));
      }
      const attached = await iam.send(
        new ListAttachedUserPoliciesCommand({ UserName: userName }),
      );
      await managed(
        (attached.AttachedPolicies ?? [])
          .map(p => p.PolicyArn!)
          .filter(Boolean),
      );
      const groups = await iam.send(
        new ListGroupsForUserCommand({ UserName: userName }),
      );
      for (const group of groups.Groups ?? []) {
        const groupName = group.GroupName!;
        const gInline = await iam.send(
          new ListGroupPoliciesCommand({ GroupName: groupName }),
        );
        for (const name of gInline.PolicyNames ?? []) {
          const p = await iam.send(
            new GetGroupPolicyCommand({
              GroupName: groupName,
              PolicyName: name,
            }),
          );
          docs.push(parsePolicyDocument(p.PolicyDocument));
        }
        const gAttached = await iam.send(
          new ListAttachedGroupPoliciesCommand({ GroupName: groupName }),
        );
        await managed(
          (gAttached.AttachedPolicies ?? [])
            .map(p => p.PolicyArn!)
            .filter(Boolean),
        );
      }
      return docs;
    });
  }
}
