/**
 * What a SecretStore or ClusterSecretStore says: its AWS provider spec, the
 * credentials its `auth.secretRef` points at, whether the operator manages
 * it, and which namespaces may use a ClusterSecretStore.
 */
import { parseLabelSelector } from '../../kube/selectors';
import { KubeObject, ObjectStore } from '../../kube/types';
import { secretData } from '../kit';
import {
  AwsProviderSpec,
  AwsSecretRef,
  CSS,
  ClientError,
  NAMESPACE,
  SECRET,
  SS,
  StoreClientConfig,
} from './model';

/** A store by kind, name and (for a SecretStore) namespace. */
export function getStore(
  kube: ObjectStore,
  kind: string,
  name: string,
  namespace?: string,
) {
  return kind === 'ClusterSecretStore'
    ? kube.get({ ...CSS, name })
    : kube.get({ ...SS, namespace, name });
}

/** Every SecretStore and ClusterSecretStore. */
export function allStores(kube: ObjectStore) {
  return [
    ...kube.list(CSS.apiVersion, CSS.kind),
    ...kube.list(SS.apiVersion, SS.kind),
  ];
}

/** A store's AWS provider spec, or a ClientError. */
export function awsProviderOf(store: KubeObject): AwsProviderSpec {
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
export function storeClientConfig(
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

/** A ClusterSecretStore whose secret refs name no namespace (referent auth). */
export function isReferent(store: KubeObject): boolean {
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

/** Secrets (namespace/name) a store's auth references. */
export function referencedSecrets(store: KubeObject): string[] {
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
export function managedStore(store: KubeObject): boolean {
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
