/** A stand-in cluster and the statuses the External Secrets operators write, for the External Secrets tests. */
import { ApiException } from '@kubernetes/client-node';
import { ClusterClient, FIELD_MANAGER, ObjectRef } from '../client';

type Obj = Record<string, any>;

/** A Kubernetes Status error as client-node throws it. */
export const statusError = (code: 403 | 404) =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({
      kind: 'Status',
      reason: code === 404 ? 'NotFound' : 'Forbidden',
      message: 'nope',
    }),
    {},
  );

/**
 * A stand-in cluster: objects by kind/namespace/name, server-side apply
 * with managed fields and generations, and `operator`, called after each
 * read, standing for the operators that write status.
 */
export function fakeCluster(
  options: {
    objects?: Obj[];
    /** Kinds without a CRD. */
    notServed?: string[];
    /** Kinds the portal may not read. */
    forbidden?: string[];
    operator?: (objects: Map<string, Obj>) => void;
  } = {},
) {
  const key = (kind: string, namespace: string | undefined, name: string) =>
    `${kind}/${namespace ?? ''}/${name}`;
  const objects = new Map<string, Obj>();
  for (const o of options.objects ?? []) {
    objects.set(key(o.kind, o.metadata.namespace, o.metadata.name), o);
  }
  const applied: string[] = [];
  const served = (kind: string) => {
    if (options.notServed?.includes(kind)) {
      throw new Error(
        `Failed to fetch resource metadata: Unrecognized API version and kind: x ${kind}`,
      );
    }
  };
  const cluster = {
    server: 'https://k8s.example.com',
    async get(ref: ObjectRef) {
      served(ref.kind);
      if (options.forbidden?.includes(ref.kind)) throw statusError(403);
      const found = objects.get(key(ref.kind, ref.namespace, ref.name));
      options.operator?.(objects);
      return structuredClone(found);
    },
    async list(_apiVersion: string, kind: string) {
      served(kind);
      return [...objects.values()]
        .filter(o => o.kind === kind)
        .map(o => structuredClone(o));
    },
    async apply(o: Obj) {
      served(o.kind);
      const k = key(o.kind, o.metadata.namespace, o.metadata.name);
      const existing = objects.get(k);
      const changed = JSON.stringify(existing?.spec) !== JSON.stringify(o.spec);
      const next = {
        ...existing,
        ...structuredClone(o),
        metadata: {
          ...existing?.metadata,
          ...o.metadata,
          generation: (existing?.metadata.generation ?? 0) + (changed ? 1 : 0),
          managedFields: [{ manager: FIELD_MANAGER, operation: 'Apply' }],
        },
        status: existing?.status,
      };
      objects.set(k, next);
      applied.push(`${o.kind} ${o.metadata.name}`);
      return structuredClone(next);
    },
  };
  return {
    cluster: cluster as unknown as ClusterClient,
    objects,
    applied,
    get: (kind: string, name: string, namespace?: string) =>
      objects.get(key(kind, namespace, name)),
  };
}

/** The Helm operator's status after installing the chart (operator-sdk). */
export const helmDeployed = {
  conditions: [
    { type: 'Initialized', status: 'True' },
    {
      type: 'Deployed',
      status: 'True',
      reason: 'InstallSuccessful',
      message: 'external-secrets has been deployed successfully!',
    },
  ],
  deployedRelease: { name: 'cluster' },
};

/** Red Hat's operator's status after a successful reconcile. */
export const redHatReady = (generation: number) => ({
  conditions: [
    {
      type: 'Degraded',
      status: 'False',
      reason: 'Ready',
      observedGeneration: generation,
    },
    {
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      message: 'reconciliation successful',
      observedGeneration: generation,
    },
  ],
});

/** A controller Deployment, Available or not. */
export const deployment = (
  namespace: string,
  name: string,
  available: boolean,
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: { replicas: 1 },
  status: {
    availableReplicas: available ? 1 : 0,
    conditions: [
      available
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
    ],
  },
});

/** Polls every 5 ms and gives up after 2 s. */
export const fast = { timeoutMs: 2_000, pollMs: 5 };
