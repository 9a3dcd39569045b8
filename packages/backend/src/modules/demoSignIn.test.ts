import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import authPlugin from '@backstage/plugin-auth-backend';
import request from 'supertest';
import { demoSignIn } from './demoSignIn';

const entities = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'requester', namespace: 'default' },
    spec: {},
  },
];

/** A backend with the auth plugin and {@link demoSignIn}, as index.ts adds it. */
async function start(auth: object) {
  return startTestBackend({
    features: [
      authPlugin,
      demoSignIn(),
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({
        data: { app: { baseUrl: 'http://localhost:3000' }, auth },
      }),
    ],
  });
}

function signIn(server: Parameters<typeof request>[0]) {
  return request(server)
    .get('/api/auth/demo/refresh')
    .set('x-demo-user', 'requester')
    .set('x-requested-with', 'XMLHttpRequest');
}

describe('demo sign-in by NODE_ENV', () => {
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  function setNodeEnv(value: string | undefined) {
    if (value === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = value;
  }

  it('adds the demo provider in development', async () => {
    setNodeEnv('development');
    const { server } = await start({
      providers: { demo: { users: ['requester'] } },
    });
    const res = await signIn(server);
    expect(res.status).toBe(200);
    expect(res.body.backstageIdentity.identity.userEntityRef).toBe(
      'user:default/requester',
    );
  });

  it.each([
    ['production', { providers: {} }],
    ['production', { providers: { demo: null } }],
    ['test', {}],
    [undefined, {}],
  ])(
    'starts without the demo provider with NODE_ENV=%s and no demo config (%j)',
    async (env, auth) => {
      setNodeEnv(env);
      const { server } = await start(auth);
      const res = await signIn(server);
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain("Unknown auth provider 'demo'");
    },
  );

  it.each(['production', 'test', undefined])(
    'refuses to start with NODE_ENV=%s while auth.providers.demo is configured',
    async env => {
      setNodeEnv(env);
      const refusal = start({ providers: { demo: { users: ['requester'] } } });
      await expect(refusal).rejects.toThrow(
        /auth\.providers\.demo is configured but NODE_ENV is/,
      );
      await expect(refusal).rejects.toThrow(
        /only allowed when the backend runs with NODE_ENV=development/,
      );
    },
  );

  it('refuses any value of auth.providers.demo outside development, empty ones too', async () => {
    setNodeEnv('production');
    await expect(start({ providers: { demo: {} } })).rejects.toThrow(
      /auth\.providers\.demo is configured/,
    );
  });
});
