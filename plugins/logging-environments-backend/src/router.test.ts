import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import request from 'supertest';
import { VIEWER, claimBody, setup } from './__testUtils__/routerSetup';

describe('createRouter', () => {
  it('refuses anonymous callers on every route but /health', async () => {
    const { app } = await setup();
    const anonymous = mockCredentials.none.header();
    const bodies: Record<string, object> = {
      '/environments/default/acme-prod/approvals': {
        decision: 'approve',
        comment: 'ok',
      },
      '/records': claimBody,
      '/records/default/acme-prod': { reason: 'r' },
      '/records/default/acme-prod/steps': { action: 'logging:bucket:ensure' },
    };
    const routes: Array<[string, string]> = [
      ['get', '/clusters'],
      ['get', '/environments'],
      ['get', '/environments/default/acme-prod'],
      ['post', '/environments/default/acme-prod/checklist'],
      ['post', '/environments/default/acme-prod/approvals'],
      ['post', '/environments/default/acme-prod/sync'],
      ['get', '/environments/default/acme-prod/history'],
      ['get', '/services/default/component/checkout/health'],
      ['post', '/records'],
      ['post', '/records/default/acme-prod/steps'],
      ['post', '/records/default/acme-prod/applications'],
      ['patch', '/records/default/acme-prod'],
      ['delete', '/records/default/acme-prod?reason=gone'],
    ];
    for (const [method, path] of routes) {
      const res = await (request(app) as any)
        [method](path)
        .set('authorization', anonymous)
        .send(bodies[path]);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
    const health = await request(app)
      .get('/health')
      .set('authorization', anonymous);
    expect(health.status).toBe(200);
  });

  it('answers /health from the watch caches: 503 while starting, then the unreachable clusters', async () => {
    const { app, readiness } = await setup();
    readiness.readiness.mockReturnValueOnce({
      status: 'starting',
      clusters: [
        { name: 'east', state: 'starting' },
        { name: 'west', state: 'ready' },
      ],
      unreachable: [],
    });
    const starting = await request(app).get('/health');
    expect(starting.status).toBe(503);
    expect(starting.body.error.message).toBe(
      'Starting: the watch caches of cluster(s) east have not had their first list yet',
    );

    const degraded = {
      status: 'degraded' as const,
      clusters: [
        { name: 'east', state: 'unreachable' as const },
        { name: 'west', state: 'ready' as const },
      ],
      unreachable: ['east'],
    };
    readiness.readiness.mockReturnValueOnce(degraded);
    const res = await request(app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(degraded);
  });

  it('lists only the environments the caller may read, a page at a time', async () => {
    const { app } = await setup();
    const res = await request(app)
      .get('/environments?limit=1&offset=1')
      .set(
        'authorization',
        mockCredentials.user.header(VIEWER.principal.userEntityRef),
      );
    expect(res.status).toBe(200);
    // acme-stg is not readable; the rest in entity ref order.
    expect(res.body).toEqual({
      items: [{ entityRef: 'resource:default/acme-prod' }],
      totalItems: 2,
    });
  });

  it('lets the catalog page the list when the caller may read every environment', async () => {
    const { app, environments, authorizeConditional } = await setup();
    authorizeConditional.mockResolvedValueOnce([
      { result: AuthorizeResult.ALLOW } as any,
    ]);
    const res = await request(app)
      .get('/environments?tier=production&limit=2&offset=1')
      .set('authorization', mockCredentials.user.header());
    expect(res.body).toEqual({
      items: [
        { entityRef: 'resource:default/acme-dev' },
        { entityRef: 'resource:default/acme-stg' },
      ],
      totalItems: 3,
    });
    expect(environments.page).toHaveBeenCalledWith(
      expect.anything(),
      { owner: undefined, tier: 'production' },
      { limit: 2, offset: 1 },
    );
    expect(environments.list).not.toHaveBeenCalled();
  });

  it('lists nothing, asking nothing of the catalog, when reading is denied', async () => {
    const { app, environments, authorizeConditional } = await setup();
    authorizeConditional.mockResolvedValueOnce([
      { result: AuthorizeResult.DENY } as any,
    ]);
    const res = await request(app)
      .get('/environments')
      .set('authorization', mockCredentials.user.header());
    expect(res.body).toEqual({ items: [], totalItems: 0 });
    expect(environments.page).not.toHaveBeenCalled();
    expect(environments.list).not.toHaveBeenCalled();
  });

  it('rejects bad query and path parameters before any service is asked', async () => {
    const { app, overview } = await setup();
    const header = mockCredentials.user.header();
    const bad = [
      '/environments?tier=prod',
      '/environments?limit=0',
      '/environments?limit=100000',
      '/environments/default/Acme-Prod',
      '/environments/default/..%2Fetc',
    ];
    for (const path of bad) {
      const res = await request(app).get(path).set('authorization', header);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
    expect(overview.listItem).not.toHaveBeenCalled();
    expect(overview.details).not.toHaveBeenCalled();
  });

  it('shows an environment with what the user may do, and 403 when the user may not read it', async () => {
    const { app, overview } = await setup();
    const res = await request(app)
      .get('/environments/default/acme-prod')
      .set('authorization', mockCredentials.user.header('user:default/viewer'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      entityRef: 'resource:default/acme-prod',
      caller: {
        userEntityRef: 'user:default/viewer',
        ownershipEntityRefs: ['user:default/viewer'],
      },
      grants: { read: true, approve: false, sync: false },
    });

    const denied = await request(app)
      .get('/environments/default/acme-stg')
      .set('authorization', mockCredentials.user.header('user:default/viewer'));
    expect(denied.status).toBe(403);
    expect(denied.body.error.name).toBe('NotAllowedError');
    expect(overview.details).toHaveBeenCalledTimes(1);

    const missing = await request(app)
      .get('/environments/default/nope')
      .set('authorization', mockCredentials.user.header());
    expect(missing.status).toBe(404);
  });

  it('asks the permission framework about the environment itself, so conditional policies apply', async () => {
    const { app, authorize } = await setup();
    await request(app)
      .get('/environments/default/acme-prod')
      .set('authorization', mockCredentials.user.header());
    const asked = authorize.mock.calls.flatMap(([requests]) => requests);
    expect(asked.length).toBe(3);
    for (const r of asked) {
      expect(isResourcePermission(r.permission)).toBe(true);
      expect(r.resourceRef).toBe('resource:default/acme-prod');
    }
  });

  it('lets a service read but never decide', async () => {
    const { app, overview, approvals } = await setup();
    const read = await request(app)
      .get('/environments/default/acme-prod')
      .set('authorization', mockCredentials.service.header());
    expect(read.status).toBe(200);
    expect(read.body.caller).toBeNull();

    const decide = await request(app)
      .post('/environments/default/acme-prod/approvals')
      .set('authorization', mockCredentials.service.header())
      .send({ decision: 'approve', comment: 'automation' });
    expect(decide.status).toBe(403);
    expect(decide.body.error.message).toBe(
      'Only a signed-in user can approve or reject',
    );
    expect(approvals.decide).not.toHaveBeenCalled();
    expect(overview.details).toHaveBeenCalledTimes(1);
  });

  it('records a decision for a permitted user, and refuses and audits one without the permission', async () => {
    const { app, approvals, auditEvents } = await setup();
    const ok = await request(app)
      .post('/environments/default/acme-prod/approvals')
      .set(
        'authorization',
        mockCredentials.user.header('user:default/approver'),
      )
      .send({ decision: 'approve', role: 'approval', comment: 'Looks right' });
    expect(ok.status).toBe(200);
    expect(approvals.decide).toHaveBeenCalledWith(
      expect.objectContaining({ entityRef: 'resource:default/acme-prod' }),
      {
        userEntityRef: 'user:default/approver',
        ownershipEntityRefs: ['user:default/approver'],
      },
      { decision: 'approve', role: 'approval', comment: 'Looks right' },
      { audit: expect.any(Function) },
    );

    const denied = await request(app)
      .post('/environments/default/acme-prod/approvals')
      .set('authorization', mockCredentials.user.header('user:default/viewer'))
      .send({ decision: 'approve', comment: 'me too' });
    expect(denied.status).toBe(403);
    expect(approvals.decide).toHaveBeenCalledTimes(1);
    expect(auditEvents).toEqual([
      expect.objectContaining({
        eventId: 'environment-approval',
        outcome: 'fail',
        meta: expect.objectContaining({
          environment: 'resource:default/acme-prod',
          decision: 'approve',
        }),
      }),
    ]);
  });

  it('rejects malformed approval bodies naming the field', async () => {
    const { app, approvals } = await setup();
    const header = mockCredentials.user.header('user:default/approver');
    const cases: Array<[unknown, RegExp]> = [
      [{ decision: 'maybe', comment: 'x' }, /decision/],
      [{ decision: 'approve' }, /comment/],
      [{ decision: 'approve', comment: 'x'.repeat(2001) }, /comment/],
      [{ decision: 'approve', comment: 'x', role: 'Security Review' }, /role/],
      [
        { decision: 'approve', comment: 'x', revision: '../../etc' },
        /revision/,
      ],
      [{ decision: 'approve', comment: 'x', admin: true }, /admin|additional/],
    ];
    for (const [body, field] of cases) {
      const res = await request(app)
        .post('/environments/default/acme-prod/approvals')
        .set('authorization', header)
        .send(body as object);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(field);
    }
    expect(approvals.decide).not.toHaveBeenCalled();
  });

  it('starts a sync for a permitted user and audits it; refuses and audits others', async () => {
    const { app, sync, auditEvents } = await setup();
    const denied = await request(app)
      .post('/environments/default/acme-prod/sync')
      .set('authorization', mockCredentials.user.header('user:default/viewer'))
      .send({});
    expect(denied.status).toBe(403);
    expect(sync.request).not.toHaveBeenCalled();

    const ok = await request(app)
      .post('/environments/default/acme-prod/sync')
      .set(
        'authorization',
        mockCredentials.user.header('user:default/approver'),
      )
      .send({ revision: 'a'.repeat(40) });
    expect(ok.status).toBe(202);
    expect(ok.body.requestedBy).toBe('user:default/approver');
    expect(sync.request).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'acme-prod' }),
      'user:default/approver',
      { revision: 'a'.repeat(40) },
    );
    expect(auditEvents.map(e => [e.eventId, e.outcome])).toEqual([
      ['sync-request', 'fail'],
      ['sync-request', 'success'],
    ]);
  });

  it('runs the checklist for readers', async () => {
    const { app, checklist } = await setup();
    const res = await request(app)
      .post('/environments/default/acme-prod/checklist')
      .set('authorization', mockCredentials.user.header('user:default/viewer'));
    expect(res.status).toBe(200);
    expect(checklist.run).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'acme-prod' }),
      'user:default/viewer',
    );

    const denied = await request(app)
      .post('/environments/default/acme-stg/checklist')
      .set('authorization', mockCredentials.user.header('user:default/viewer'));
    expect(denied.status).toBe(403);
    expect(checklist.run).toHaveBeenCalledTimes(1);
  });

  it('serves history and service health only to readers of the environment', async () => {
    const { app, health } = await setup();
    const header = mockCredentials.user.header('user:default/viewer');
    const history = await request(app)
      .get('/environments/default/acme-prod/history?limit=5')
      .set('authorization', header);
    expect(history.status).toBe(200);
    expect(history.body.items).toHaveLength(1);
    expect(
      (
        await request(app)
          .get('/environments/default/acme-stg/history')
          .set('authorization', header)
      ).status,
    ).toBe(403);

    const ok = await request(app)
      .get('/services/default/component/checkout/health')
      .set('authorization', header);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ entityRef: 'component:default/checkout' });
    const denied = await request(app)
      .get('/services/default/component/secret-service/health')
      .set('authorization', header);
    expect(denied.status).toBe(403);
    expect(health.health).toHaveBeenCalledTimes(1);
  });
});
