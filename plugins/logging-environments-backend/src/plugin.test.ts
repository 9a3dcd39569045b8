import {
  RootHealthService,
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import { loggingEnvironmentsPlugin } from './plugin';
import { FakeKubeApi } from './services/waves/__testUtils__/fakeKubeApi';
import { eventually } from './services/waves/__testUtils__/waiting';

/** Plugin config for clusters served by fake Kubernetes APIs. */
const fakeClusters = (clusters: Record<string, FakeKubeApi>) => ({
  loggingEnvironments: {
    gitops: { repoUrl: 'http://127.0.0.1:6490/gitops.git' },
    clusters: Object.entries(clusters).map(([name, api]) => ({
      name,
      url: api.url,
      serviceAccountToken: 'token',
      // client-node speaks plain HTTP (the fake) only with this set.
      skipTLSVerify: true,
    })),
  },
});

/** A plugin that hands out Backstage's root health service, for the test. */
function rootHealthProbe(found: (health: RootHealthService) => void) {
  return createBackendPlugin({
    pluginId: 'health-probe',
    register(env) {
      env.registerInit({
        deps: { health: coreServices.rootHealth },
        async init({ health }) {
          found(health);
        },
      });
    },
  });
}

const clusterConfig = {
  loggingEnvironments: {
    gitops: { repoUrl: 'http://127.0.0.1:6490/gitops.git' },
    clusters: [
      {
        name: 'sandbox',
        url: 'http://127.0.0.1:6443',
        serviceAccountToken: 'do-not-leak-this-token',
        argocdUrl: 'http://127.0.0.1:8080',
      },
    ],
  },
};

describe('loggingEnvironmentsPlugin', () => {
  const apis: FakeKubeApi[] = [];
  const fakeApi = async () => {
    const api = await FakeKubeApi.start();
    apis.push(api);
    return api;
  };
  afterEach(async () => {
    await Promise.all(apis.splice(0).map(a => a.close()));
  });

  it('is not ready until its watch caches had their first list', async () => {
    const api = await fakeApi();
    let release!: () => void;
    api.listGate = new Promise(r => {
      release = r;
    });
    let health: RootHealthService | undefined;
    const started = startTestBackend({
      features: [
        loggingEnvironmentsPlugin,
        rootHealthProbe(h => {
          health = h;
        }),
        mockServices.rootConfig.factory({ data: fakeClusters({ east: api }) }),
      ],
    });
    await eventually('the first lists', () => api.count('list') === 3);
    // Held at the first list: Backstage's readiness says not yet.
    expect((await health!.getReadiness()).status).toBe(503);
    release();
    const { server } = await started;
    expect((await health!.getReadiness()).status).toBe(200);
    const res = await request(server)
      .get('/api/logging-environments/health')
      .set('authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      clusters: [{ name: 'east', state: 'ready' }],
      unreachable: [],
    });
  });

  it('names the clusters it cannot reach on /health, without holding the others back', async () => {
    const east = await fakeApi();
    const west = await fakeApi();
    west.listStatus = 500;
    const { server } = await startTestBackend({
      features: [
        loggingEnvironmentsPlugin,
        mockServices.rootConfig.factory({
          data: fakeClusters({ east, west }),
        }),
      ],
    });
    const res = await request(server)
      .get('/api/logging-environments/health')
      .set('authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'degraded',
      clusters: [
        { name: 'east', state: 'ready' },
        { name: 'west', state: 'unreachable' },
      ],
      unreachable: ['west'],
    });
    expect(JSON.stringify(res.body)).not.toContain(west.url);
  });

  it('lists the configured clusters to signed-in users, without credentials', async () => {
    const { server } = await startTestBackend({
      features: [
        loggingEnvironmentsPlugin,
        mockServices.rootConfig.factory({ data: clusterConfig }),
      ],
    });

    const anonymous = await request(server)
      .get('/api/logging-environments/clusters')
      .set('authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);

    const res = await request(server)
      .get('/api/logging-environments/clusters')
      .set('authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        {
          name: 'sandbox',
          argocdUrl: 'http://127.0.0.1:8080',
        },
      ],
    });
    expect(JSON.stringify(res.body)).not.toContain('do-not-leak-this-token');
  });

  it('refuses to start without a cluster, naming the config keys', async () => {
    await expect(
      startTestBackend({
        features: [
          loggingEnvironmentsPlugin,
          mockServices.rootConfig.factory({ data: {} }),
        ],
      }),
    ).rejects.toThrow(/set loggingEnvironments\.clusters/);
  });
});
