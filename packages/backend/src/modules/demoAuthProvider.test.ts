import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import authPlugin from '@backstage/plugin-auth-backend';
import request from 'supertest';
import { demoAuthProviderModule } from './demoAuthProvider';

const entities = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'approver', namespace: 'default' },
    spec: { memberOf: ['platform-approvers'] },
    relations: [
      { type: 'memberOf', targetRef: 'group:default/platform-approvers' },
    ],
  },
];

async function start(demo: object) {
  return startTestBackend({
    features: [
      authPlugin,
      demoAuthProviderModule,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          auth: { providers: { demo } },
        },
      }),
    ],
  });
}

describe('demo sign-in provider', () => {
  const nodeEnv = process.env.NODE_ENV;
  beforeEach(() => {
    process.env.NODE_ENV = 'development';
  });
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it('signs in as the catalog user named in the header, with its groups', async () => {
    const { server } = await start({
      users: ['approver', 'viewer'],
    });
    const res = await request(server)
      .get('/api/auth/demo/refresh')
      .set('x-demo-user', 'approver')
      .set('x-requested-with', 'XMLHttpRequest');
    expect(res.status).toBe(200);
    expect(res.body.backstageIdentity.identity).toEqual({
      type: 'user',
      userEntityRef: 'user:default/approver',
      ownershipEntityRefs: expect.arrayContaining([
        'group:default/platform-approvers',
      ]),
    });
  });

  it('refuses users that are not demo users, or no user at all', async () => {
    const { server } = await start({
      users: ['approver'],
    });
    const stranger = await request(server)
      .get('/api/auth/demo/refresh')
      .set('x-demo-user', 'admin')
      .set('x-requested-with', 'XMLHttpRequest');
    expect(stranger.status).toBe(401);
    expect(stranger.body.error.message).toContain('"admin" is not a demo user');

    const none = await request(server)
      .get('/api/auth/demo/refresh')
      .set('x-requested-with', 'XMLHttpRequest');
    expect(none.status).toBe(401);
  });

  it('refuses to initialize outside development, even when added directly', async () => {
    process.env.NODE_ENV = 'production';
    await expect(start({ users: ['approver'] })).rejects.toThrow(
      /only allowed when the backend runs with NODE_ENV=development/,
    );
    // The former escape hatch is no more: no key turns it on.
    await expect(
      start({ users: ['approver'], dangerouslyAllowOutsideDevelopment: true }),
    ).rejects.toThrow(
      /only allowed when the backend runs with NODE_ENV=development/,
    );
  });
});
