import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import request from 'supertest';
import { createRouter } from './router';
import { REV_B, people } from './services/approvals/__testUtils__/fakes';
import {
  approve,
  passing,
  setupApprovals,
} from './services/approvals/__testUtils__/setup';
import { DefaultServiceHealthService } from './services/health';
import { EnvironmentOverviewService } from './services/overview';
import { DefaultSyncService } from './services/sync/DefaultSyncService';
import { FakeArgoCd } from './services/sync/__testUtils__/fakeArgoCd';
import { Environment, EnvironmentCatalog } from './services/types';

/**
 * The router over the real approval, sync, overview and health services and
 * a real store (SQLite), as the plugin wires them, for an approver of a
 * production environment whose decisions a new revision made stale (what
 * a read that voided them would write).
 */
async function pageViewSetup() {
  const t = await setupApprovals('production');
  const { env, store, revisions, service: approvals } = t;
  await approvals.decide(env, people.securityReviewer, approve(), t.audited);
  revisions.set(env, REV_B);
  await store.addChecklistRun(env.entityRef, passing(REV_B), 'system');

  const logger = mockServices.logger.mock();
  const sync = new DefaultSyncService({
    store,
    approvals,
    revisions,
    listEnvironments: async () => [env],
    logger,
    argocd: new FakeArgoCd(env.name),
  });
  const waves = {
    applications: () => [],
    object: () => undefined,
    onChange: () => () => {},
    start: async () => {},
    stop: async () => {},
  };
  const environments: EnvironmentCatalog = {
    get: async () => env,
    list: async () => [env],
    page: async () => ({ items: [env], totalItems: 1 }),
    registered: async () => [env],
    registeredOne: async () => env,
    byRefs: async refs =>
      refs.map(r => (r === env.entityRef ? env : undefined)),
    forService: async entityRef => ({
      service: { entityRef, namespace: 'checkout' },
      environment: env,
    }),
  };
  const clusters = {
    list: () => [{ name: 'sandbox' }],
    get: () => ({ name: 'sandbox' }),
  } as any;
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    userInfo: mockServices.userInfo({
      ownershipEntityRefs: people.approver.ownershipEntityRefs,
    }),
    permissions: mockServices.permissions({ result: AuthorizeResult.ALLOW }),
    auditor: mockServices.auditor.mock(),
    clusters,
    environments,
    overview: new EnvironmentOverviewService({
      store,
      environments,
      approvals,
      sync,
      waves,
      readableBy: () => true,
    }),
    checklist: {} as any,
    approvals,
    sync,
    health: new DefaultServiceHealthService({ environments, waves, clusters }),
    records: {} as any,
    readiness: {
      readiness: () => ({
        status: 'ok',
        clusters: [{ name: 'sandbox', state: 'ready' }],
        unreachable: [],
      }),
    },
  });
  const app = express().use(router).use(mockErrorHandler());
  const get = (path: string) =>
    request(app)
      .get(path)
      .set(
        'authorization',
        mockCredentials.user.header(people.approver.userEntityRef),
      );
  return { ...t, app, get, env: env as Environment };
}

describe('a page view', () => {
  it('performs no database write on any GET route the frontend calls', async () => {
    const { knex, get, env } = await pageViewSetup();
    const tables: string[] = await knex('sqlite_master')
      .where({ type: 'table' })
      .pluck('name');
    const contents = () => Promise.all(tables.map(t => knex(t).select()));
    const before = await contents();

    // The environment page: its details (with the checklist, the gate, the
    // sync and the waves) and its history; the list; the cluster picker;
    // a service's logging health card.
    const paths = [
      `/environments/default/${env.name}`,
      `/environments/default/${env.name}/history`,
      '/environments',
      '/clusters',
      '/services/default/component/checkout/health',
    ];
    for (const path of paths) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }

    expect(await contents()).toEqual(before);
    expect(tables).toEqual(
      expect.arrayContaining(['decisions', 'history', 'sync_runs']),
    );
  });

  it('reads the approval state once for the details of an environment', async () => {
    const { get, env, store } = await pageViewSetup();
    const listDecisions = jest.spyOn(store, 'listDecisions');

    const res = await get(`/environments/default/${env.name}`);

    expect(res.status).toBe(200);
    expect(listDecisions).toHaveBeenCalledTimes(1);
    // The one read serves the gate shown, the decision buttons and the
    // sync button alike.
    expect(res.body.approvals.revision).toBe(REV_B);
    expect(res.body.can.approve).toEqual({ allowed: true });
    expect(res.body.can.sync).toEqual({
      allowed: false,
      reason: expect.stringMatching(/^Revision b5e6f7a still needs: /),
    });
  });
});
