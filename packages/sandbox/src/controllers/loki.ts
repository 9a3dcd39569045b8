/**
 * Simulated Loki Operator (loki.grafana.com/v1 LokiStack).
 *
 * What the real operator checks before deploying, the simulation checks
 * with the same reasons and messages (grafana/loki `operator/internal/
 * handlers/internal/storage/storage.go` and `secrets.go`):
 * - the storage Secret exists in the stack's namespace
 *   (`Degraded`/`MissingObjectStorageSecret`, "Missing object storage
 *   secret");
 * - for `type: s3` with static credentials it has `bucketnames`,
 *   `endpoint` (an http(s) URL without a path; an AWS endpoint must be
 *   `https://s3.<region>.amazonaws.com` and then needs `region`),
 *   `access_key_id` and `access_key_secret`, in that order
 *   (`Degraded`/`InvalidObjectStorageSecret`, "Invalid object storage secret
 *   contents: missing secret field: <key>");
 * - a referenced CA ConfigMap exists and has its key
 *   (`MissingObjectStorageCAConfigMap` / `InvalidObjectStorageCAConfigMap`).
 *
 * What the real operator cannot check, but its pods find out, the sandbox
 * checks too: every bucket exists and the key can write to it (the key is
 * the sandbox admin's or an active IAM user's whose policies allow
 * s3:PutObject, s3:GetObject and s3:ListBucket, and s3:DeleteObject when
 * retention is on; see awsAccess.ts), proven by a real PutObject and
 * DeleteObject of a probe object. There is no upstream reason for this: on a
 * real cluster the ingesters, queriers, compactor and index gateways fail,
 * and the operator reports `Failed`/`FailedComponents` ("One or more LokiStack
 * components failed") with those pods under `Failed` in
 * `status.components`. That is what the sandbox reports; the cause (the S3
 * error, as the pods would log it) goes to a Warning Event on the LokiStack.
 *
 * With good storage the stack is `Pending`/`PendingComponents` for
 * `profile.lokiReadyMs`, then `Ready`/`ReadyComponents` ("All components
 * ready"). Conditions follow the operator's `mergeConditions`: the active
 * condition is True, earlier ones stay with status False. Storage is
 * re-checked every `lokiReadyMs` (AWS results reused for 10 × that) and at
 * once when the Secret or CA ConfigMap changes.
 *
 * The probe goes over the transport the Secret's endpoint names, so a bucket
 * policy that denies requests without TLS (`aws:SecureTransport` false,
 * evaluated by the sandbox's AWS proxy) fails an `http://` endpoint and
 * passes an `https://` one, as on AWS. The sandbox's certificate is trusted
 * as AWS's would be (no `spec.storage.tls` CA needed).
 *
 * Simplified: only `type: s3` with static credentials is simulated (other
 * types and token modes report `Failed` with an Event saying so); the
 * endpoint is not dialled: AWS endpoints (`https://s3.<region>.amazonaws.com`)
 * are served by the sandbox's AWS over HTTPS, loopback endpoints are used as
 * given (scheme included), other hosts count as unreachable;
 * no Deployments, StatefulSets or Pods are created (pod names in
 * `status.components` are synthetic); a steady condition keeps its
 * `lastTransitionTime` (upstream rewrites it on every reconcile).
 */
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { KubeObject } from '../kube/types';
import {
  AwsAccess,
  AwsCredentials,
  AwsError,
  PolicyDocument,
  describeAwsError,
  parsePolicyDocument,
} from './awsAccess';
import {
  Condition,
  keyOf,
  kubeTime,
  recordEvent,
  refOf,
  secretData,
  stableJson,
  startWorkQueue,
  writeStatus,
} from './kit';
import { Controller, ControllerContext } from './types';

const LOKI = { apiVersion: 'loki.grafana.com/v1', kind: 'LokiStack' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };
const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const COMPONENT = 'loki-operator';

// Condition messages of operator/internal/status/lokistack.go.
const MESSAGE_READY = 'All components ready';
const MESSAGE_FAILED = 'One or more LokiStack components failed';
const MESSAGE_PENDING =
  'One or more LokiStack components pending on dependencies';
const MESSAGE_SCHEMA =
  'The schema configuration does not contain the most recent schema version and needs an update';

/** A condition before the status and time are set. */
type ConditionInput = { type: string; reason: string; message: string };

/** What the storage check found. */
export type StorageVerdict =
  | { kind: 'ok'; credentialMode: string }
  | { kind: 'degraded'; reason: string; message: string }
  | { kind: 'failed'; detail: string; credentialMode?: string };

const missingField = (key: string) => `missing secret field: ${key}`;

/**
 * The operator's secret validation for `type: s3` (extractS3ConfigSecret,
 * validateS3Endpoint); returns the error text or undefined when valid.
 */
export function validateS3Secret(
  data: Record<string, string>,
  credentialMode: string,
): string | undefined {
  const has = (k: string) => Boolean(data[k]);
  if (!has('bucketnames')) return missingField('bucketnames');
  const force = data.forcepathstyle;
  if (force !== undefined && force !== 'true' && force !== 'false') {
    return `forcepathstyle must be "true" or "false": ${force}`;
  }
  const sse = data.sse_type ?? '';
  if (sse === 'SSE-KMS' && !has('sse_kms_key_id')) {
    return missingField('sse_kms_key_id');
  }
  if (sse && sse !== 'SSE-KMS' && sse !== 'SSE-S3') {
    return `unsupported SSE type (supported: SSE-KMS, SSE-S3): ${sse}`;
  }
  if (credentialMode !== 'static') {
    return has('region') ? undefined : missingField('region');
  }
  const endpoint = data.endpoint ?? '';
  if (!endpoint) return missingField('endpoint');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'endpoint for S3 must be an HTTP or HTTPS URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `scheme of S3 endpoint URL is unsupported: ${url.protocol.replace(
      ':',
      '',
    )}`;
  }
  if (url.pathname !== '' && url.pathname !== '/') {
    return `endpoint for S3 must not include a path: ${url.pathname}`;
  }
  if (url.hostname.endsWith('.amazonaws.com')) {
    const region = data.region ?? '';
    if (!region) return missingField('region');
    const bare = endpoint.replace(/\/$/, '');
    if (
      /^https:\/\/([a-z0-9.-]+)\.s3\.([a-z0-9-]+)\.amazonaws\.com$/.test(
        bare,
      ) ||
      /^https:\/\/([a-z0-9.-]+)\.vpce-[a-z0-9-]+\.s3\.([a-z0-9-]+)\.vpce\.amazonaws\.com$/.test(
        bare,
      )
    ) {
      return 'bucket name must not be included in AWS S3 endpoint URL';
    }
    const m =
      /^https:\/\/s3\.([a-z0-9-]+)\.amazonaws\.com$/.exec(bare) ??
      /^https:\/\/vpce-[a-z0-9-]+\.s3\.([a-z0-9-]+)\.vpce\.amazonaws\.com$/.exec(
        bare,
      );
    if (!m) {
      return `endpoint for AWS S3 is invalid, must match either https://s3.region.amazonaws.com or https://vpce-id.s3.region.vpce.amazonaws.com: ${endpoint}`;
    }
    if (m[1] !== region) {
      return `endpoint for AWS S3 must include correct region: expected region ${region}, got ${m[1]}`;
    }
  }
  if (!has('access_key_id')) return missingField('access_key_id');
  if (!has('access_key_secret')) return missingField('access_key_secret');
  return undefined;
}

interface StackSpec {
  size?: string;
  managementState?: string;
  storage?: {
    secret?: { name?: string; type?: string; credentialMode?: string };
    schemas?: Array<{ version: string; effectiveDate: string }>;
    tls?: { caName?: string; caKey?: string };
  };
  tenants?: { mode?: string };
  rules?: { enabled?: boolean };
  limits?: {
    global?: { retention?: unknown };
    tenants?: Record<string, { retention?: unknown }>;
  };
}

// Loki components (status.components keys) and whether they use object storage.
const COMPONENTS: Array<{
  key: string;
  name: string;
  storage: boolean;
  statefulSet: boolean;
}> = [
  { key: 'compactor', name: 'compactor', storage: true, statefulSet: true },
  {
    key: 'distributor',
    name: 'distributor',
    storage: false,
    statefulSet: false,
  },
  { key: 'ingester', name: 'ingester', storage: true, statefulSet: true },
  { key: 'querier', name: 'querier', storage: true, statefulSet: false },
  {
    key: 'queryFrontend',
    name: 'query-frontend',
    storage: false,
    statefulSet: false,
  },
  {
    key: 'indexGateway',
    name: 'index-gateway',
    storage: true,
    statefulSet: true,
  },
  { key: 'ruler', name: 'ruler', storage: true, statefulSet: true },
  { key: 'gateway', name: 'gateway', storage: false, statefulSet: false },
];

const hash = (s: string, n: number) =>
  createHash('sha256').update(s).digest('hex').slice(0, n);

/** Synthetic pod names per component, sized like the operator's t-shirt sizes. */
function podNames(stack: KubeObject): Record<string, string[]> {
  const spec = (stack.spec ?? {}) as StackSpec;
  const name = stack.metadata.name;
  const replicas = spec.size === '1x.demo' ? 1 : 2;
  const out: Record<string, string[]> = {};
  for (const c of COMPONENTS) {
    if (c.key === 'ruler' && !spec.rules?.enabled) continue;
    if (c.key === 'gateway' && !spec.tenants) continue;
    const n = c.key === 'compactor' ? 1 : replicas;
    out[c.key] = Array.from({ length: n }, (_, i) =>
      c.statefulSet
        ? `${name}-${c.name}-${i}`
        : `${name}-${c.name}-${hash(
            `${stack.metadata.uid}/${c.key}`,
            10,
          )}-${hash(`${stack.metadata.uid}/${c.key}/${i}`, 5)}`,
    );
  }
  return out;
}

/** `status.components` with every pod in one phase, or storage users failed. */
function componentStatus(
  stack: KubeObject,
  phase: 'Pending' | 'Ready' | 'StorageFailed',
): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [key, pods] of Object.entries(podNames(stack))) {
    const usesStorage = COMPONENTS.find(c => c.key === key)!.storage;
    let podPhase: string = phase;
    if (phase === 'StorageFailed') podPhase = usesStorage ? 'Failed' : 'Ready';
    out[key] = { [podPhase]: pods };
  }
  return out;
}

/**
 * The operator's `mergeConditions`: the active conditions are True; earlier
 * conditions of another type or reason stay, with status False.
 */
function mergeConditions(
  previous: Condition[] | undefined,
  active: Array<ConditionInput>,
  now = kubeTime(),
): Condition[] {
  const seen = new Set<string>();
  const merged: Condition[] = [];
  const id = (c: { type: string; reason: string }) => `${c.type}/${c.reason}`;
  for (const c of active) {
    const old = previous?.find(p => id(p) === id(c));
    merged.push({
      ...c,
      status: 'True',
      lastTransitionTime:
        old?.status === 'True' && old.message === c.message
          ? old.lastTransitionTime ?? now
          : now,
    });
    seen.add(id(c));
  }
  for (const c of previous ?? []) {
    if (seen.has(id(c))) continue;
    seen.add(id(c));
    merged.push(
      c.status === 'False'
        ? c
        : { ...c, status: 'False', lastTransitionTime: now },
    );
  }
  return merged;
}

/** Starts the simulated Loki Operator. */
export function startLokiController(ctx: ControllerContext): Controller {
  const { store: kube, profile } = ctx;
  const ttl = profile.lokiReadyMs * 10;
  const access = new AwsAccess(ctx.aws, { cacheTtlMs: ttl });
  let stopped = false;
  // When storage was last found good, per stack uid (Ready after lokiReadyMs).
  const goodSince = new Map<string, number>();
  // Storage verdicts per stack uid and input fingerprint.
  const verdicts = new Map<
    string,
    { at: number; verdict: Promise<StorageVerdict> }
  >();
  // The last failure reported by an Event, per stack uid.
  const reported = new Map<string, string>();

  /** Whether the endpoint is one the sandbox can serve, and where. */
  const routeEndpoint = (endpoint: string): string | undefined => {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return undefined;
    }
    // AWS's endpoints are HTTPS: the sandbox's HTTPS endpoint stands in.
    if (url.hostname.endsWith('.amazonaws.com')) {
      return ctx.aws.httpsUrl ?? ctx.aws.url;
    }
    // Loopback as given, scheme included: http(s)://127.0.0.1:<port> of the
    // sandbox's AWS endpoint is plain HTTP or TLS to bucket policies.
    if (['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname)) {
      return `${url.protocol}//${url.host}`;
    }
    return undefined;
  };

  /** What Loki's pods would find using the bucket with these credentials. */
  const probeStorage = async (
    stack: KubeObject,
    data: Record<string, string>,
  ): Promise<string | undefined> => {
    const endpoint = routeEndpoint(data.endpoint ?? '');
    if (!endpoint) {
      const host = (() => {
        try {
          return new URL(data.endpoint).hostname;
        } catch {
          return data.endpoint;
        }
      })();
      return `dial tcp: lookup ${host}: no such host (the sandbox serves only AWS and loopback S3 endpoints)`;
    }
    const credentials: AwsCredentials = {
      accessKeyId: data.access_key_id,
      secretAccessKey: data.access_key_secret,
    };
    const region = data.region || ctx.aws.region;
    const spec = (stack.spec ?? {}) as StackSpec;
    const retention = Boolean(
      spec.limits?.global?.retention ||
        Object.values(spec.limits?.tenants ?? {}).some(t => t?.retention),
    );
    const probeKey = `.sandbox-loki-probe/${stack.metadata.namespace}/${stack.metadata.name}`;
    const buckets = data.bucketnames
      .split(',')
      .map(b => b.trim())
      .filter(Boolean);
    try {
      const principal = await access.authenticate(credentials, 's3');
      const admin = access.client(S3Client, undefined, region, endpoint);
      const client = access.client(S3Client, credentials, region, endpoint);
      for (const bucket of buckets) {
        let bucketPolicy: PolicyDocument | undefined;
        try {
          const p = await admin.send(
            new GetBucketPolicyCommand({ Bucket: bucket }),
          );
          bucketPolicy = parsePolicyDocument(p.Policy);
        } catch (e) {
          const name = (e as { name?: string }).name;
          if (name !== 'NoSuchBucketPolicy' && name !== 'NoSuchBucket') throw e;
        }
        const objectArn = `arn:aws:s3:::${bucket}/${probeKey}`;
        await access.authorize(
          principal,
          's3',
          's3:ListBucket',
          `arn:aws:s3:::${bucket}`,
          bucketPolicy,
        );
        await access.authorize(
          principal,
          's3',
          's3:PutObject',
          objectArn,
          bucketPolicy,
        );
        await access.authorize(
          principal,
          's3',
          's3:GetObject',
          objectArn,
          bucketPolicy,
        );
        const mayDelete =
          (await access.decide(
            principal,
            's3:DeleteObject',
            objectArn,
            bucketPolicy,
          )) === 'Allow';
        if (retention && !mayDelete) {
          // The compactor deletes expired chunks when retention is on.
          await access.authorize(
            principal,
            's3',
            's3:DeleteObject',
            objectArn,
            bucketPolicy,
          );
        }
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: probeKey,
            Body: 'loki storage probe (sandbox)',
          }),
        );
        // Clean up with the key when it may delete, else as the sandbox.
        await (mayDelete ? client : admin).send(
          new DeleteObjectCommand({ Bucket: bucket, Key: probeKey }),
        );
      }
      return undefined;
    } catch (e) {
      if (e instanceof AwsError || (e as { $metadata?: unknown }).$metadata) {
        return describeAwsError(e);
      }
      // No server, or no TLS with it (HTTPS to a plain port, a certificate
      // not trusted): what the pods would log. Other failures are retried.
      const err = e as { code?: unknown; message?: string };
      if (
        typeof err.code === 'string' &&
        /^(ECONNREFUSED|ENOTFOUND|EPROTO|ERR_TLS_.*|.*CERT.*|UNABLE_TO_.*)$/.test(
          err.code,
        )
      ) {
        return `${err.code}: ${err.message}`;
      }
      throw e;
    }
  };

  const checkStorage = async (stack: KubeObject): Promise<StorageVerdict> => {
    const spec = (stack.spec ?? {}) as StackSpec;
    const namespace = stack.metadata.namespace!;
    const secretSpec = spec.storage?.secret ?? {};
    const secret = secretSpec.name
      ? kube.get({ ...SECRET, namespace, name: secretSpec.name })
      : undefined;
    if (!secret) {
      return {
        kind: 'degraded',
        reason: 'MissingObjectStorageSecret',
        message: 'Missing object storage secret',
      };
    }
    const data = secretData(secret);
    const type = secretSpec.type ?? '';
    if (type !== 's3') {
      return {
        kind: 'failed',
        detail: `object storage type ${type} is not simulated by the sandbox (only s3)`,
      };
    }
    const credentialMode =
      secretSpec.credentialMode || (data.role_arn ? 'token' : 'static');
    const invalid = validateS3Secret(data, credentialMode);
    if (invalid) {
      return {
        kind: 'degraded',
        reason: 'InvalidObjectStorageSecret',
        message: `Invalid object storage secret contents: ${invalid}`,
      };
    }
    const tls = spec.storage?.tls;
    let caFingerprint = '';
    if (tls) {
      const cm = tls.caName
        ? kube.get({ ...CONFIGMAP, namespace, name: tls.caName })
        : undefined;
      if (!cm) {
        return {
          kind: 'degraded',
          reason: 'MissingObjectStorageCAConfigMap',
          message: 'Missing object storage CA config map',
        };
      }
      const key = tls.caKey || 'service-ca.crt';
      const value = (cm.data as Record<string, string> | undefined)?.[key];
      if (!value) {
        return {
          kind: 'degraded',
          reason: 'InvalidObjectStorageCAConfigMap',
          message: `Invalid object storage CA configmap contents: key not present or data empty: ${key}`,
        };
      }
      caFingerprint = value;
    }
    if (credentialMode !== 'static') {
      return {
        kind: 'failed',
        credentialMode,
        detail: `credential mode ${credentialMode} (short-lived tokens) is not simulated by the sandbox`,
      };
    }
    // Probe AWS at most once per TTL for the same stack and inputs.
    const fingerprint = createHash('sha256')
      .update(
        stableJson({
          data,
          spec: spec.storage,
          limits: spec.limits,
          caFingerprint,
        }),
      )
      .digest('hex');
    const cacheKey = `${stack.metadata.uid}|${fingerprint}`;
    const hit = verdicts.get(cacheKey);
    if (hit && Date.now() - hit.at < ttl) return hit.verdict;
    for (const k of verdicts.keys()) {
      if (k.startsWith(`${stack.metadata.uid}|`)) verdicts.delete(k);
    }
    const verdict = probeStorage(stack, data).then(
      (detail): StorageVerdict =>
        detail
          ? { kind: 'failed', detail, credentialMode }
          : { kind: 'ok', credentialMode },
    );
    verdicts.set(cacheKey, { at: Date.now(), verdict });
    verdict.catch(() => verdicts.delete(cacheKey));
    return verdict;
  };

  const reconcile = async (key: string): Promise<number | void> => {
    const ref = refOf(LOKI.apiVersion, LOKI.kind, key);
    const stack = kube.get(ref);
    if (!stack) return undefined;
    const spec = (stack.spec ?? {}) as StackSpec;
    if (spec.managementState === 'Unmanaged') return undefined;
    const uid = stack.metadata.uid!;
    const verdict = await checkStorage(stack);
    if (stopped) return undefined;

    const schemas = spec.storage?.schemas?.length
      ? spec.storage.schemas
      : [{ version: 'v11', effectiveDate: '2020-10-11' }];
    const warnings =
      schemas[schemas.length - 1].version !== 'v13'
        ? [
            {
              type: 'Warning',
              reason: 'StorageNeedsSchemaUpdate',
              message: MESSAGE_SCHEMA,
            },
          ]
        : [];

    let main: ConditionInput;
    let components: Record<string, Record<string, string[]>> | undefined;
    let requeue: number | undefined = profile.lokiReadyMs;
    if (verdict.kind === 'degraded') {
      goodSince.delete(uid);
      main = {
        type: 'Degraded',
        reason: verdict.reason,
        message: verdict.message,
      };
    } else if (verdict.kind === 'failed') {
      goodSince.delete(uid);
      main = {
        type: 'Failed',
        reason: 'FailedComponents',
        message: MESSAGE_FAILED,
      };
      components = componentStatus(stack, 'StorageFailed');
    } else {
      const wasReady = (
        stack.status as { conditions?: Condition[] } | undefined
      )?.conditions?.some(c => c.type === 'Ready' && c.status === 'True');
      if (!goodSince.has(uid)) goodSince.set(uid, wasReady ? 0 : Date.now());
      const remaining = goodSince.get(uid)! + profile.lokiReadyMs - Date.now();
      if (remaining > 0) {
        main = {
          type: 'Pending',
          reason: 'PendingComponents',
          message: MESSAGE_PENDING,
        };
        components = componentStatus(stack, 'Pending');
        requeue = remaining;
      } else {
        main = {
          type: 'Ready',
          reason: 'ReadyComponents',
          message: MESSAGE_READY,
        };
        components = componentStatus(stack, 'Ready');
      }
    }

    const written = writeStatus(kube, ref, current => {
      const status = (current.status ?? {}) as Record<string, unknown>;
      const next: Record<string, unknown> = {
        ...status,
        conditions: mergeConditions(
          status.conditions as Condition[] | undefined,
          [...warnings, main],
        ),
        storage: {
          ...(status.storage as object),
          schemas,
          ...(verdict.kind !== 'degraded' && verdict.credentialMode
            ? { credentialMode: verdict.credentialMode }
            : {}),
        },
      };
      // A degraded stack is not deployed: components keep their last state.
      if (components) next.components = components;
      return next;
    });

    const signature =
      verdict.kind === 'failed'
        ? `failed|${verdict.detail}`
        : `${verdict.kind}|${main.reason}`;
    if (written && reported.get(uid) !== signature) {
      reported.set(uid, signature);
      if (verdict.kind === 'failed') {
        recordEvent(
          kube,
          written,
          'Warning',
          'FailedComponents',
          `LokiStack components cannot use object storage: ${verdict.detail}`,
          COMPONENT,
        );
      }
      ctx.log(
        `loki: LokiStack ${key} ${main.type} (${main.reason}${
          verdict.kind === 'failed' ? `: ${verdict.detail}` : ''
        })`,
      );
    }
    return requeue;
  };

  const stacksUsing = (o: KubeObject, field: 'secret' | 'ca') =>
    kube
      .list(LOKI.apiVersion, LOKI.kind, { namespace: o.metadata.namespace })
      .filter(stack => {
        const storage = ((stack.spec ?? {}) as StackSpec).storage;
        return field === 'secret'
          ? storage?.secret?.name === o.metadata.name
          : storage?.tls?.caName === o.metadata.name;
      })
      .map(keyOf);

  const queue = startWorkQueue({
    ctx,
    name: 'loki',
    watches: [
      {
        ...LOKI,
        keys: (o, type) => {
          if (type === 'DELETED') {
            goodSince.delete(o.metadata.uid!);
            reported.delete(o.metadata.uid!);
            return [];
          }
          return [keyOf(o)];
        },
      },
      { ...SECRET, keys: o => stacksUsing(o, 'secret') },
      { ...CONFIGMAP, keys: o => stacksUsing(o, 'ca') },
    ],
    listKeys: () => kube.list(LOKI.apiVersion, LOKI.kind).map(keyOf),
    resyncMs: profile.lokiReadyMs,
    reconcile,
  });

  return {
    name: 'loki',
    stop() {
      stopped = true;
      queue.stop();
      access.destroy();
    },
  };
}
