import { KubernetesObject } from '@kubernetes/client-node';
import { EnsureError } from '../aws/errors';
import { EnsureOptions, EnsureResult, summarize } from '../aws/types';
import { ClusterClient, waitFor } from './client';
import { kubeStep } from './step';

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
 * The Ready condition of a SecretStore/ClusterSecretStore, as External
 * Secrets reports it.
 *
 * @public
 */
export function storeReadiness(store: Store | undefined) {
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
 * message.
 *
 * @public
 */
export async function ensureClusterSecretStore(
  cluster: ClusterClient,
  store: Store,
  options: EnsureOptions & { timeoutMs?: number } = {},
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

  const changes: string[] = [];
  if (
    !existing ||
    JSON.stringify(existing.spec) !==
      JSON.stringify({ ...existing.spec, ...store.spec })
  ) {
    changes.push(existing ? 'update the store' : 'create the store');
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
    { timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 250 },
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
