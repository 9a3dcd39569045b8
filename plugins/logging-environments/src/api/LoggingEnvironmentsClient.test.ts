import { MockFetchApi, registerMswTestHooks } from '@backstage/test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { LoggingEnvironmentsClient } from './LoggingEnvironmentsClient';

const server = setupServer();

describe('LoggingEnvironmentsClient', () => {
  registerMswTestHooks(server);
  const baseUrl = 'http://backend.test/api/logging-environments';
  const client = new LoggingEnvironmentsClient({
    discoveryApi: { getBaseUrl: async () => baseUrl },
    fetchApi: new MockFetchApi(),
  });

  it('lists clusters', async () => {
    server.use(
      http.get(`${baseUrl}/clusters`, () =>
        HttpResponse.json({ items: [{ name: 'sandbox' }] }),
      ),
    );
    await expect(client.listClusters()).resolves.toEqual([{ name: 'sandbox' }]);
  });

  it('lists environments with the owner and tier filters', async () => {
    let query: URLSearchParams | undefined;
    server.use(
      http.get(`${baseUrl}/environments`, ({ request }) => {
        query = new URL(request.url).searchParams;
        return HttpResponse.json({ items: [{ name: 'acme-prod' }] });
      }),
    );
    await expect(
      client.listEnvironments({
        owner: 'group:default/platform-team',
        tier: 'production',
      }),
    ).resolves.toEqual([{ name: 'acme-prod' }]);
    expect(query?.get('owner')).toBe('group:default/platform-team');
    expect(query?.get('tier')).toBe('production');
  });

  it('reads one environment by its entity ref, as a string or parsed', async () => {
    server.use(
      http.get(`${baseUrl}/environments/team-a/acme-prod`, () =>
        HttpResponse.json({ name: 'acme-prod' }),
      ),
    );
    await expect(
      client.getEnvironment('resource:team-a/acme-prod'),
    ).resolves.toEqual({ name: 'acme-prod' });
    await expect(
      client.getEnvironment({
        kind: 'Resource',
        namespace: 'team-a',
        name: 'acme-prod',
      }),
    ).resolves.toEqual({ name: 'acme-prod' });
  });

  it('runs the checklist with a POST', async () => {
    server.use(
      http.post(`${baseUrl}/environments/default/acme-prod/checklist`, () =>
        HttpResponse.json({ id: 'run-1', status: 'pass', items: [] }),
      ),
    );
    await expect(
      client.runChecklist('resource:default/acme-prod'),
    ).resolves.toMatchObject({ id: 'run-1', status: 'pass' });
  });

  it('posts a decision as JSON, with its comment, role and revision', async () => {
    let body: unknown;
    let contentType: string | null = null;
    server.use(
      http.post(
        `${baseUrl}/environments/default/acme-prod/approvals`,
        async ({ request }) => {
          body = await request.json();
          contentType = request.headers.get('content-type');
          return HttpResponse.json({
            required: [],
            decisions: [],
            complete: false,
          });
        },
      ),
    );
    await client.decideApproval('resource:default/acme-prod', {
      decision: 'approve',
      role: 'security-review',
      comment: 'bucket policy reviewed',
      revision: 'a1b2c3d',
    });
    expect(contentType).toBe('application/json');
    expect(body).toEqual({
      decision: 'approve',
      role: 'security-review',
      comment: 'bucket policy reviewed',
      revision: 'a1b2c3d',
    });
  });

  it('starts a sync pinned to the confirmed revision', async () => {
    let body: unknown;
    server.use(
      http.post(
        `${baseUrl}/environments/default/acme-prod/sync`,
        async ({ request }) => {
          body = await request.json();
          return HttpResponse.json(
            { id: 'sync-1', state: 'pending', revision: 'a1b2c3d' },
            { status: 202 },
          );
        },
      ),
    );
    await expect(
      client.startSync('resource:default/acme-prod', { revision: 'a1b2c3d' }),
    ).resolves.toMatchObject({ id: 'sync-1', state: 'pending' });
    expect(body).toEqual({ revision: 'a1b2c3d' });
  });

  it('reads the history with a limit', async () => {
    let limit: string | null = null;
    server.use(
      http.get(
        `${baseUrl}/environments/default/acme-prod/history`,
        ({ request }) => {
          limit = new URL(request.url).searchParams.get('limit');
          return HttpResponse.json({ items: [{ id: 'h1' }] });
        },
      ),
    );
    await expect(
      client.getHistory('resource:default/acme-prod', { limit: 50 }),
    ).resolves.toEqual([{ id: 'h1' }]);
    expect(limit).toBe('50');
  });

  it('reads a service health with the lower-cased kind in the path', async () => {
    server.use(
      http.get(`${baseUrl}/services/default/component/checkout/health`, () =>
        HttpResponse.json({ entityRef: 'component:default/checkout' }),
      ),
    );
    await expect(
      client.getServiceHealth({
        kind: 'Component',
        namespace: 'default',
        name: 'checkout',
      }),
    ).resolves.toEqual({ entityRef: 'component:default/checkout' });
    await expect(client.getServiceHealth('checkout')).resolves.toEqual({
      entityRef: 'component:default/checkout',
    });
  });

  it('turns an error response into a ResponseError carrying the backend error', async () => {
    server.use(
      http.post(`${baseUrl}/environments/default/acme-prod/sync`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'ConflictError',
              message: 'a sync run is already in progress',
            },
            response: { statusCode: 409 },
          },
          { status: 409 },
        ),
      ),
    );
    await expect(
      client.startSync('resource:default/acme-prod'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 409,
      cause: expect.objectContaining({
        message: 'a sync run is already in progress',
      }),
    });
  });
});
