/**
 * What real AWS refuses and moto 5.2 accepts, decided by the AWS proxy
 * before a call reaches moto (see requestRules.ts for the rules on a
 * request's own content and their sources):
 *
 * - S3 calls signed with an access key the sandbox issued (an IAM user's,
 *   found in moto's IAM) are authorized as IAM does for a user of the
 *   bucket's account: its identity-based policies and the bucket policy
 *   (controllers/awsAccess.ts `decideAccess`, the engine of the policy
 *   simulator in iamSimulation.ts); refused with 403 `AccessDenied` in S3's
 *   wording. An inactive key is refused with 403 `InvalidAccessKeyId`. Keys
 *   IAM does not know (the sandbox administrator's, tests' root
 *   credentials) stay unrestricted, as an account's root user is.
 * - CreateBucket with an invalid name: 400 `InvalidBucketName`.
 * - PutBucketPolicy with a malformed policy: 400 `MalformedPolicy`; with a
 *   public one on a bucket whose Public Access Block has
 *   `BlockPublicPolicy`: 403 `AccessDenied` (the bucket's policy is kept).
 * - PutBucketEncryption with an unknown algorithm: 400 `MalformedXML`.
 * - IAM PutUserPolicy beyond the user's inline policy size quota: 409
 *   `LimitExceeded`.
 *
 * Not modelled: signatures (a key's secret is not checked here), account
 * level Public Access Block, a deleted key (moto forgets it: it is then
 * unknown, hence unrestricted), authorization of other services' calls.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  AccessOutcome,
  PolicyDocument,
  accessDenied,
  decideAccess,
  parsePolicyDocument,
} from '../controllers/awsAccess';
import type { AwsPrincipals } from './iamSimulation';
import type { AwsCall } from './proxy';
import {
  AwsWireResponse,
  queryErrorResponse,
  queryParameters,
  xmlEscape,
} from './queryProtocol';
import {
  USER_POLICY_SIZE_QUOTA,
  bucketNameProblem,
  bucketPolicyProblem,
  isPublicBucketPolicy,
  policySize,
  unknownSseAlgorithm,
} from './requestRules';
import { bucketOf, s3Permissions } from './s3Permissions';
import { clientPolicyText } from './transportPolicy';

/** The account moto's resources belong to (its default). */
const ACCOUNT_ID = '123456789012';

/** One request, as the client sent it. */
export interface GuardedRequest {
  call: AwsCall;
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The client's body (before any rewrite for moto). */
  body: Buffer;
}

/** What the guards decided, when not simply "forward". */
export type GuardVerdict =
  /** Answer this instead of forwarding. */
  | { type: 'answer'; response: AwsWireResponse }
  /**
   * Forward this body instead (DeleteObjects without the keys the caller
   * may not delete), and pass a successful answer through `restore`.
   */
  | { type: 'rewrite'; body: Buffer; restore(answer: Buffer): Buffer };

/** What the guards read. */
export interface GuardContext {
  principals: AwsPrincipals;
  /** moto's answer body to a GET of `path`, or undefined unless it is 200. */
  readMoto(path: string): Promise<string | undefined>;
  /** S3 error answer in S3's wire format. */
  s3Error(
    status: number,
    code: string,
    message: string,
    extra?: Record<string, string>,
  ): AwsWireResponse;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** The access key id a request is signed with (SigV4, presigned, SigV2). */
export function accessKeyIdOf(
  headers: IncomingHttpHeaders,
  rawUrl: string,
): string | undefined {
  const auth = header(headers, 'authorization');
  const v4 = /Credential=([^/,\s]+)\//.exec(auth)?.[1];
  if (v4) return v4;
  const v2 = /^AWS ([^:\s]+):/.exec(auth)?.[1];
  if (v2) return v2;
  const query = new URL(rawUrl, 'http://proxy').searchParams;
  return (
    query.get('X-Amz-Credential')?.split('/')[0] ||
    query.get('AWSAccessKeyId') ||
    undefined
  );
}

interface Caller {
  userName: string;
  arn: string;
  accountId: string;
  active: boolean;
}

async function callerOf(
  ctx: GuardContext,
  req: GuardedRequest,
): Promise<Caller | undefined> {
  const keyId = accessKeyIdOf(req.headers, req.url);
  if (!keyId) return undefined;
  const owner = await ctx.principals.accessKeyOwner(keyId);
  if (!owner) return undefined;
  const accountId = /^arn:[^:]+:iam::(\d+):/.exec(owner.arn)?.[1] ?? ACCOUNT_ID;
  return { ...owner, accountId };
}

const XML_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function xmlUnescape(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1].toLowerCase() === 'x'
          ? parseInt(name.slice(2), 16)
          : parseInt(name.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return XML_ENTITIES[name] ?? whole;
  });
}

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * DeleteObjects: S3 authorizes s3:DeleteObject (s3:DeleteObjectVersion)
 * per key and answers 200 with an `AccessDenied` error for each key refused
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html);
 * the others are deleted.
 */
async function guardDeleteObjects(
  req: GuardedRequest,
  bucket: string,
  decide: (action: string, resource: string) => Promise<AccessOutcome>,
): Promise<GuardVerdict | undefined> {
  const xml = req.body.toString('utf8');
  const denied: string[] = [];
  let allowed = 0;
  let rewritten = xml;
  for (const m of xml.matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
    const key = xmlUnescape(/<Key>([\s\S]*?)<\/Key>/.exec(m[1])?.[1] ?? '');
    const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(m[1])?.[1];
    const outcome = await decide(
      versionId !== undefined ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
      `arn:aws:s3:::${bucket}/${key}`,
    );
    if (outcome.decision === 'Allow') {
      allowed++;
      continue;
    }
    rewritten = rewritten.replace(m[0], '');
    denied.push(
      `<Error><Key>${xmlEscape(key)}</Key>${
        versionId !== undefined ? `<VersionId>${versionId}</VersionId>` : ''
      }<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
    );
  }
  if (denied.length === 0) return undefined;
  const errors = denied.join('');
  if (allowed === 0) {
    return {
      type: 'answer',
      response: {
        status: 200,
        headers: {
          'content-type': 'application/xml',
          'x-amz-request-id': randomUUID(),
        },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${S3_NAMESPACE}">${errors}</DeleteResult>`,
      },
    };
  }
  return {
    type: 'rewrite',
    body: Buffer.from(rewritten, 'utf8'),
    restore: answer => {
      // Functions as replacements: a key may contain `$` patterns.
      const text = answer.toString('utf8');
      const merged = text.includes('</DeleteResult>')
        ? text.replace('</DeleteResult>', () => `${errors}</DeleteResult>`)
        : text.replace(
            /<DeleteResult([^>]*)\/>/,
            (_, attributes: string) =>
              `<DeleteResult${attributes}>${errors}</DeleteResult>`,
          );
      return Buffer.from(merged, 'utf8');
    },
  };
}

/** Authorization of an S3 call signed with a key the sandbox issued. */
async function authorizeS3(
  ctx: GuardContext,
  req: GuardedRequest,
  caller: Caller,
): Promise<GuardVerdict | undefined> {
  if (!caller.active) {
    // An inactive key is no key to S3.
    return {
      type: 'answer',
      response: ctx.s3Error(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      ),
    };
  }
  const identity = await ctx.principals.policies(caller.userName);
  const bucketPolicies = new Map<string, Promise<PolicyDocument | undefined>>();
  const bucketPolicy = (bucket: string) => {
    let policy = bucketPolicies.get(bucket);
    if (!policy) {
      policy = ctx
        .readMoto(`/${encodeURIComponent(bucket)}?policy`)
        .then(text =>
          text === undefined
            ? undefined
            : parsePolicyDocument(clientPolicyText(text)),
        );
      bucketPolicies.set(bucket, policy);
    }
    return policy;
  };
  const decide = async (action: string, resource: string, bucket?: string) =>
    decideAccess(
      identity,
      caller,
      action,
      resource,
      bucket ? await bucketPolicy(bucket) : undefined,
    );

  const { operation } = req.call;
  if (operation === 'DeleteObjects') {
    const bucket = bucketOf(req.url);
    return bucket
      ? guardDeleteObjects(req, bucket, (action, resource) =>
          decide(action, resource, bucket),
        )
      : undefined;
  }
  for (const need of s3Permissions(operation, req.url, req.headers)) {
    // Actions without a resource type are decided for every S3 resource.
    const outcome = await decide(
      need.action,
      need.resource ?? 'arn:aws:s3:::*',
      need.bucket,
    );
    if (outcome.decision !== 'Allow') {
      const error = accessDenied(
        caller.arn,
        's3',
        need.action,
        need.resource,
        outcome,
      );
      return {
        type: 'answer',
        response: ctx.s3Error(403, error.code, error.message),
      };
    }
  }
  return undefined;
}

/** S3's own validation of a request's content. */
async function validateS3(
  ctx: GuardContext,
  req: GuardedRequest,
  caller: Caller | undefined,
): Promise<GuardVerdict | undefined> {
  const { operation } = req.call;
  const bucket = bucketOf(req.url);
  const answer = (response: AwsWireResponse): GuardVerdict => ({
    type: 'answer',
    response,
  });
  if (operation === 'CreateBucket' && bucket !== undefined) {
    if (bucketNameProblem(bucket)) {
      return answer(
        ctx.s3Error(
          400,
          'InvalidBucketName',
          'The specified bucket is not valid.',
          {
            BucketName: bucket,
          },
        ),
      );
    }
  }
  if (operation === 'PutBucketPolicy' && bucket !== undefined) {
    const text = req.body.toString('utf8');
    const malformed = bucketPolicyProblem(text);
    if (malformed) {
      return answer(ctx.s3Error(400, 'MalformedPolicy', malformed));
    }
    if (isPublicBucketPolicy(text)) {
      const pab = await ctx.readMoto(
        `/${encodeURIComponent(bucket)}?publicAccessBlock`,
      );
      if (
        pab &&
        /<BlockPublicPolicy>\s*true\s*<\/BlockPublicPolicy>/i.test(pab)
      ) {
        // The wording S3 uses since its access denied messages name the
        // reason (troubleshoot-403-errors.html, see awsAccess.ts).
        const who = caller?.arn ?? `arn:aws:iam::${ACCOUNT_ID}:root`;
        return answer(
          ctx.s3Error(
            403,
            'AccessDenied',
            `User: ${who} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
          ),
        );
      }
    }
  }
  if (operation === 'PutBucketEncryption') {
    if (unknownSseAlgorithm(req.body.toString('utf8')) !== undefined) {
      return answer(
        ctx.s3Error(
          400,
          'MalformedXML',
          'The XML you provided was not well-formed or did not validate against our published schema',
        ),
      );
    }
  }
  return undefined;
}

/** IAM PutUserPolicy: the user's aggregate inline policy size. */
async function guardPutUserPolicy(
  ctx: GuardContext,
  req: GuardedRequest,
): Promise<GuardVerdict | undefined> {
  const params = queryParameters(
    req.url,
    header(req.headers, 'content-type'),
    req.body,
  );
  const userName = params.get('UserName');
  const policyName = params.get('PolicyName');
  const document = params.get('PolicyDocument');
  if (!userName || !policyName || document === null) return undefined;
  const others = (await ctx.principals.inlinePolicies(userName)).filter(
    p => p.name !== policyName,
  );
  const total =
    policySize(document) +
    others.reduce((sum, p) => sum + policySize(p.document), 0);
  if (total <= USER_POLICY_SIZE_QUOTA) return undefined;
  return {
    type: 'answer',
    response: queryErrorResponse(
      'iam',
      409,
      'Sender',
      'LimitExceeded',
      `Maximum policy size of ${USER_POLICY_SIZE_QUOTA} bytes exceeded for user ${userName}`,
    ),
  };
}

/**
 * Decides whether a call goes to moto as it is (undefined), is answered
 * instead, or goes with another body. Reads moto: call it where the proxy
 * holds moto still (no state-changing call in flight).
 */
export async function guardRequest(
  ctx: GuardContext,
  req: GuardedRequest,
): Promise<GuardVerdict | undefined> {
  const { call } = req;
  if (call.service === 's3' && call.protocol === 'restXml') {
    const caller = await callerOf(ctx, req);
    if (caller) {
      const refused = await authorizeS3(ctx, req, caller);
      if (refused) return refused;
    }
    return validateS3(ctx, req, caller);
  }
  if (
    call.service === 'iam' &&
    call.protocol === 'query' &&
    call.operation === 'PutUserPolicy'
  ) {
    return guardPutUserPolicy(ctx, req);
  }
  return undefined;
}
