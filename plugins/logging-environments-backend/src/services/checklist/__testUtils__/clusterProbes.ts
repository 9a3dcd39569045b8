import {
  ArgoCdFlavourSetting,
  ClusterClient,
  argoCdHealthCheckSettings,
} from '@internal/plugin-logging-environments-node';
import { ArgoRevisionSource } from '../../revision';
import { Environment } from '../../types';
import { ChecklistProbe, ProbeContext } from '../types';

/** A Kubernetes object of the stand-in cluster. */
export type Obj = Record<string, any>;

/** A stand-in cluster serving `objects` (get and list, no watch). */
export function fakeCluster(objects: Obj[]): ClusterClient {
  const matches = (o: Obj, kind: string, name?: string, namespace?: string) =>
    o.kind === kind &&
    (name === undefined || o.metadata.name === name) &&
    (namespace === undefined || o.metadata.namespace === namespace);
  return {
    server: 'https://k8s.example.com',
    async get(ref: any) {
      return structuredClone(
        objects.find(o => matches(o, ref.kind, ref.name, ref.namespace)),
      );
    },
    async list(_apiVersion: string, kind: string) {
      return objects.filter(o => matches(o, kind)).map(o => structuredClone(o));
    },
  } as unknown as ClusterClient;
}

/**
 * Runs one cluster probe against a stand-in cluster holding `objects`, with
 * the product's shipped Argo CD health checks and the given Argo CD flavour
 * setting of the cluster (default `auto`).
 */
export function probeRun(
  probe: ChecklistProbe,
  environment: Environment,
  objects: Obj[],
  options: { flavour?: ArgoCdFlavourSetting } = {},
) {
  const shipped = argoCdHealthCheckSettings();
  const cluster = fakeCluster(objects);
  const context: ProbeContext = {
    environment,
    aws: () => Promise.reject(new Error('no AWS here')),
    cluster: () => cluster,
    lokiUser: () => Promise.reject(new Error('no AWS here')),
    secret: () => {},
    gitops: { repoUrl: 'https://git.example.com/gitops.git' },
    revisions: new ArgoRevisionSource({ clusters: () => cluster }),
    argoCd: {
      healthChecks: () => shipped.healthChecks(),
      flavour: () => options.flavour ?? 'auto',
    },
    timeoutMs: 10_000,
  };
  return probe.run(context);
}

/** A Ready `aws-secrets-manager` ClusterSecretStore, with the given `spec.conditions`. */
export const readyStore = (conditions?: unknown) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
  metadata: { name: 'aws-secrets-manager' },
  spec: {
    provider: {
      aws: {
        service: 'SecretsManager',
        region: 'us-east-1',
        auth: {
          secretRef: {
            accessKeyIDSecretRef: {
              name: 'aws-credentials',
              namespace: 'external-secrets-system',
              key: 'access-key-id',
            },
          },
        },
      },
    },
    ...(conditions ? { conditions } : {}),
  },
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Valid' }] },
});
