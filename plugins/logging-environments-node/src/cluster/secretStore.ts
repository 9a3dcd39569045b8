import { KubernetesObject } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { EnsureError } from '../aws/errors';
import { EnsureOptions, EnsureResult, summarize } from '../aws/types';
import { ClusterClient, waitFor } from './client';
import { holds } from './holds';
import { kubeStep } from './step';
import { CLUSTER_CREDENTIALS } from './credentials';
import { ENVIRONMENT_LABEL } from '@internal/plugin-logging-environments-common';

/** The ClusterSecretStore the stack's ExternalSecret uses. */
export const CLUSTER_SECRET_STORE_NAME = 'aws-secrets-manager';

type Store = KubernetesObject & {
  spec?: any;
  status?: {
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }>;
  };
};

/**
 * The ClusterSecretStore an environment's bootstrap applies: AWS Secrets
 * Manager in the environment's region, authenticated by the
 * `aws-credentials` Secret, serving only the environment's namespace (no
 * regex, no other namespace: another namespace could read the Loki key).
 *
 * @public
 */
export function expectedClusterSecretStore(environment: {
  name: string;
  region: string;
  namespace: string;
}): Store & { spec: any } {
  const { namespace, name, accessKeyIdKey, secretAccessKeyKey } =
    CLUSTER_CREDENTIALS;
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: {
      name: CLUSTER_SECRET_STORE_NAME,
      labels: {
        'app.kubernetes.io/managed-by': 'backstage-logging-environments',
        [ENVIRONMENT_LABEL]: environment.name,
      },
    },
    spec: {
      provider: {
        aws: {
          service: 'SecretsManager',
          region: environment.region,
          auth: {
            secretRef: {
              accessKeyIDSecretRef: { name, namespace, key: accessKeyIdKey },
              secretAccessKeySecretRef: {
                name,
                namespace,
                key: secretAccessKeyKey,
              },
            },
          },
        },
      },
      conditions: [{ namespaces: [environment.namespace] }],
    },
  };
}

/**
 * Where a rendered ClusterSecretStore differs from what the environment's
 * bootstrap applies ({@link expectedClusterSecretStore}), field by field.
 *
 * @public
 */
export function clusterSecretStoreProblems(
  store: Store,
  environment: { name: string; region: string; namespace: string },
): string[] {
  const expected = expectedClusterSecretStore(environment);
  const problems: string[] = [];
  if (
    store.apiVersion !== expected.apiVersion ||
    store.kind !== expected.kind
  ) {
    return [`must be an ${expected.apiVersion} ${expected.kind}`];
  }
  if (store.metadata?.name !== CLUSTER_SECRET_STORE_NAME) {
    problems.push(`metadata.name must be "${CLUSTER_SECRET_STORE_NAME}"`);
  }
  if (store.metadata?.labels?.[ENVIRONMENT_LABEL] !== environment.name) {
    problems.push(
      `metadata.labels["${ENVIRONMENT_LABEL}"] must be "${environment.name}"`,
    );
  }
  const spec = (store as { spec?: any }).spec ?? {};
  if (!isDeepStrictEqual(spec.provider, expected.spec.provider)) {
    problems.push(
      `spec.provider must be AWS Secrets Manager in ${environment.region}, authenticated by ${CLUSTER_CREDENTIALS.namespace}/${CLUSTER_CREDENTIALS.name}`,
    );
  }
  if (!isDeepStrictEqual(spec.conditions, expected.spec.conditions)) {
    problems.push(
      `spec.conditions must allow exactly the namespace ${environment.namespace} (no regex, no other namespace)`,
    );
  }
  const extra = Object.keys(spec).filter(
    k => k !== 'provider' && k !== 'conditions',
  );
  if (extra.length) {
    problems.push(`spec.${extra.join(', spec.')} is not allowed`);
  }
  return problems;
}

/**
 * The Ready condition of a SecretStore/ClusterSecretStore, as External
 * Secrets reports it; a store being deleted (`metadata.deletionTimestamp`,
 * held by a finalizer) is not ready, whatever its condition still says.
 *
 * @public
 */
export function storeReadiness(store: Store | undefined) {
  if (store?.metadata?.deletionTimestamp) {
    return {
      ready: false,
      reason: 'Terminating',
      message: `${store.kind ?? 'SecretStore'} ${
        store.metadata.name
      } is being deleted`,
    };
  }
  const ready = store?.status?.conditions?.find(c => c.type === 'Ready');
  return {
    ready: ready?.status === 'True',
    reason: ready?.reason,
    message: ready?.message,
  };
}

/**
 * Applies the rendered `aws-secrets-manager` ClusterSecretStore by
 * server-side apply and waits, bounded, until External Secrets reports it
 * Ready; when it does not, fails with External Secrets' own reason and
 * message. A store already there for another environment (or without the
 * environment label) is replaced only with `rotate`; the environment's own
 * store is brought back to the rendered spec. A store being deleted is not
 * touched: the call fails, naming it, until it is gone.
 *
 * @public
 */
export async function ensureClusterSecretStore(
  cluster: ClusterClient,
  store: Store,
  options: EnsureOptions & { timeoutMs?: number; rotate?: boolean } = {},
): Promise<EnsureResult> {
  if (
    store.kind !== 'ClusterSecretStore' ||
    store.apiVersion !== 'external-secrets.io/v1'
  ) {
    throw new EnsureError(
      'ClusterSecretStore',
      'validate',
      'Invalid',
      [],
      undefined,
      `expected an external-secrets.io/v1 ClusterSecretStore, got ${store.apiVersion} ${store.kind}`,
    );
  }
  const name = store.metadata?.name ?? CLUSTER_SECRET_STORE_NAME;
  const resource = `ClusterSecretStore ${name}`;
  const done: string[] = [];
  const ref = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    name,
  };
  const existing = await kubeStep(resource, 'read', done, () =>
    cluster.get<Store>(ref),
  );

  // Applying to it would not stop the deletion: the store would vanish.
  if (existing?.metadata?.deletionTimestamp) {
    throw new EnsureError(
      resource,
      'apply',
      'Conflict',
      done,
      undefined,
      `${resource} is being deleted (a finalizer holds it: ${(
        existing.metadata.finalizers ?? []
      ).join(', ')}); run again once it is gone`,
    );
  }
  const changes: string[] = [];
  if (!existing || !holds(existing.spec, store.spec)) {
    changes.push(existing ? 'update the store' : 'create the store');
  }
  const owner = existing?.metadata?.labels?.[ENVIRONMENT_LABEL];
  const wantedOwner = store.metadata?.labels?.[ENVIRONMENT_LABEL];
  if (existing && owner !== wantedOwner) {
    changes.push(
      `take the store over from ${
        owner ? `the environment ${owner}` : 'an unlabelled store'
      }`,
    );
  }
  // A store of another environment (or of nobody we know) is replaced only
  // by a rotation; our own store is brought back to what it must be.
  if (existing && owner !== wantedOwner && !options.rotate) {
    throw new EnsureError(
      resource,
      'replace the store',
      'Conflict',
      done,
      undefined,
      `it already exists for ${
        owner ? `the environment ${owner}` : 'no environment of ours'
      }; replacing it is a rotation and needs the explicit rotation input (rotate: true)`,
    );
  }
  // Apply even when it looks the same: server-side apply is idempotent, and
  // the comparison above cannot see defaults the API server added.
  if (options.dryRun) {
    await kubeStep(resource, 'apply (dry run)', done, () =>
      cluster.apply(store, { dryRun: true }),
    );
    return summarize(resource, Boolean(existing), changes, true);
  }
  const applied = await kubeStep(resource, 'apply', done, () =>
    cluster.apply(store),
  );
  done.push(existing ? 'applied the store' : 'created the store');
  if (
    existing &&
    owner === wantedOwner &&
    JSON.stringify(existing.spec) === JSON.stringify(applied.spec as any)
  ) {
    changes.length = 0;
  }

  const read = () =>
    kubeStep(resource, 'read', done, () => cluster.get<Store>(ref));
  const ready = await waitFor(
    async () => {
      const current = await read();
      const readiness = storeReadiness(current);
      // Only a verdict on the spec we applied counts.
      return readiness.ready ? readiness : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 120_000,
      intervalMs: 250,
      progress: options.onWaiting && {
        what: `${resource} to be Ready (External Secrets validates its AWS credentials)`,
        log: options.onWaiting,
      },
    },
  );
  if (!ready) {
    const last = storeReadiness(await read());
    throw new EnsureError(
      resource,
      'wait for Ready',
      last.reason ?? 'NotReady',
      done,
      undefined,
      last.message
        ? `External Secrets reports: ${last.message}`
        : 'External Secrets has not reported the store Ready (is the External Secrets operator installed?)',
    );
  }
  return summarize(resource, Boolean(existing), changes, false);
}
