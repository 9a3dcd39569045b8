import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  Agent,
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  Server,
  ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo, Socket, createServer as createNetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { FaultAction, FaultInjector } from '../faults';
import type { TlsCertificate } from '../kube/tls';
import {
  AwsPrincipals,
  motoPrincipals,
  simulatePrincipalPolicy,
} from './iamSimulation';
import {
  AwsWireResponse,
  queryErrorResponse,
  queryParameters,
  queryResultResponse,
  xmlEscape,
} from './queryProtocol';
import { GuardVerdict, guardRequest } from './requestGuards';
import {
  clientPolicyText,
  motoPolicyView,
  objectRequest,
  transportDenial,
} from './transportPolicy';

/** Options of {@link startAwsProxy}. */
export interface AwsProxyOptions {
  /** URL of moto, e.g. `http://127.0.0.1:5000`. */
  target: string;
  faults: FaultInjector;
  /** Loopback address to bind; `127.0.0.1` by default. */
  host?: string;
  /** Port; a free one by default. */
  port?: number;
  /**
   * Persistence of AWS state (src/state.ts). With a journal, each
   * state-changing call is forwarded alone (no other call in flight in moto),
   * preceded by `beforeWrite` and, when moto accepted it, passed to `record`.
   */
  journal?: AwsJournal;
  /**
   * Serves HTTPS with this certificate too, on the same port (the first
   * byte of a connection tells a TLS handshake from HTTP), so that bucket
   * policies conditioned on `aws:SecureTransport` see real transports.
   */
  tls?: TlsCertificate;
  /**
   * The sandbox administrator's access key id. When set,
   * `sts:GetCallerIdentity` is answered as AWS does (see
   * {@link callerIdentity}): this key is the account root, a key moto did
   * not issue is refused. Unset: moto answers it (any key).
   */
  adminAccessKeyId?: string;
}

/** One forwarded request, as a journal keeps it. */
export interface RecordedAwsRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Where the proxy writes state-changing calls down. */
export interface AwsJournal {
  /** Runs right before a state-changing call is forwarded (moto is otherwise idle). */
  beforeWrite(): Promise<void>;
  /** A state-changing call moto answered with a status below 400. */
  record(request: RecordedAwsRequest): Promise<void>;
}

/** A running AWS proxy. */
export interface AwsProxy {
  /** Endpoint for AWS clients (S3 with `forcePathStyle`), plain HTTP. */
  url: string;
  /**
   * With `tls`: the same endpoint over HTTPS (`https://<host>:<port>`, the
   * same port as `url`); clients trust the certificate as their CA.
   */
  httpsUrl?: string;
  /**
   * Runs `fn` while no call is being forwarded to moto and none starts (for
   * resetting moto and its journal together).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` (reads of moto's state) while no state-changing call is in flight. */
  shared<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A FIFO readers-writer lock: many holders of `shared`, or one of
 * `exclusive`.
 */
export class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; grant: () => void }> =
    [];

  /** Resolves with a release function once the lock is held. */
  acquire(exclusive: boolean): Promise<() => void> {
    return new Promise(resolve => {
      const grant = () => {
        if (exclusive) this.writer = true;
        else this.readers++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          if (exclusive) this.writer = false;
          else this.readers--;
          this.drain();
        });
      };
      this.waiting.push({ exclusive, grant });
      this.drain();
    });
  }

  private drain() {
    while (this.waiting.length > 0 && !this.writer) {
      const next = this.waiting[0];
      if (next.exclusive && this.readers > 0) return;
      this.waiting.shift();
      next.grant();
      if (next.exclusive) return;
    }
  }

  async run<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(exclusive);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

const READ_ONLY_OPERATION = /^(Get|List|Describe|Head|Simulate|BatchGet)/;

/** Whether a call can change the service's state (what a journal records). */
export function changesState(call: AwsCall, method: string): boolean {
  if (call.protocol === 'restXml') {
    return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
  }
  return !READ_ONLY_OPERATION.test(call.operation);
}

/** How a call is encoded on the wire, which decides how errors look. */
export type AwsProtocol = 'restXml' | 'query' | 'json';

/** One AWS call, as the proxy understands it. */
export interface AwsCall {
  /** Signing name: `s3`, `iam`, `sts`, `secretsmanager`, ... */
  service: string;
  /** API operation name, e.g. `PutBucketPolicy`. */
  operation: string;
  protocol: AwsProtocol;
}

// S3 bucket subresources: query key -> operation suffix per method.
const S3_BUCKET_SUBRESOURCES: Record<
  string,
  { GET?: string; PUT?: string; DELETE?: string; POST?: string }
> = {
  policy: {
    GET: 'GetBucketPolicy',
    PUT: 'PutBucketPolicy',
    DELETE: 'DeleteBucketPolicy',
  },
  policyStatus: { GET: 'GetBucketPolicyStatus' },
  publicAccessBlock: {
    GET: 'GetPublicAccessBlock',
    PUT: 'PutPublicAccessBlock',
    DELETE: 'DeletePublicAccessBlock',
  },
  encryption: {
    GET: 'GetBucketEncryption',
    PUT: 'PutBucketEncryption',
    DELETE: 'DeleteBucketEncryption',
  },
  versioning: { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' },
  lifecycle: {
    GET: 'GetBucketLifecycleConfiguration',
    PUT: 'PutBucketLifecycleConfiguration',
    DELETE: 'DeleteBucketLifecycle',
  },
  tagging: {
    GET: 'GetBucketTagging',
    PUT: 'PutBucketTagging',
    DELETE: 'DeleteBucketTagging',
  },
  ownershipControls: {
    GET: 'GetBucketOwnershipControls',
    PUT: 'PutBucketOwnershipControls',
    DELETE: 'DeleteBucketOwnershipControls',
  },
  location: { GET: 'GetBucketLocation' },
  acl: { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' },
  cors: {
    GET: 'GetBucketCors',
    PUT: 'PutBucketCors',
    DELETE: 'DeleteBucketCors',
  },
  logging: { GET: 'GetBucketLogging', PUT: 'PutBucketLogging' },
  notification: {
    GET: 'GetBucketNotificationConfiguration',
    PUT: 'PutBucketNotificationConfiguration',
  },
  website: {
    GET: 'GetBucketWebsite',
    PUT: 'PutBucketWebsite',
    DELETE: 'DeleteBucketWebsite',
  },
  replication: {
    GET: 'GetBucketReplication',
    PUT: 'PutBucketReplication',
    DELETE: 'DeleteBucketReplication',
  },
  'object-lock': {
    GET: 'GetObjectLockConfiguration',
    PUT: 'PutObjectLockConfiguration',
  },
  accelerate: {
    GET: 'GetBucketAccelerateConfiguration',
    PUT: 'PutBucketAccelerateConfiguration',
  },
  requestPayment: {
    GET: 'GetBucketRequestPayment',
    PUT: 'PutBucketRequestPayment',
  },
  versions: { GET: 'ListObjectVersions' },
  uploads: { GET: 'ListMultipartUploads' },
  delete: { POST: 'DeleteObjects' },
};

const S3_OBJECT_SUBRESOURCES: Record<
  string,
  { GET?: string; PUT?: string; DELETE?: string; POST?: string }
> = {
  tagging: {
    GET: 'GetObjectTagging',
    PUT: 'PutObjectTagging',
    DELETE: 'DeleteObjectTagging',
  },
  acl: { GET: 'GetObjectAcl', PUT: 'PutObjectAcl' },
  retention: { GET: 'GetObjectRetention', PUT: 'PutObjectRetention' },
  'legal-hold': { GET: 'GetObjectLegalHold', PUT: 'PutObjectLegalHold' },
  attributes: { GET: 'GetObjectAttributes' },
  uploads: { POST: 'CreateMultipartUpload' },
  restore: { POST: 'RestoreObject' },
  select: { POST: 'SelectObjectContent' },
};

/**
 * Names the S3 operation of a path-style request from its method, path and
 * query, as S3 routes it (`x-id`, which SDK v3 adds to some calls, wins).
 */
export function s3Operation(
  method: string,
  path: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders = {},
): string {
  const xId = query.get('x-id');
  if (xId) return xId;
  const segments = path.split('/').filter(Boolean);
  const m = method.toUpperCase() as 'GET' | 'PUT' | 'DELETE' | 'POST' | 'HEAD';
  if (segments.length === 0) return m === 'GET' ? 'ListBuckets' : 'Unknown';
  if (segments.length === 1) {
    if (m === 'HEAD') return 'HeadBucket';
    for (const [key, ops] of Object.entries(S3_BUCKET_SUBRESOURCES)) {
      if (query.has(key) && ops[m]) return ops[m]!;
    }
    if (m === 'GET') {
      return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    }
    if (m === 'PUT') return 'CreateBucket';
    if (m === 'DELETE') return 'DeleteBucket';
    return 'Unknown';
  }
  if (m === 'HEAD') return 'HeadObject';
  const copy = headers['x-amz-copy-source'] !== undefined;
  if (query.has('uploadId')) {
    if (m === 'PUT') return copy ? 'UploadPartCopy' : 'UploadPart';
    if (m === 'GET') return 'ListParts';
    if (m === 'POST') return 'CompleteMultipartUpload';
    if (m === 'DELETE') return 'AbortMultipartUpload';
  }
  for (const [key, ops] of Object.entries(S3_OBJECT_SUBRESOURCES)) {
    if (query.has(key) && ops[m]) return ops[m]!;
  }
  if (m === 'GET') return 'GetObject';
  if (m === 'PUT') return copy ? 'CopyObject' : 'PutObject';
  if (m === 'DELETE') return 'DeleteObject';
  return 'Unknown';
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** The signing name from a SigV4 credential scope `<key>/<date>/<region>/<service>/aws4_request`. */
function signingService(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): string | undefined {
  const auth = header(headers, 'authorization');
  const scope =
    /Credential=([^,\s]+)/.exec(auth)?.[1] ??
    query.get('X-Amz-Credential') ??
    undefined;
  const parts = scope?.split('/');
  return parts && parts.length >= 5 ? parts[3] : undefined;
}

/**
 * Identifies a call: the service from the SigV4 credential scope, the
 * operation from `X-Amz-Target` (JSON protocols), the `Action` parameter
 * (query protocol: IAM, STS) or method + path + query (S3, path style).
 */
export function identifyAwsCall(
  method: string,
  rawUrl: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): AwsCall {
  const url = new URL(rawUrl, 'http://proxy');
  const target = header(headers, 'x-amz-target');
  const signed = signingService(headers, url.searchParams);
  if (target) {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, Math.max(dot, 0)).toLowerCase();
    return {
      service: signed ?? (prefix.split('_')[0] || 'unknown'),
      operation: target.slice(dot + 1) || 'Unknown',
      protocol: 'json',
    };
  }
  const contentType = header(headers, 'content-type');
  let action = url.searchParams.get('Action');
  if (!action && contentType.includes('application/x-www-form-urlencoded')) {
    action = new URLSearchParams(body.toString('utf8')).get('Action');
  }
  if (action) {
    return {
      service: signed ?? 'unknown',
      operation: action,
      protocol: 'query',
    };
  }
  return {
    service: signed ?? 's3',
    operation: s3Operation(method, url.pathname, url.searchParams, headers),
    protocol: 'restXml',
  };
}

/** The access key id of a SigV4-signed request (header or presigned URL). */
function signingKeyId(req: IncomingMessage): string | undefined {
  const auth = header(req.headers, 'authorization');
  const scope =
    /Credential=([^,\s]+)/.exec(auth)?.[1] ??
    new URL(req.url ?? '/', 'http://proxy').searchParams.get(
      'X-Amz-Credential',
    ) ??
    undefined;
  return scope?.split('/')[0] || undefined;
}

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SANDBOX_ACCOUNT = '123456789012';

/**
 * `sts:GetCallerIdentity` as AWS answers it, where moto does not: moto
 * answers any key it did not issue with a made-up `user/moto` identity,
 * while AWS refuses an unknown key (`InvalidClientTokenId`) and answers
 * a root key with the account's root. The administrator's key is the
 * account root; an IAM user's active key is moto's to answer (undefined).
 * The secret is not checked (moto does not verify signatures; see README).
 */
async function callerIdentity(
  keyId: string | undefined,
  adminKeyId: string | undefined,
  principals: AwsPrincipals,
): Promise<AwsErrorResponse | undefined> {
  if (keyId && keyId === adminKeyId) {
    return queryResultResponse(
      'GetCallerIdentity',
      STS_NAMESPACE,
      `<UserId>${SANDBOX_ACCOUNT}</UserId><Account>${SANDBOX_ACCOUNT}</Account>` +
        `<Arn>arn:aws:iam::${SANDBOX_ACCOUNT}:root</Arn>`,
    );
  }
  const owner = keyId ? await principals.accessKeyOwner(keyId) : undefined;
  if (owner?.active) return undefined;
  return queryErrorResponse(
    'sts',
    403,
    'Sender',
    'InvalidClientTokenId',
    'The security token included in the request is invalid.',
  );
}

/** An error answer in a protocol's wire format. */
export type AwsErrorResponse = AwsWireResponse;

/**
 * An S3 (restXml) error answer: `<Error><Code>..</Code><Message>..</Message>..</Error>`,
 * with `extra` elements after the message (e.g. `BucketName`).
 */
export function s3ErrorResponse(
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): AwsErrorResponse {
  const requestId = randomUUID();
  const hostId = randomBytes(48).toString('base64');
  const details = Object.entries(extra)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  return {
    status,
    headers: {
      'content-type': 'application/xml',
      'x-amz-request-id': requestId,
      'x-amz-id-2': hostId,
    },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<Error><Code>${code}</Code><Message>${xmlEscape(
        message,
      )}</Message>${details}<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`,
  };
}

/**
 * The error a service answers with when it throttles or fails, in its real
 * wire format, so AWS SDK v3 derives the error `name` from it:
 * - S3 (restXml): `<Error><Code>..</Code><Message>..</Message><RequestId>..</RequestId></Error>`
 *   (SDK: `loadRestXmlErrorCode` reads `Code`); throttling is 503 `SlowDown`.
 * - query (IAM, STS): `<ErrorResponse><Error><Type>..</Type><Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>`
 *   (SDK: `loadQueryErrorCode` reads `Error.Code`); throttling is 400 `Throttling`.
 * - JSON 1.1 (Secrets Manager): `{"__type": .., "message": ..}` and
 *   `x-amzn-ErrorType` (SDK: `loadRestJsonErrorCode`); throttling is 400
 *   `ThrottlingException`.
 *
 * `SlowDown`, `Throttling` and `ThrottlingException` are all in the SDK's
 * throttling error codes; 500/503 statuses are transient (retried).
 */
export function awsErrorResponse(
  call: Pick<AwsCall, 'service' | 'protocol'>,
  kind: { type: 'throttle' } | { type: 'error'; status?: number },
): AwsErrorResponse {
  const requestId = randomUUID();
  const status = kind.type === 'throttle' ? undefined : kind.status ?? 500;
  if (call.protocol === 'restXml') {
    let code: string;
    let message: string;
    let httpStatus: number;
    if (status === undefined) {
      [httpStatus, code, message] = [
        503,
        'SlowDown',
        'Please reduce your request rate.',
      ];
    } else if (status === 503) {
      [httpStatus, code, message] = [
        503,
        'ServiceUnavailable',
        'Please reduce your request rate.',
      ];
    } else {
      [httpStatus, code, message] = [
        status,
        'InternalError',
        'We encountered an internal error. Please try again.',
      ];
    }
    return s3ErrorResponse(httpStatus, code, message);
  }
  if (call.protocol === 'query') {
    let code: string;
    let message: string;
    let httpStatus: number;
    let type: 'Sender' | 'Receiver';
    if (status === undefined) {
      [httpStatus, code, message, type] = [
        400,
        'Throttling',
        'Rate exceeded',
        'Sender',
      ];
    } else if (status === 503) {
      [httpStatus, code, message, type] = [
        503,
        'ServiceUnavailable',
        'Service is unable to handle request.',
        'Receiver',
      ];
    } else {
      [httpStatus, code, message, type] = [
        status,
        'ServiceFailure',
        'The request processing has failed because of an unknown error, exception or failure.',
        'Receiver',
      ];
    }
    return queryErrorResponse(call.service, httpStatus, type, code, message);
  }
  let code: string;
  let message: string;
  let httpStatus: number;
  if (status === undefined) {
    [httpStatus, code, message] = [400, 'ThrottlingException', 'Rate exceeded'];
  } else if (status === 503) {
    [httpStatus, code, message] = [
      503,
      'ServiceUnavailable',
      'The service is unavailable. Please try again later.',
    ];
  } else {
    [httpStatus, code, message] = [
      status,
      'InternalServiceError',
      'An error occurred on the server side.',
    ];
  }
  return {
    status: httpStatus,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': code,
    },
    body: JSON.stringify({ __type: code, message }),
  };
}

// Headers that describe one hop, not the message.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

function forwardHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// Headers that describe a request body, invalid once the proxy rewrites it.
const BODY_CHECKSUM_HEADER =
  /^(content-md5|x-amz-checksum-.*|x-amz-sdk-checksum-algorithm|x-amz-trailer)$/;

/** Headers for a request whose body the proxy replaced. */
function replacedBodyHeaders(
  body: Buffer,
  headers: OutgoingHttpHeaders,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!BODY_CHECKSUM_HEADER.test(name)) out[name] = value;
  }
  if (out['x-amz-content-sha256'] !== undefined) {
    out['x-amz-content-sha256'] = createHash('sha256')
      .update(body)
      .digest('hex');
  }
  return out;
}

/**
 * A PutBucketPolicy with statements conditioned on `aws:SecureTransport`:
 * the body and headers moto gets instead (see transportPolicy.ts).
 */
function rewritePutBucketPolicy(
  body: Buffer,
  headers: OutgoingHttpHeaders,
): { body: Buffer; headers: OutgoingHttpHeaders } | undefined {
  const view = motoPolicyView(body.toString('utf8'));
  if (view === undefined) return undefined;
  const rewritten = Buffer.from(view, 'utf8');
  return { body: rewritten, headers: replacedBodyHeaders(rewritten, headers) };
}

/** A body the request guards replaced (DeleteObjects), with its MD5. */
function rewriteGuarded(
  body: Buffer,
  headers: OutgoingHttpHeaders,
): { body: Buffer; headers: OutgoingHttpHeaders } {
  const out = replacedBodyHeaders(body, headers);
  out['content-md5'] = createHash('md5').update(body).digest('base64');
  return { body, headers: out };
}

/**
 * Starts an HTTP reverse proxy in front of moto that names each call
 * `<service>:<Operation>`, asks `faults.decide('aws', ...)` (which records
 * it) and then injects the fault or forwards the call (the client's Host
 * header is kept, so moto's answers name the proxy). moto's own API
 * (`/moto-api/...`) passes through without faults and is not counted.
 *
 * With `tls`, the same port serves HTTPS too. Bucket policy statements
 * conditioned on `aws:SecureTransport` alone are evaluated here, per
 * request, on object calls (moto cannot): see transportPolicy.ts.
 * `iam:SimulatePrincipalPolicy`, which moto lacks, is answered here too
 * (after the faults, like any call): see iamSimulation.ts. Requests real
 * AWS refuses and moto accepts (S3 calls a sandbox-issued key's policies
 * do not allow, invalid bucket names, malformed or blocked public bucket
 * policies, unknown encryption algorithms, oversized inline user policies)
 * are refused here as AWS does: see requestGuards.ts.
 */
export async function startAwsProxy(
  options: AwsProxyOptions,
): Promise<AwsProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const lock = new ReadWriteLock();
  const journal = options.journal;
  const principals = motoPrincipals(options.target);

  // Sends to moto; `done` gets moto's status (undefined when unreachable)
  // once moto has answered, i.e. finished handling the call. `restore`
  // rewrites a successful answer's body (GetBucketPolicy).
  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    forwarded: OutgoingHttpHeaders,
    done: (status: number | undefined) => void,
    restore?: (body: Buffer) => Buffer,
  ) => {
    const headers = { ...forwarded };
    headers['content-length'] = String(body.length);
    const upstream = httpRequest(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      upstreamRes => {
        const out: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(upstreamRes.headers)) {
          if (value === undefined || HOP_BY_HOP.has(name)) continue;
          out[name] = value;
        }
        const status = upstreamRes.statusCode ?? 502;
        done(upstreamRes.statusCode);
        if (restore && status === 200) {
          readBody(upstreamRes).then(
            answer => {
              const restored = restore(answer);
              delete out['content-md5'];
              delete out.etag;
              out['content-length'] = String(restored.length);
              res.writeHead(status, out);
              res.end(req.method === 'HEAD' ? undefined : restored);
            },
            () => res.destroy(),
          );
          return;
        }
        res.writeHead(status, out);
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
      },
    );
    upstream.on('error', err => {
      done(undefined);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`sandbox AWS proxy: moto is not reachable (${err.message})\n`);
    });
    upstream.end(body);
  };

  // moto's answer to a GET of `path` (its body when 200, else undefined).
  const readMoto = (path: string) =>
    new Promise<string | undefined>((resolve, reject) => {
      const upstream = httpRequest(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: 'GET',
          path,
          agent,
        },
        upstreamRes => {
          readBody(upstreamRes).then(
            text =>
              resolve(
                upstreamRes.statusCode === 200
                  ? text.toString('utf8')
                  : undefined,
              ),
            reject,
          );
        },
      );
      upstream.on('error', reject);
      upstream.end();
    });

  // What the request guards read (requestGuards.ts).
  const guards = { principals, readMoto, s3Error: s3ErrorResponse };

  // Whether the bucket's policy refuses this object call over its transport.
  const refusedByTransport = async (req: IncomingMessage, call: AwsCall) => {
    if (call.service !== 's3' || call.protocol !== 'restXml') return false;
    const object = objectRequest(call.operation, req.url ?? '/');
    if (!object) return false;
    const policy = await readMoto(
      `/${encodeURIComponent(object.bucket)}?policy`,
    );
    if (policy === undefined) return false;
    const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
    return transportDenial(policy, { ...object, secure });
  };

  const answer = (
    req: IncomingMessage,
    res: ServerResponse,
    error: AwsErrorResponse,
  ) => {
    res.writeHead(error.status, {
      ...error.headers,
      'content-length': String(Buffer.byteLength(error.body)),
    });
    res.end(req.method === 'HEAD' ? '' : error.body);
  };

  // Forwards a call (the client's body and headers); with a journal, under
  // the lock (see AwsProxyOptions).
  const forward = async (
    req: IncomingMessage,
    res: ServerResponse,
    clientBody: Buffer,
    call: AwsCall,
    clientHeaders: OutgoingHttpHeaders,
  ) => {
    const writes = journal ? changesState(call, req.method ?? 'GET') : false;
    const release = journal ? await lock.acquire(writes) : () => {};
    if (
      call.service === 'iam' &&
      call.operation === 'SimulatePrincipalPolicy'
    ) {
      // moto has no policy simulator: answered here from moto's IAM state.
      try {
        const params = queryParameters(
          req.url ?? '/',
          header(req.headers, 'content-type'),
          clientBody,
        );
        answer(req, res, await simulatePrincipalPolicy(params, principals));
      } catch {
        // moto could not be read: what IAM answers for its own failures.
        answer(req, res, awsErrorResponse(call, { type: 'error' }));
      } finally {
        release();
      }
      return;
    }
    if (
      options.adminAccessKeyId &&
      call.service === 'sts' &&
      call.operation === 'GetCallerIdentity'
    ) {
      try {
        const own = await callerIdentity(
          signingKeyId(req),
          options.adminAccessKeyId,
          principals,
        );
        if (own) {
          release();
          answer(req, res, own);
          return;
        }
      } catch {
        release();
        answer(req, res, awsErrorResponse(call, { type: 'error' }));
        return;
      }
    }
    let verdict: GuardVerdict | undefined;
    try {
      if (await refusedByTransport(req, call)) {
        release();
        answer(req, res, s3ErrorResponse(403, 'AccessDenied', 'Access Denied'));
        return;
      }
      verdict = await guardRequest(guards, {
        call,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: clientBody,
      });
      if (verdict?.type === 'answer') {
        release();
        answer(req, res, verdict.response);
        return;
      }
      // Right before the write: nothing else may draw from moto's generator.
      if (writes) await journal!.beforeWrite();
    } catch {
      release();
      res.destroy();
      return;
    }
    let body = clientBody;
    let headers = clientHeaders;
    if (verdict?.type === 'rewrite') {
      ({ body, headers } = rewriteGuarded(verdict.body, headers));
    } else if (call.service === 's3' && call.operation === 'PutBucketPolicy') {
      // moto gets (and the journal records) the policy's moto view.
      const rewritten = rewritePutBucketPolicy(body, headers);
      if (rewritten) ({ body, headers } = rewritten);
    }
    let restore: ((answer: Buffer) => Buffer) | undefined;
    if (verdict?.type === 'rewrite') {
      restore = verdict.restore;
    } else if (call.service === 's3' && call.operation === 'GetBucketPolicy') {
      restore = text =>
        Buffer.from(clientPolicyText(text.toString('utf8')), 'utf8');
    }
    send(
      req,
      res,
      body,
      headers,
      status => {
        if (!journal || !writes || status === undefined || status >= 400) {
          release();
          return;
        }
        journal
          .record({
            method: req.method ?? 'GET',
            url: req.url ?? '/',
            headers: Object.fromEntries(
              Object.entries(headers).map(([k, v]) => [
                k,
                Array.isArray(v) ? v.join(', ') : String(v),
              ]),
            ),
            body,
          })
          .catch(() => {})
          .finally(release);
      },
      restore,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      res.destroy();
      return;
    }
    if ((req.url ?? '').startsWith('/moto-api/')) {
      // moto's own API (the simulated operators read /moto-api/data.json):
      // no faults, not counted, never journaled.
      const release = await lock.acquire(req.method !== 'GET');
      send(req, res, body, forwardHeaders(req.headers), () => release());
      return;
    }
    const call = identifyAwsCall(
      req.method ?? 'GET',
      req.url ?? '/',
      req.headers,
      body,
    );
    const headers = forwardHeaders(req.headers);
    const action: FaultAction | undefined = options.faults.decide(
      'aws',
      `${call.service}:${call.operation}`,
    );
    if (!action) {
      await forward(req, res, body, call, headers);
      return;
    }
    switch (action.type) {
      case 'latency': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!req.socket.destroyed) {
            forward(req, res, body, call, headers).catch(() => res.destroy());
          }
        }, Math.max(0, action.ms));
        timers.add(timer);
        return;
      }
      case 'drop':
        req.socket.destroy();
        return;
      case 'throttle':
      case 'error':
        answer(req, res, awsErrorResponse(call, action));
        return;
      default:
        await forward(req, res, body, call, headers);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => res.destroy());
  };
  const httpServer: Server = createServer(listener);
  const httpsServer = options.tls
    ? createHttpsServer(
        { cert: options.tls.cert, key: options.tls.key },
        listener,
      )
    : undefined;
  // With TLS, one port for both: a TLS connection starts with a handshake
  // record (0x16); the byte read to tell is put back for the server.
  const server = httpsServer
    ? createNetServer(socket => {
        socket.on('error', () => socket.destroy());
        const dispatch = () => {
          const first: Buffer | null = socket.read(1);
          if (first === null) {
            socket.once('readable', dispatch);
            return;
          }
          socket.unshift(first);
          (first[0] === 0x16 ? httpsServer : httpServer).emit(
            'connection',
            socket,
          );
        };
        socket.once('readable', dispatch);
      })
    : httpServer;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    ...(httpsServer ? { httpsUrl: `https://${host}:${port}` } : {}),
    exclusive: fn => lock.run(true, fn),
    shared: fn => lock.run(false, fn),
    close() {
      closed ??= new Promise<void>(resolve => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        httpServer.close();
        httpsServer?.close();
        for (const s of sockets) s.destroy();
        agent.destroy();
        principals.destroy();
      });
      return closed;
    },
  };
}
