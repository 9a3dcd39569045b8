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

  it('turns an error response into a ResponseError carrying the backend error', async () => {
    server.use(
      http.get(`${baseUrl}/clusters`, () =>
        HttpResponse.json(
          {
            error: { name: 'NotAllowedError', message: 'denied by policy' },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    await expect(client.listClusters()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
      cause: expect.objectContaining({ message: 'denied by policy' }),
    });
  });
});
