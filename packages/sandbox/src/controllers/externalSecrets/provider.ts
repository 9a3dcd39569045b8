/**
 * Provider access: the store client an ExternalSecret gets (flood gate,
 * namespace conditions), and reading its `data` and `dataFrom` from Secrets
 * Manager with the store's credentials, authorized by their IAM policies.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { KubeObject } from '../../kube/types';
import { findCondition } from '../kit';
import {
  EsoRuntime,
  NoSecretError,
  RemoteRef,
  StoreClientConfig,
  StoreRef,
  errorText,
} from './model';
import {
  getStore,
  managedStore,
  namespaceAllowed,
  storeClientConfig,
} from './storeConfig';

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

/** Fetches one secret from Secrets Manager as the store's client would. */
async function fetchSecret(
  rt: EsoRuntime,
  config: StoreClientConfig,
  ref: RemoteRef,
): Promise<string> {
  const { access } = rt;
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
    if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new Error(
      `invalid secret received. no secret string nor binary for key: ${ref.key}`,
    );
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') {
      throw new NoSecretError();
    }
    throw e;
  }
}

/** ESO's provider GetSecret: the value, or one property of a JSON value. */
async function getSecret(
  rt: EsoRuntime,
  config: StoreClientConfig,
  ref: RemoteRef,
) {
  const payload = await fetchSecret(rt, config, ref);
  if (!ref.property) return payload;
  const value = selectProperty(payload, ref.property);
  if (value === undefined) {
    throw new Error(`key ${ref.property} does not exist in secret ${ref.key}`);
  }
  return value;
}

/** ESO's provider GetSecretMap: a JSON object's top-level keys. */
async function getSecretMap(
  rt: EsoRuntime,
  config: StoreClientConfig,
  ref: RemoteRef,
) {
  const payload = await getSecret(rt, config, ref);
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    // Not the parser's message: it quotes the (secret) input.
    throw new Error(`unable to unmarshal secret ${ref.key}: not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`unable to unmarshal secret ${ref.key}: not a JSON object`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** The store's client for an ExternalSecret (clientmanager.Get). */
function clientFor(rt: EsoRuntime, es: KubeObject): StoreClientConfig {
  const kube = rt.ctx.store;
  const ref = ((es.spec as { secretStoreRef?: Partial<StoreRef> })
    ?.secretStoreRef ?? {}) as Partial<StoreRef>;
  const kind = ref.kind ?? 'SecretStore';
  const name = ref.name ?? '';
  const namespace = es.metadata.namespace!;
  const store = getStore(kube, kind, name, namespace);
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
}

const unsupported = (what: string) =>
  new Error(`${what} is not simulated by the sandbox`);

function assertPlainRef(ref: RemoteRef, where: string) {
  if (
    (ref.decodingStrategy && ref.decodingStrategy !== 'None') ||
    (ref.conversionStrategy && ref.conversionStrategy !== 'Default') ||
    (ref.metadataPolicy && ref.metadataPolicy !== 'None')
  ) {
    throw unsupported(`${where} decoding/conversion/metadata policy`);
  }
}

/** getProviderSecretData, with ESO's error wrapping. */
export async function providerData(
  rt: EsoRuntime,
  es: KubeObject,
): Promise<Record<string, string>> {
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
  const config = clientFor(rt, es);
  const out: Record<string, string> = {};
  for (const [i, from] of (spec.dataFrom ?? []).entries()) {
    if (from.find || from.sourceRef || from.rewrite?.length) {
      throw unsupported(`spec.dataFrom[${i}] find/sourceRef/rewrite`);
    }
    if (!from.extract) continue;
    assertPlainRef(from.extract, `spec.dataFrom[${i}].extract`);
    try {
      Object.assign(out, await getSecretMap(rt, config, from.extract));
    } catch (e) {
      if (e instanceof NoSecretError && deletionPolicy !== 'Retain') continue;
      throw e;
    }
  }
  for (const [i, item] of (spec.data ?? []).entries()) {
    if (item.sourceRef) throw unsupported(`spec.data[${i}].sourceRef`);
    assertPlainRef(item.remoteRef, `spec.data[${i}].remoteRef`);
    try {
      out[item.secretKey] = await getSecret(rt, config, item.remoteRef);
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
}
