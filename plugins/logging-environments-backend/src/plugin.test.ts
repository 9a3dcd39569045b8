import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import { loggingEnvironmentsPlugin } from './plugin';

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
  it('serves its health endpoint without authentication', async () => {
    const { server } = await startTestBackend({
      features: [
        loggingEnvironmentsPlugin,
        mockServices.rootConfig.factory({ data: clusterConfig }),
      ],
    });
    const res = await request(server)
      .get('/api/logging-environments/health')
      .set('authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
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
