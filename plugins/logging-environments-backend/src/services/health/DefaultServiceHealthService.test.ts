import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ApplicationStatus } from '@internal/plugin-logging-environments-common';
import { ConfigClusterRegistry } from '@internal/plugin-logging-environments-node';
import {
  createTestStore,
  testRecord,
} from '../../database/__testUtils__/createTestStore';
import {
  RecordEnvironmentCatalog,
  readEnvironmentSettings,
} from '../environments';
import { Environment, WaveStatusService } from '../types';
import { DefaultServiceHealthService } from './DefaultServiceHealthService';

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: 'acme-prod',
      namespace: 'default',
      annotations: {
        'logging-environments.io/cluster': 'prod-1',
        'logging-environments.io/tier': 'production',
      },
    },
    spec: { type: 'logging-environment', owner: 'platform-team' },
  },
  ...[
    ['checkout', 'shop'],
    ['router', 'openshift-ingress'],
    ['no-namespace', undefined],
  ].map(
    ([name, ns]): Entity => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: name!,
        namespace: 'default',
        annotations: {
          'logging-environments.io/environment': 'acme-prod',
          ...(ns ? { 'backstage.io/kubernetes-namespace': ns } : {}),
        },
      },
      spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
    }),
  ),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'unlogged', namespace: 'default' },
    spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
  },
];

const lokiStack = {
  apiVersion: 'loki.grafana.com/v1',
  kind: 'LokiStack',
  metadata: { name: 'logging-loki', namespace: 'openshift-logging' },
  status: {
    conditions: [
      {
        type: 'Degraded',
        status: 'True',
        reason: 'MissingObjectStorageSecret',
        message: 'Missing object storage secret',
      },
    ],
  },
};
const forwarder = {
  apiVersion: 'observability.openshift.io/v1',
  kind: 'ClusterLogForwarder',
  metadata: { name: 'collector', namespace: 'openshift-logging' },
  spec: {
    outputs: [{ name: 'default-lokistack', type: 'lokiStack' }],
    pipelines: [
      {
        name: 'default-logstore',
        inputRefs: ['application'],
        outputRefs: ['default-lokistack'],
      },
    ],
  },
  status: {
    conditions: [{ type: 'Ready', status: 'True', message: '' }],
  },
};
const forwarderApp = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: {
    name: 'acme-prod-logging-forwarder',
    namespace: 'openshift-gitops',
  },
  status: {
    operationState: {
      phase: 'Succeeded',
      finishedAt: '2026-11-01T10:00:00Z',
      syncResult: { revision: 'abc123' },
    },
  },
};

function fakeWaves(
  objects: Array<Record<string, any>>,
  applications: ApplicationStatus[] = [],
): WaveStatusService & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    applications: (_: Environment) => applications,
    object(cluster, apiVersion, kind, namespace, name) {
      calls.push(`${cluster} ${apiVersion} ${kind} ${namespace}/${name}`);
      return objects.find(
        o =>
          o.apiVersion === apiVersion &&
          o.kind === kind &&
          o.metadata.namespace === namespace &&
          o.metadata.name === name,
      );
    },
    onChange: () => () => {},
    start: async () => {},
    stop: async () => {},
  };
}

describe('DefaultServiceHealthService', () => {
  const credentials = mockCredentials.user();
  let environments: RecordEnvironmentCatalog;
  beforeAll(async () => {
    const { records } = await createTestStore();
    await records.create(testRecord({ name: 'acme-prod', cluster: 'prod-1' }));
    environments = new RecordEnvironmentCatalog({
      ...readEnvironmentSettings(
        new ConfigReader({
          loggingEnvironments: {
            gitops: { repoUrl: 'http://git.example.com/gitops.git' },
          },
        }),
      ),
      catalog: catalogServiceMock({ entities }),
      records,
    });
  });
  const clusters = ConfigClusterRegistry.fromConfig(
    new ConfigReader({
      loggingEnvironments: {
        clusters: [
          {
            name: 'prod-1',
            url: 'https://api.prod-1.example.com:6443',
            consoleUrl: 'https://console.prod-1.example.com/',
          },
        ],
      },
    }),
  );
  const make = (waves: WaveStatusService) =>
    new DefaultServiceHealthService({ environments, waves, clusters });

  it('reports the stack health, collection, last sync and links from the cache', async () => {
    const waves = fakeWaves([lokiStack, forwarder, forwarderApp]);
    const health = await make(waves).health(
      'component:default/checkout',
      credentials,
    );
    expect(health).toEqual({
      entityRef: 'component:default/checkout',
      environment: {
        entityRef: 'resource:default/acme-prod',
        name: 'acme-prod',
        tier: 'production',
        cluster: 'prod-1',
      },
      namespace: 'shop',
      collected: 'yes',
      lokiStack: {
        health: 'Degraded',
        message: 'MissingObjectStorageSecret: Missing object storage secret',
      },
      forwarder: { health: 'Healthy' },
      lastSync: {
        revision: 'abc123',
        phase: 'Succeeded',
        finishedAt: '2026-11-01T10:00:00Z',
      },
      links: {
        environment: '/catalog/default/resource/acme-prod/logging',
        logs: 'https://console.prod-1.example.com/dev-monitoring/ns/shop/logs',
      },
    });
    // Only the cache was read.
    expect(waves.calls).toContain(
      'prod-1 loki.grafana.com/v1 LokiStack openshift-logging/logging-loki',
    );
  });

  it('says an infrastructure namespace is not collected by an application-only pipeline', async () => {
    const health = await make(fakeWaves([lokiStack, forwarder])).health(
      'component:default/router',
      credentials,
    );
    expect(health.collected).toBe('no');
    expect(health.lastSync).toBeUndefined();
  });

  it('is unknown without a namespace or a forwarder, and says what is missing', async () => {
    const noNamespace = await make(fakeWaves([forwarder])).health(
      'component:default/no-namespace',
      credentials,
    );
    expect(noNamespace.collected).toBe('unknown');
    expect(noNamespace.links.logs).toBe(
      'https://console.prod-1.example.com/monitoring/logs',
    );
    const nothing = await make(fakeWaves([])).health(
      'component:default/checkout',
      credentials,
    );
    expect(nothing.collected).toBe('unknown');
    expect(nothing.lokiStack).toEqual({
      health: 'Missing',
      message:
        'LokiStack openshift-logging/logging-loki is not on cluster "prod-1" (not synced yet?)',
    });
    expect(nothing.forwarder.health).toBe('Missing');
  });

  it('finds the stack objects where the Application put them', async () => {
    const moved = {
      ...forwarder,
      metadata: { name: 'fwd', namespace: 'logging' },
    };
    const applications: ApplicationStatus[] = [
      {
        role: 'forwarder',
        name: 'acme-prod-logging-forwarder',
        operationPhase: 'Running',
        revision: 'def456',
        waves: [
          {
            wave: 30,
            state: 'running',
            resources: [
              {
                kind: 'ClusterLogForwarder',
                name: 'fwd',
                namespace: 'logging',
              },
            ],
          },
        ],
      },
    ];
    const health = await make(fakeWaves([moved], applications)).health(
      'component:default/checkout',
      credentials,
    );
    expect(health.forwarder.health).toBe('Healthy');
    expect(health.collected).toBe('yes');
    expect(health.lastSync).toEqual({ revision: 'def456', phase: 'Running' });
  });

  it('reports a service that names no environment', async () => {
    const health = await make(fakeWaves([])).health(
      'component:default/unlogged',
      credentials,
    );
    expect(health).toEqual({
      entityRef: 'component:default/unlogged',
      namespace: undefined,
      collected: 'unknown',
      lokiStack: {
        health: 'Unknown',
        message:
          'The service names no logging environment (annotation logging-environments.io/environment)',
      },
      forwarder: {
        health: 'Unknown',
        message:
          'The service names no logging environment (annotation logging-environments.io/environment)',
      },
      links: {},
    });
  });
});
