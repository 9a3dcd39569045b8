/**
 * What the tests of DefaultEnvironmentRecordService share: the example org's
 * callers, a bootstrap request, the Argo CD objects a bootstrap registers,
 * and the service on a fresh store with two stand-in clusters.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ClusterClient,
  ConfigClusterRegistry,
} from '@internal/plugin-logging-environments-node';
import { createTestStore } from '../../../database/__testUtils__/createTestStore';
import { readTierPolicies } from '../../environments/tierPolicies';
import { DefaultEnvironmentRecordService } from '../DefaultEnvironmentRecordService';
import { RecordCaller } from '../types';

const REPO = 'http://git.example.com/gitops.git';

export const requester: RecordCaller = {
  userEntityRef: 'user:default/requester',
  ownershipEntityRefs: [
    'user:default/requester',
    'group:default/platform-team',
  ],
  mayCreate: true,
};
export const teammate: RecordCaller = {
  userEntityRef: 'user:default/teammate',
  ownershipEntityRefs: ['user:default/teammate', 'group:default/platform-team'],
  mayCreate: true,
};
export const viewer: RecordCaller = {
  userEntityRef: 'user:default/viewer',
  ownershipEntityRefs: ['user:default/viewer', 'group:default/checkout-team'],
  mayCreate: true,
};
export const admin: RecordCaller = {
  userEntityRef: 'user:default/admin',
  ownershipEntityRefs: ['user:default/admin', 'group:default/platform-admins'],
  mayCreate: true,
  mayAdminister: true,
};

export const request = {
  name: 'acme-prod',
  tier: 'production',
  cluster: 'prod-1',
  owner: 'group:default/platform-team',
  region: 'us-east-2',
  bucket: 'acme-prod-loki',
};

/** The Argo CD objects a cluster holds, as the bootstrap registers them. */
export function registered(name: string, uid = `${name}-uid`): any[] {
  const meta = (n: string) => ({
    name: n,
    namespace: 'openshift-gitops',
    uid: `${uid}-${n}`,
    labels: {
      'app.kubernetes.io/part-of': 'logging-environments',
      'logging-environments.io/environment': name,
    },
  });
  const app = (role: string) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: meta(`${name}-logging-${role}`),
    spec: {
      project: `${name}-logging`,
      source: {
        repoURL: REPO,
        path: `environments/${name}/${role}`,
        targetRevision: 'main',
      },
      destination: {
        server: 'https://kubernetes.default.svc',
        namespace: 'openshift-logging',
      },
    },
  });
  return [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: meta(`${name}-logging`),
      spec: {
        sourceRepos: [REPO],
        destinations: [
          {
            server: 'https://kubernetes.default.svc',
            namespace: 'openshift-logging',
          },
        ],
      },
    },
    app('infrastructure'),
    app('forwarder'),
  ];
}

/** A cluster's Argo CD namespace, as far as the service reads it. */
function fakeCluster(objects: any[]) {
  return {
    async get(ref: { kind: string; name: string }) {
      return objects.find(
        o => o.kind === ref.kind && o.metadata.name === ref.name,
      );
    },
    async list(_apiVersion: string, kind: string) {
      return objects.filter(o => o.kind === kind);
    },
  } as unknown as ClusterClient;
}

export async function setup(config: object = {}) {
  const { store, records } = await createTestStore();
  const clusters: Record<string, any[]> = { 'prod-1': [], 'prod-2': [] };
  /** The signals the service sent, as `<ref>:<change>`. */
  const changes: string[] = [];
  const service = new DefaultEnvironmentRecordService({
    records,
    history: store,
    clusters: ConfigClusterRegistry.fromConfig(
      new ConfigReader({
        loggingEnvironments: {
          clusters: Object.keys(clusters).map(name => ({
            name,
            url: `https://api.${name}.example.com:6443`,
          })),
        },
      }),
    ),
    clusterClient: name => fakeCluster(clusters[name]),
    policies: readTierPolicies(new ConfigReader(config)),
    administrators: ['group:default/platform-admins'],
    gitops: { repoUrl: REPO, branch: 'main' },
    logger: mockServices.logger.mock(),
    events: { changed: (ref, change) => changes.push(`${ref}:${change}`) },
  });
  return { service, store, records, clusters, changes };
}
