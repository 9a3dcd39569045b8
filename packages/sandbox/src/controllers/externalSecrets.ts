/**
 * Simulated External Secrets Operator (external-secrets.io/v1), AWS Secrets
 * Manager provider only.
 *
 * SecretStores and ClusterSecretStores become Ready when their
 * `auth.secretRef` Secret exists with both keys and the key works against
 * the sandbox's AWS (see awsAccess.ts); they are re-validated every
 * `profile.esoReconcileMs` (a verified key is reused for 10 × that before
 * moto is asked again) and at once when a referenced Secret changes.
 * ExternalSecrets materialise their target Secret from Secrets Manager with
 * the store's credentials (authenticated, and authorized for
 * `secretsmanager:GetSecretValue` on the secret's ARN by the key's IAM
 * policies), and are synced again when their store becomes Ready. Deleting
 * an ExternalSecret deletes the Secret it owns (what Kubernetes' garbage
 * collector would do).
 *
 * Condition types, reasons and messages are ESO's:
 * `apis/externalsecrets/v1/secretstore_types.go` and
 * `externalsecret_types.go` (types and reasons),
 * `pkg/controllers/secretstore/common.go` ("store validated",
 * "unable to create client", "unable to validate store: %s"),
 * `pkg/controllers/externalsecret/externalsecret_controller.go` ("secret
 * synced", "could not get secret data from provider", ...),
 * `.../clientmanager/client_manager.go` (namespace conditions, "%s %q is not
 * ready", "using cluster store %q is not allowed from namespace %q: denied
 * by spec.condition"), `providers/v1/aws/auth/auth.go` (secretRef errors) and
 * `providers/v1/aws/secretsmanager` ("Secret does not exist", "key %s does
 * not exist in secret %s"). As in ESO, a failed sync's condition message is
 * the generic one and the cause goes to a Warning Event (reason
 * `UpdateFailed`) on the ExternalSecret; a store's client errors go to a
 * Warning Event (reason `InvalidProviderConfig`).
 *
 * Deliberately stricter than ESO: ESO's AWS provider "validates" a store
 * with static credentials without calling AWS, so a wrong key shows only at
 * sync time. The sandbox calls STS and reports `ValidationFailed` with the
 * AWS error, so a bad bootstrap key is visible on the store.
 *
 * Simplified: only `provider.aws` with `service: SecretsManager` and
 * `auth.secretRef` (no `role`, JWT or session tokens); `dataFrom.find`,
 * generators, `sourceRef`, decoding/conversion strategies and rewrites are
 * not supported (they fail the sync with a message saying so);
 * `target.template` supports `type`, `metadata` and `data` values whose Go
 * template actions are plain `{{ .key }}` lookups (anything else fails the
 * sync); long refresh intervals are capped at 20 × `esoReconcileMs`; the
 * flood gate is on (ESO's default): a store that is not Ready blocks syncs.
 */
import { createHash } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ApiError, KubeObject, ObjectStore } from '../kube/types';
import { parseLabelSelector } from '../kube/selectors';
import {
  AwsAccess,
  AwsCredentials,
  AwsError,
  describeAwsError,
} from './awsAccess';
import {
  Condition,
  findCondition,
  keyOf,
  kubeTime,
  recordEvent,
  secretData,
  setCondition,
  splitKey,
  stableJson,
  startWorkQueue,
  writeStatus,
} from './kit';
import { Controller, ControllerContext } from './types';

const GROUP_VERSION = 'external-secrets.io/v1';
const ES = { apiVersion: GROUP_VERSION, kind: 'ExternalSecret' };
const SS = { apiVersion: GROUP_VERSION, kind: 'SecretStore' };
const CSS = { apiVersion: GROUP_VERSION, kind: 'ClusterSecretStore' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' };
const COMPONENT = 'external-secrets';

/** Label ESO puts on every Secret it manages. */
export const LABEL_MANAGED = 'reconcile.external-secrets.io/managed';
/** Label ESO puts on Secrets it owns (creationPolicy Owner). */
export const LABEL_OWNER = 'reconcile.external-secrets.io/created-by';
/** Annotation with the hash of a managed Secret's data. */
export const ANNOTATION_DATA_HASH = 'reconcile.external-secrets.io/data-hash';

// Store and ExternalSecret messages (see the file comment for sources).
const MSG_STORE_VALIDATED = 'store validated';
const MSG_UNABLE_CREATE_CLIENT = 'unable to create client';
const MSG_SYNCED = 'secret synced';
const MSG_SYNCED_RETAIN = 'secret retained due to DeletionPolicy=Retain';
const MSG_DELETED = 'secret deleted due to DeletionPolicy=Delete';
const MSG_MISSING = 'secret will not be created due to CreationPolicy=Merge';
const MSG_ERR_GET_DATA = 'could not get secret data from provider';
const MSG_ERR_UPDATE = 'could not update secret';
const MSG_ERR_IS_OWNED = 'target is owned by another ExternalSecret';
const NO_SECRET = 'Secret does not exist';

/** A configuration error of a store: ESO fails creating the client. */
class ClientError extends Error {}

/** A missing provider secret (ESO's `NoSecretErr`). */
class NoSecretError extends Error {
  constructor() {
    super(NO_SECRET);
  }
}

interface StoreRef {
  kind: 'SecretStore' | 'ClusterSecretStore';
  name: string;
}

interface AwsSecretRef {
  name?: string;
  key?: string;
  namespace?: string;
}

interface AwsProviderSpec {
  service?: string;
  region?: string;
  role?: string;
  prefix?: string;
  auth?: {
    secretRef?: {
      accessKeyIDSecretRef?: AwsSecretRef;
      secretAccessKeySecretRef?: AwsSecretRef;
      sessionTokenSecretRef?: AwsSecretRef;
    };
    jwt?: unknown;
  };
}

/** The credentials and region a store gives a client in one namespace. */
interface StoreClientConfig {
  credentials: AwsCredentials;
  region: string;
  prefix: string;
  /** ClusterSecretStore without secret namespaces: resolved per ExternalSecret. */
  referent: boolean;
}

/** A store's AWS provider spec, or a ClientError. */
function awsProviderOf(store: KubeObject): AwsProviderSpec {
  const spec = (store.spec ?? {}) as {
    provider?: Record<string, unknown>;
    controller?: string;
  };
  const providers = Object.keys(spec.provider ?? {});
  if (providers.length !== 1) {
    throw new ClientError('store must have exactly one provider');
  }
  if (providers[0] !== 'aws') {
    throw new ClientError(
      `provider ${providers[0]} is not simulated by the sandbox (only aws)`,
    );
  }
  const aws = spec.provider!.aws as AwsProviderSpec;
  if (aws.service !== 'SecretsManager') {
    throw new ClientError(
      `AWS service ${aws.service} is not simulated by the sandbox (only SecretsManager)`,
    );
  }
  if (aws.role) {
    throw new ClientError(
      'spec.provider.aws.role (AssumeRole) is not simulated by the sandbox',
    );
  }
  if (!aws.auth?.secretRef) {
    throw new ClientError(
      'only auth.secretRef is simulated by the sandbox (no JWT or ambient credentials)',
    );
  }
  return aws;
}

/**
 * Reads a store's static credentials as ESO's AWS provider does
 * (`sessionFromSecretRef`): for a SecretStore the Secrets are in the
 * store's namespace; for a ClusterSecretStore in the ref's namespace, or in
 * the ExternalSecret's namespace when the ref has none (referent auth).
 */
function storeClientConfig(
  kube: ObjectStore,
  store: KubeObject,
  esNamespace: string | undefined,
): StoreClientConfig {
  const aws = awsProviderOf(store);
  const ref = aws.auth!.secretRef!;
  const cluster = store.kind === 'ClusterSecretStore';
  const referent =
    cluster &&
    (!ref.accessKeyIDSecretRef?.namespace ||
      !ref.secretAccessKeySecretRef?.namespace);
  const read = (r: AwsSecretRef | undefined, what: string) => {
    const namespace = cluster
      ? r?.namespace ?? esNamespace
      : store.metadata.namespace;
    if (!r?.name || !namespace) {
      throw new ClientError(
        `could not fetch ${what} secret: name or namespace missing`,
      );
    }
    const secret = kube.get({ ...SECRET, namespace, name: r.name });
    if (!secret) {
      throw new ClientError(
        `could not fetch ${what} secret: secrets "${r.name}" not found`,
      );
    }
    return secretData(secret)[r.key ?? ''] ?? '';
  };
  const accessKeyId = read(ref.accessKeyIDSecretRef, 'accessKeyID');
  const secretAccessKey = read(ref.secretAccessKeySecretRef, 'SecretAccessKey');
  if (!secretAccessKey) throw new ClientError('missing SecretAccessKey');
  if (!accessKeyId) throw new ClientError('missing AccessKeyID');
  if (ref.sessionTokenSecretRef) {
    throw new ClientError('session tokens are not simulated by the sandbox');
  }
  return {
    credentials: { accessKeyId, secretAccessKey },
    region: aws.region ?? '',
    prefix: aws.prefix ?? '',
    referent,
  };
}

/** Secrets (namespace/name) a store's auth references. */
function referencedSecrets(store: KubeObject): string[] {
  const ref = ((store.spec as { provider?: { aws?: AwsProviderSpec } })
    ?.provider?.aws?.auth?.secretRef ?? {}) as Record<
    string,
    AwsSecretRef | undefined
  >;
  return Object.values(ref)
    .filter((r): r is AwsSecretRef => Boolean(r?.name))
    .map(r => `${r.namespace ?? store.metadata.namespace ?? '*'}/${r.name}`);
}

/** ESO's `ShouldProcessStore` with the default controller class. */
function managedStore(store: KubeObject): boolean {
  const controller = (store.spec as { controller?: string })?.controller;
  return !controller || controller === 'default';
}

interface NamespaceCondition {
  namespaceSelector?: Record<string, unknown>;
  namespaces?: string[];
  namespaceRegexes?: string[];
}

/** Kubernetes LabelSelector (matchLabels + matchExpressions) as selector syntax. */
function labelSelectorString(sel: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(
    (sel.matchLabels ?? {}) as Record<string, string>,
  )) {
    parts.push(`${k}=${v}`);
  }
  for (const e of (sel.matchExpressions ?? []) as Array<{
    key: string;
    operator: string;
    values?: string[];
  }>) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/**
 * ESO's `validateNamespaceConditions`: a ClusterSecretStore with
 * `spec.conditions` may be used from a namespace matched by any condition's
 * label selector, name list or (unanchored, like Go's regexp.MatchString)
 * regular expressions.
 */
export function namespaceAllowed(
  kube: ObjectStore,
  store: KubeObject,
  namespace: string,
): boolean {
  if (store.kind !== 'ClusterSecretStore') return true;
  const conditions = ((store.spec as { conditions?: NamespaceCondition[] })
    ?.conditions ?? []) as NamespaceCondition[];
  if (conditions.length === 0) return true;
  const ns = kube.get({ ...NAMESPACE, name: namespace });
  // The API server always labels namespaces with their name.
  const labels = {
    ...(ns?.metadata.labels ?? {}),
    'kubernetes.io/metadata.name': namespace,
  };
  for (const c of conditions) {
    if (c.namespaceSelector) {
      try {
        if (
          parseLabelSelector(labelSelectorString(c.namespaceSelector))(labels)
        ) {
          return true;
        }
      } catch {
        // An invalid selector matches nothing.
      }
    }
    if (c.namespaces?.includes(namespace)) return true;
    for (const re of c.namespaceRegexes ?? []) {
      try {
        if (new RegExp(re).test(namespace)) return true;
      } catch {
        // ESO's webhook rejects invalid regexes; match nothing here.
      }
    }
  }
  return false;
}

/** Go `time.ParseDuration` for the units ESO documents; undefined if invalid. */
export function parseGoDuration(text: string | undefined): number | undefined {
  if (text === undefined || text === null) return undefined;
  const s = String(text).trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) return undefined;
    total += parseFloat(m[1]) * units[m[2]];
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** ESO's `getResourceVersion`: generation plus a hash of labels and annotations. */
function syncedResourceVersion(es: KubeObject): string {
  const meta = {
    annotations: es.metadata.annotations ?? {},
    labels: es.metadata.labels ?? {},
  };
  return `${es.metadata.generation ?? 1}-${md5(stableJson(meta))}`;
}

/** Selects a property of a JSON payload like gjson (exact key first, then a dotted path). */
function selectProperty(payload: string, property: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const asText = (v: unknown) => {
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  if (doc && typeof doc === 'object' && property in (doc as object)) {
    return asText((doc as Record<string, unknown>)[property]);
  }
  let cur: unknown = doc;
  for (const part of property
    .split(/(?<!\\)\./)
    .map(p => p.replace(/\\\./g, '.'))) {
    if (!cur || typeof cur !== 'object' || !(part in (cur as object))) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return asText(cur);
}

interface RemoteRef {
  key?: string;
  property?: string;
  version?: string;
  decodingStrategy?: string;
  conversionStrategy?: string;
  metadataPolicy?: string;
}

/** Renders `target.template.data` values whose actions are `{{ .key }}` lookups. */
function renderTemplate(text: string, data: Record<string, string>): string {
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, action: string) => {
    const lookup = /^\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action.trim());
    if (!lookup) {
      throw new Error(
        `could not apply template: the sandbox supports only {{ .key }} lookups, not {{ ${action} }}`,
      );
    }
    const value = data[lookup[1]];
    if (value === undefined) {
      throw new Error(
        `could not apply template: could not execute template: map has no entry for key "${lookup[1]}"`,
      );
    }
    return value;
  });
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * Starts the simulated External Secrets Operator (stores and
 * ExternalSecrets).
 */
export function startExternalSecretsController(
  ctx: ControllerContext,
): Controller {
  const { store: kube, profile } = ctx;
  const access = new AwsAccess(ctx.aws, {
    cacheTtlMs: profile.esoReconcileMs * 10,
  });
  const refreshCapMs = profile.esoReconcileMs * 20;
  // Set by stop(): work still in flight must not write afterwards.
  let stopped = false;
  // Last failure detail per ExternalSecret uid, to record an Event once.
  const failureEvents = new Map<string, string>();

  const storeKey = (o: { kind: string; metadata: KubeObject['metadata'] }) =>
    `${o.kind}:${keyOf(o)}`;
  const parseStoreKey = (key: string) => {
    const [kind, rest] = [
      key.slice(0, key.indexOf(':')),
      key.slice(key.indexOf(':') + 1),
    ];
    return { kind, ...splitKey(rest) };
  };
  const getStore = (kind: string, name: string, namespace?: string) =>
    kind === 'ClusterSecretStore'
      ? kube.get({ ...CSS, name })
      : kube.get({ ...SS, namespace, name });

  // Last Ready status per store uid, to record an Event on transitions only.
  const storeEvents = new Map<string, string>();

  /** Validates a store; returns its Ready condition (and an event detail). */
  const validateStore = async (
    store: KubeObject,
  ): Promise<{ condition: Condition; detail?: string }> => {
    if (isReferent(store)) {
      // Referent auth: secret refs without a namespace are resolved per
      // ExternalSecret, so ESO cannot validate the store up front
      // (ValidationResultUnknown) and reports it valid.
      return {
        condition: readyCondition('True', 'Valid', MSG_STORE_VALIDATED),
      };
    }
    let config: StoreClientConfig;
    try {
      config = storeClientConfig(kube, store, undefined);
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      return {
        condition: readyCondition(
          'False',
          'InvalidProviderConfig',
          MSG_UNABLE_CREATE_CLIENT,
        ),
        detail,
      };
    }
    try {
      await access.authenticate(config.credentials, 'sts');
    } catch (e) {
      const detail = describeAwsError(e);
      return {
        condition: readyCondition(
          'False',
          'ValidationFailed',
          `unable to validate store: ${detail}`,
        ),
        detail,
      };
    }
    return { condition: readyCondition('True', 'Valid', MSG_STORE_VALIDATED) };
  };

  const reconcileStore = async (key: string) => {
    const { kind, namespace, name } = parseStoreKey(key);
    const store = getStore(kind, name, namespace);
    if (!store || !managedStore(store)) return;
    const { condition, detail } = await validateStore(store);
    if (stopped) return;
    const written = writeStatus(
      kube,
      { apiVersion: store.apiVersion, kind, namespace, name },
      current => {
        const status = (current.status ?? {}) as Record<string, unknown>;
        return {
          ...status,
          capabilities: 'ReadWrite',
          conditions: setCondition(status.conditions as Condition[], condition),
        };
      },
    );
    const uid = store.metadata.uid!;
    const signature = `${condition.status}|${condition.reason}|${detail ?? ''}`;
    if (written && storeEvents.get(uid) !== signature) {
      storeEvents.set(uid, signature);
      recordEvent(
        kube,
        written,
        condition.status === 'True' ? 'Normal' : 'Warning',
        condition.reason,
        detail ?? condition.message,
        COMPONENT,
      );
      ctx.log(
        `external-secrets: ${kind} ${keyOf(written)} Ready=${
          condition.status
        } (${condition.reason}${detail ? `: ${detail}` : ''})`,
      );
    }
  };

  /** Fetches one secret from Secrets Manager as the store's client would. */
  const fetchSecret = async (
    config: StoreClientConfig,
    ref: RemoteRef,
  ): Promise<string> => {
    const principal = await access.authenticate(
      config.credentials,
      'secretsmanager',
    );
    const secretId = `${config.prefix}${ref.key ?? ''}`;
    const admin = access.client(SecretsManagerClient, undefined, config.region);
    let arn: string;
    try {
      const described = await admin.send(
        new DescribeSecretCommand({ SecretId: secretId }),
      );
      arn = described.ARN!;
    } catch (e) {
      if ((e as { name?: string }).name === 'ResourceNotFoundException') {
        // AWS answers AccessDenied rather than revealing that a secret does
        // not exist to a caller without access; ESO turns a
        // ResourceNotFoundException into NoSecretErr.
        const account = /^arn:aws:iam::(\d+):/.exec(principal.arn)?.[1] ?? '*';
        await access.authorize(
          principal,
          'secretsmanager',
          'secretsmanager:GetSecretValue',
          `arn:aws:secretsmanager:${config.region}:${account}:secret:${secretId}-XXXXXX`,
        );
        throw new NoSecretError();
      }
      throw e;
    }
    await access.authorize(
      principal,
      'secretsmanager',
      'secretsmanager:GetSecretValue',
      arn,
    );
    const client = access.client(
      SecretsManagerClient,
      config.credentials,
      config.region,
    );
    const version = ref.version;
    try {
      const out = await client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          ...(version?.startsWith('uuid/')
            ? { VersionId: version.slice('uuid/'.length) }
            : { VersionStage: version || 'AWSCURRENT' }),
        }),
      );
      if (out.SecretString !== undefined) return out.SecretString;
      if (out.SecretBinary)
        return Buffer.from(out.SecretBinary).toString('utf8');
      throw new Error(
        `invalid secret received. no secret string nor binary for key: ${ref.key}`,
      );
    } catch (e) {
      if ((e as { name?: string }).name === 'ResourceNotFoundException') {
        throw new NoSecretError();
      }
      throw e;
    }
  };

  /** ESO's provider GetSecret: the value, or one property of a JSON value. */
  const getSecret = async (config: StoreClientConfig, ref: RemoteRef) => {
    const payload = await fetchSecret(config, ref);
    if (!ref.property) return payload;
    const value = selectProperty(payload, ref.property);
    if (value === undefined) {
      throw new Error(
        `key ${ref.property} does not exist in secret ${ref.key}`,
      );
    }
    return value;
  };

  /** ESO's provider GetSecretMap: a JSON object's top-level keys. */
  const getSecretMap = async (config: StoreClientConfig, ref: RemoteRef) => {
    const payload = await getSecret(config, ref);
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      // Not the parser's message: it quotes the (secret) input.
      throw new Error(`unable to unmarshal secret ${ref.key}: not valid JSON`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(
        `unable to unmarshal secret ${ref.key}: not a JSON object`,
      );
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    return out;
  };

  /** The store's client for an ExternalSecret (clientmanager.Get). */
  const clientFor = (es: KubeObject): StoreClientConfig => {
    const ref = ((es.spec as { secretStoreRef?: Partial<StoreRef> })
      ?.secretStoreRef ?? {}) as Partial<StoreRef>;
    const kind = ref.kind ?? 'SecretStore';
    const name = ref.name ?? '';
    const namespace = es.metadata.namespace!;
    const store = getStore(kind, name, namespace);
    if (!store) {
      const plural =
        kind === 'ClusterSecretStore' ? 'clustersecretstores' : 'secretstores';
      throw new Error(
        `could not get ${kind} "${name}", ${plural}.external-secrets.io "${name}" not found`,
      );
    }
    if (!managedStore(store))
      throw new Error('can not reference unmanaged store');
    if (!namespaceAllowed(kube, store, namespace)) {
      throw new Error(
        `using cluster store "${name}" is not allowed from namespace "${namespace}": denied by spec.condition`,
      );
    }
    // The flood gate (ESO's default): only a Ready store is used.
    if (findCondition(store, 'Ready')?.status !== 'True') {
      throw new Error(`${kind} "${name}" is not ready`);
    }
    try {
      return storeClientConfig(kube, store, namespace);
    } catch (e) {
      throw new Error(`could not get provider client: ${(e as Error).message}`);
    }
  };

  const unsupported = (what: string) =>
    new Error(`${what} is not simulated by the sandbox`);

  const assertPlainRef = (ref: RemoteRef, where: string) => {
    if (
      (ref.decodingStrategy && ref.decodingStrategy !== 'None') ||
      (ref.conversionStrategy && ref.conversionStrategy !== 'Default') ||
      (ref.metadataPolicy && ref.metadataPolicy !== 'None')
    ) {
      throw unsupported(`${where} decoding/conversion/metadata policy`);
    }
  };

  /** getProviderSecretData, with ESO's error wrapping. */
  const providerData = async (es: KubeObject) => {
    const spec = (es.spec ?? {}) as {
      data?: Array<{
        secretKey: string;
        remoteRef: RemoteRef;
        sourceRef?: unknown;
      }>;
      dataFrom?: Array<{
        extract?: RemoteRef;
        find?: unknown;
        rewrite?: unknown[];
        sourceRef?: unknown;
      }>;
      target?: { deletionPolicy?: string };
    };
    const deletionPolicy = spec.target?.deletionPolicy ?? 'Retain';
    const config = clientFor(es);
    const out: Record<string, string> = {};
    for (const [i, from] of (spec.dataFrom ?? []).entries()) {
      if (from.find || from.sourceRef || from.rewrite?.length) {
        throw unsupported(`spec.dataFrom[${i}] find/sourceRef/rewrite`);
      }
      if (!from.extract) continue;
      assertPlainRef(from.extract, `spec.dataFrom[${i}].extract`);
      try {
        Object.assign(out, await getSecretMap(config, from.extract));
      } catch (e) {
        if (e instanceof NoSecretError && deletionPolicy !== 'Retain') continue;
        throw e;
      }
    }
    for (const [i, item] of (spec.data ?? []).entries()) {
      if (item.sourceRef) throw unsupported(`spec.data[${i}].sourceRef`);
      assertPlainRef(item.remoteRef, `spec.data[${i}].remoteRef`);
      try {
        out[item.secretKey] = await getSecret(config, item.remoteRef);
      } catch (e) {
        if (e instanceof NoSecretError && deletionPolicy !== 'Retain') continue;
        throw new Error(
          `error retrieving secret at .data[${i}], key: ${
            item.remoteRef?.key
          }, err: ${errorText(e)}`,
        );
      }
    }
    return out;
  };

  /** The Secret an ExternalSecret should produce from provider data. */
  const desiredSecret = (
    es: KubeObject,
    data: Record<string, string>,
    existing: KubeObject | undefined,
  ) => {
    const target = ((es.spec as { target?: Record<string, unknown> })?.target ??
      {}) as {
      name?: string;
      creationPolicy?: string;
      template?: {
        type?: string;
        metadata?: {
          labels?: Record<string, string>;
          annotations?: Record<string, string>;
        };
        mergePolicy?: string;
        data?: Record<string, string>;
        templateFrom?: unknown[];
      };
      immutable?: boolean;
    };
    const template = target.template;
    if (template?.templateFrom?.length) {
      throw new Error(
        'could not apply template: templateFrom is not simulated by the sandbox',
      );
    }
    let out = data;
    if (template?.data) {
      const rendered: Record<string, string> = {};
      for (const [k, v] of Object.entries(template.data)) {
        rendered[k] = renderTemplate(String(v), data);
      }
      out =
        template.mergePolicy === 'Merge' ? { ...data, ...rendered } : rendered;
    }
    const name = target.name ?? es.metadata.name;
    const owner = (target.creationPolicy ?? 'Owner') === 'Owner';
    const base = existing ?? {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: es.metadata.namespace },
    };
    const labels: Record<string, string> = {
      ...(base.metadata.labels ?? {}),
      ...(template?.metadata?.labels ?? {}),
      [LABEL_MANAGED]: 'true',
    };
    if (owner)
      labels[LABEL_OWNER] = md5(`${es.metadata.namespace}/${es.metadata.name}`);
    else delete labels[LABEL_OWNER];
    const encoded = Object.fromEntries(
      Object.entries(out)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, b64(v)]),
    );
    const ownerRefs = (base.metadata.ownerReferences ?? []).filter(
      r =>
        !(
          r.kind === 'ExternalSecret' &&
          r.apiVersion.startsWith('external-secrets.io/')
        ),
    );
    if (owner) {
      ownerRefs.push({
        apiVersion: es.apiVersion,
        kind: 'ExternalSecret',
        name: es.metadata.name,
        uid: es.metadata.uid!,
        controller: true,
        blockOwnerDeletion: true,
      } as (typeof ownerRefs)[number]);
    }
    const secret: KubeObject = {
      ...base,
      metadata: {
        ...base.metadata,
        labels,
        annotations: {
          ...(base.metadata.annotations ?? {}),
          ...(template?.metadata?.annotations ?? {}),
          [ANNOTATION_DATA_HASH]: md5(stableJson(encoded)),
        },
        ...(ownerRefs.length ? { ownerReferences: ownerRefs } : {}),
      },
      type: template?.type ?? (base.type as string | undefined) ?? 'Opaque',
      data: encoded,
      ...(target.immutable ? { immutable: true } : {}),
    };
    if (!owner && !ownerRefs.length) delete secret.metadata.ownerReferences;
    return secret;
  };

  const markFailed = (es: KubeObject, message: string, cause: unknown) => {
    const detail = errorText(cause);
    const previous = findCondition(es, 'Ready');
    writeStatus(
      kube,
      { ...ES, namespace: es.metadata.namespace, name: es.metadata.name },
      current => {
        const status = (current.status ?? {}) as Record<string, unknown>;
        return {
          ...status,
          conditions: setCondition(status.conditions as Condition[], {
            type: 'Ready',
            status: 'False',
            reason: 'SecretSyncedError',
            message,
          }),
        };
      },
    );
    const signature = `${es.metadata.uid}|${detail}`;
    if (
      previous?.reason !== 'SecretSyncedError' ||
      failureEvents.get(es.metadata.uid!) !== signature
    ) {
      failureEvents.set(es.metadata.uid!, signature);
      recordEvent(kube, es, 'Warning', 'UpdateFailed', detail, COMPONENT);
      ctx.log(
        `external-secrets: ExternalSecret ${keyOf(es)} not synced: ${detail}`,
      );
    }
  };
  const markDone = (
    es: KubeObject,
    start: Date,
    reason: string,
    message: string,
    binding?: string,
  ) => {
    writeStatus(
      kube,
      { ...ES, namespace: es.metadata.namespace, name: es.metadata.name },
      current => {
        const status = (current.status ?? {}) as Record<string, unknown>;
        return {
          ...status,
          conditions: setCondition(status.conditions as Condition[], {
            type: 'Ready',
            status: 'True',
            reason,
            message,
          }),
          refreshTime: kubeTime(start),
          syncedResourceVersion: syncedResourceVersion(current),
          ...(binding ? { binding: { name: binding } } : {}),
        };
      },
    );
    failureEvents.delete(es.metadata.uid!);
  };

  const refreshIntervalOf = (es: KubeObject) => {
    const raw = (es.spec as { refreshInterval?: string })?.refreshInterval;
    const parsed =
      raw === undefined ? 3_600_000 : parseGoDuration(raw) ?? 3_600_000;
    return parsed;
  };

  const reconcileExternalSecret = async (
    key: string,
  ): Promise<number | void> => {
    const { namespace, name } = splitKey(key);
    const es = kube.get({ ...ES, namespace, name });
    if (!es || es.metadata.deletionTimestamp) return undefined;
    const start = new Date();
    const spec = (es.spec ?? {}) as {
      refreshPolicy?: string;
      target?: {
        name?: string;
        creationPolicy?: string;
        deletionPolicy?: string;
      };
    };
    const secretName = spec.target?.name ?? name;
    const existing = kube.get({ ...SECRET, namespace, name: secretName });
    const status = (es.status ?? {}) as {
      refreshTime?: string;
      syncedResourceVersion?: string;
    };
    const interval = refreshIntervalOf(es);
    const effective = interval > 0 ? Math.min(interval, refreshCapMs) : 0;
    const ready = findCondition(es, 'Ready');
    const upToDate =
      ready?.status === 'True' &&
      status.syncedResourceVersion === syncedResourceVersion(es);
    const secretValid =
      existing?.metadata.labels?.[LABEL_MANAGED] === 'true' &&
      existing.metadata.annotations?.[ANNOTATION_DATA_HASH] ===
        md5(stableJson(existing.data ?? {}));
    const policy = spec.refreshPolicy ?? 'Periodic';
    const creationPolicy = spec.target?.creationPolicy ?? 'Owner';
    const needsSecret = creationPolicy !== 'None' && creationPolicy !== 'Merge';
    if (upToDate && (secretValid || !needsSecret)) {
      if (policy !== 'Periodic' || effective === 0) return undefined;
      const since = Date.now() - (Date.parse(status.refreshTime ?? '') || 0);
      if (since < effective) return effective - since;
    }
    if (policy === 'CreatedOnce' && upToDate && existing) return undefined;

    let data: Record<string, string>;
    try {
      data = await providerData(es);
    } catch (e) {
      if (stopped) return undefined;
      markFailed(es, MSG_ERR_GET_DATA, e);
      return profile.esoReconcileMs * 10;
    }
    if (stopped) return undefined;
    const latest = kube.get({ ...ES, namespace, name });
    if (!latest || latest.metadata.uid !== es.metadata.uid) return undefined;

    const deletionPolicy = spec.target?.deletionPolicy ?? 'Retain';
    if (Object.keys(data).length === 0 && deletionPolicy !== 'Merge') {
      if (deletionPolicy === 'Delete') {
        if (creationPolicy !== 'Owner') {
          markFailed(
            latest,
            'could not delete secret',
            new Error(
              `unable to delete secret ${secretName}: creationPolicy=${creationPolicy} is not Owner`,
            ),
          );
          return undefined;
        }
        if (existing) {
          try {
            kube.delete({ ...SECRET, namespace, name: secretName });
          } catch {
            // already gone
          }
        }
        markDone(latest, start, 'SecretDeleted', MSG_DELETED);
        return effective || undefined;
      }
      markDone(latest, start, 'SecretSynced', MSG_SYNCED_RETAIN);
      return effective || undefined;
    }

    try {
      const current = kube.get({ ...SECRET, namespace, name: secretName });
      const owner = current?.metadata.ownerReferences?.find(r => r.controller);
      if (
        owner &&
        owner.kind === 'ExternalSecret' &&
        owner.name !== latest.metadata.name
      ) {
        markFailed(
          latest,
          MSG_ERR_IS_OWNED,
          new Error(`secret is owned by another ExternalSecret: ${owner.name}`),
        );
        return undefined;
      }
      if (creationPolicy === 'None') {
        markDone(latest, start, 'SecretSynced', MSG_SYNCED);
        return effective || undefined;
      }
      if (creationPolicy === 'Merge' && !current) {
        markDone(latest, start, 'SecretMissing', MSG_MISSING);
        return effective || undefined;
      }
      let desired = desiredSecret(latest, data, current);
      if (creationPolicy === 'Merge' && current) {
        desired = {
          ...desired,
          data: {
            ...((current.data ?? {}) as Record<string, string>),
            ...(desired.data as object),
          },
        };
        desired.metadata.annotations![ANNOTATION_DATA_HASH] = md5(
          stableJson(desired.data),
        );
      }
      const fieldManager = `externalsecrets.external-secrets.io/${latest.metadata.name}`;
      if (!current) {
        kube.create(desired, { fieldManager });
        recordEvent(
          kube,
          latest,
          'Normal',
          'Created',
          'secret created',
          COMPONENT,
        );
        ctx.log(`external-secrets: created secret ${namespace}/${secretName}`);
      } else if (stableJson(strip(current)) !== stableJson(strip(desired))) {
        kube.update(desired, { fieldManager });
        recordEvent(
          kube,
          latest,
          'Normal',
          'Updated',
          'secret updated',
          COMPONENT,
        );
        ctx.log(`external-secrets: updated secret ${namespace}/${secretName}`);
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) return 0;
      markFailed(latest, MSG_ERR_UPDATE, e);
      return profile.esoReconcileMs * 10;
    }
    markDone(latest, start, 'SecretSynced', MSG_SYNCED, secretName);
    return effective || undefined;
  };

  const stores = startWorkQueue({
    ctx,
    name: 'external-secrets-stores',
    watches: [
      { ...SS, keys: (o, t) => (t === 'DELETED' ? [] : [storeKey(o)]) },
      { ...CSS, keys: (o, t) => (t === 'DELETED' ? [] : [storeKey(o)]) },
      {
        ...SECRET,
        keys: o => {
          const id = `${o.metadata.namespace}/${o.metadata.name}`;
          return allStores()
            .filter(s =>
              referencedSecrets(s).some(
                r => r === id || r === `*/${o.metadata.name}`,
              ),
            )
            .map(storeKey);
        },
      },
    ],
    listKeys: () => allStores().map(storeKey),
    resyncMs: profile.esoReconcileMs,
    reconcile: reconcileStore,
  });

  const esKeysForStore = (store: KubeObject) =>
    kube
      .list(ES.apiVersion, ES.kind, {
        namespace:
          store.kind === 'SecretStore' ? store.metadata.namespace : undefined,
      })
      .filter(es => {
        const ref = (es.spec as { secretStoreRef?: Partial<StoreRef> })
          ?.secretStoreRef;
        return (
          (ref?.kind ?? 'SecretStore') === store.kind &&
          ref?.name === store.metadata.name
        );
      })
      .map(keyOf);

  const secrets = startWorkQueue({
    ctx,
    name: 'external-secrets',
    watches: [
      { ...ES, keys: (o, t) => (t === 'DELETED' ? [] : [keyOf(o)]) },
      { ...SS, keys: esKeysForStore },
      { ...CSS, keys: esKeysForStore },
      {
        ...SECRET,
        keys: o =>
          kube
            .list(ES.apiVersion, ES.kind, { namespace: o.metadata.namespace })
            .filter(
              es =>
                ((es.spec as { target?: { name?: string } })?.target?.name ??
                  es.metadata.name) === o.metadata.name,
            )
            .map(keyOf),
      },
      {
        ...NAMESPACE,
        keys: o =>
          kube
            .list(ES.apiVersion, ES.kind, { namespace: o.metadata.name })
            .map(keyOf),
      },
    ],
    listKeys: () => kube.list(ES.apiVersion, ES.kind).map(keyOf),
    resyncMs: refreshCapMs,
    reconcile: reconcileExternalSecret,
  });

  function allStores() {
    return [
      ...kube.list(CSS.apiVersion, CSS.kind),
      ...kube.list(SS.apiVersion, SS.kind),
    ];
  }

  // Kubernetes' garbage collector deletes what an ExternalSecret owns
  // (creationPolicy Owner) when the ExternalSecret goes; the sandbox has no
  // GC, so the operator simulation does it for its own Secrets.
  const unwatchGc = kube.watch(ES.apiVersion, ES.kind, event => {
    if (event.type !== 'DELETED') return;
    const { uid, namespace } = event.object.metadata;
    setImmediate(() => {
      if (stopped) return;
      for (const s of kube.list(SECRET.apiVersion, SECRET.kind, {
        namespace,
      })) {
        if (
          s.metadata.ownerReferences?.some(r => r.uid === uid && r.controller)
        ) {
          try {
            kube.delete({ ...SECRET, namespace, name: s.metadata.name });
          } catch {
            // already gone
          }
        }
      }
    });
  });

  return {
    name: 'external-secrets',
    stop() {
      stopped = true;
      unwatchGc();
      access.destroy();
      stores.stop();
      secrets.stop();
    },
  };
}

function readyCondition(
  status: 'True' | 'False',
  reason: string,
  message: string,
): Condition {
  return { type: 'Ready', status, reason, message };
}

/** A ClusterSecretStore whose secret refs name no namespace (referent auth). */
function isReferent(store: KubeObject): boolean {
  if (store.kind !== 'ClusterSecretStore') return false;
  let aws: AwsProviderSpec;
  try {
    aws = awsProviderOf(store);
  } catch {
    return false;
  }
  const ref = aws.auth!.secretRef!;
  return Boolean(
    ref.accessKeyIDSecretRef?.name &&
      ref.secretAccessKeySecretRef?.name &&
      (!ref.accessKeyIDSecretRef.namespace ||
        !ref.secretAccessKeySecretRef.namespace),
  );
}

function errorText(e: unknown): string {
  if (e instanceof NoSecretError) return NO_SECRET;
  if (e instanceof AwsError || (e as { $metadata?: unknown })?.$metadata) {
    return describeAwsError(e);
  }
  return e instanceof Error ? e.message : String(e);
}

/** A Secret without server-managed metadata, for change detection. */
function strip(o: KubeObject) {
  const {
    resourceVersion,
    managedFields,
    generation,
    uid,
    creationTimestamp,
    ...meta
  } = o.metadata;
  return { ...o, metadata: meta };
}
