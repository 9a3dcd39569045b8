/**
 * The history's bootstrap entries are evidence of a template run: only the
 * scaffolder, calling on the user's behalf, may link a task to them. Run on
 * the real record service behind the real router, under a permission
 * policy that allows everything, so nothing but the record rules stands in
 * the way.
 */
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import request from 'supertest';
import { createRouter } from './router';
import { RecordingAuditor } from './services/approvals/__testUtils__/fakes';
import {
  request as claimBody,
  registered,
  setup as recordSetup,
} from './services/records/__testUtils__/recordServiceFixtures';

const OWNERSHIP: Record<string, string[]> = {
  'user:default/requester': ['group:default/platform-team'],
  'user:default/intruder': ['group:default/checkout-team'],
};

async function setup() {
  const { service, store, records, clusters } = await recordSetup();
  const auditor = new RecordingAuditor();
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    userInfo: mockServices.userInfo.mock({
      getUserInfo: async credentials => {
        const ref = (credentials.principal as { userEntityRef: string })
          .userEntityRef;
        return {
          userEntityRef: ref,
          ownershipEntityRefs: [ref, ...(OWNERSHIP[ref] ?? [])],
        };
      },
    }),
    permissions: mockServices.permissions({ result: AuthorizeResult.ALLOW }),
    auditor,
    clusters: { list: () => [] } as any,
    environments: {} as any,
    overview: {} as any,
    checklist: {} as any,
    approvals: {} as any,
    sync: {} as any,
    health: {} as any,
    readiness: {} as any,
    records: service,
  });
  const app = express().use(router).use(mockErrorHandler());
  const history = async () =>
    (await store.listHistory('resource:default/acme-prod')).map(e => ({
      type: e.type,
      actor: e.actor,
      taskId: e.details?.taskId,
    }));
  return { app, records, clusters, history, auditor };
}

/** A user's token, as the named plugin presents it on their behalf. */
const via = (user: string, plugin: string) =>
  `Bearer ${mockCredentials.user.token(user, {
    actor: { subject: plugin },
  })}`;
const direct = (user: string) => mockCredentials.user.header(user);

describe('bootstrap entries of the history', () => {
  it('link the task of the template run that claimed or re-ran the environment', async () => {
    const { app, history } = await setup();
    const claimed = await request(app)
      .post('/records?taskId=task-1')
      .set('authorization', via('user:default/requester', 'plugin:scaffolder'))
      .send(claimBody);
    expect(claimed.status).toBe(201);
    const rerun = await request(app)
      .post('/records?taskId=task-2')
      .set('authorization', via('user:default/requester', 'plugin:scaffolder'))
      .send(claimBody);
    expect(rerun.status).toBe(200);
    // A dry run writes nothing, task or not.
    await request(app)
      .post('/records?dryRun=true&taskId=task-3')
      .set('authorization', via('user:default/requester', 'plugin:scaffolder'))
      .send(claimBody)
      .expect(200);
    expect(await history()).toEqual([
      { type: 'bootstrap', actor: 'user:default/requester', taskId: 'task-2' },
      { type: 'bootstrap', actor: 'user:default/requester', taskId: 'task-1' },
    ]);
  });

  it('link the task that bound the Applications', async () => {
    const { app, clusters, history } = await setup();
    await request(app)
      .post('/records')
      .set('authorization', via('user:default/requester', 'plugin:scaffolder'))
      .send(claimBody)
      .expect(201);
    clusters['prod-1'].push(...registered('acme-prod'));
    await request(app)
      .post('/records/default/acme-prod/applications?taskId=task-9')
      .set('authorization', via('user:default/requester', 'plugin:scaffolder'))
      .send({})
      .expect(200);
    expect((await history())[0]).toEqual({
      type: 'bootstrap',
      actor: 'user:default/requester',
      taskId: 'task-9',
    });
  });

  describe('cannot be forged, whatever the permission policy allows', () => {
    it.each([
      ['an unprivileged user, directly', direct('user:default/intruder')],
      [
        "the environment's own requester, directly",
        direct('user:default/requester'),
      ],
      [
        'another plugin on the requester’s behalf',
        via('user:default/requester', 'plugin:catalog'),
      ],
    ])('refuses a task named by %s', async (_who, authorization) => {
      const { app, records, history, auditor } = await setup();
      // A new environment claimed with a forged task: refused, nothing written.
      const claim = await request(app)
        .post('/records?taskId=forged-task')
        .set('authorization', authorization)
        .send(claimBody);
      expect(claim.status).toBe(403);
      expect(claim.body.error.message).toBe(
        'taskId: only the scaffolder, running a bootstrap task on your behalf, may link its task to the history',
      );
      expect(await records.list()).toEqual([]);

      // An existing environment: neither a re-run nor a binding writes it.
      await request(app)
        .post('/records?taskId=task-1')
        .set(
          'authorization',
          via('user:default/requester', 'plugin:scaffolder'),
        )
        .send(claimBody)
        .expect(201);
      for (const path of [
        '/records?taskId=forged-task',
        '/records/default/acme-prod/applications?taskId=forged-task',
      ]) {
        const res = await request(app)
          .post(path)
          .set('authorization', authorization)
          .send(path.includes('applications') ? {} : claimBody);
        expect(res.status).toBe(403);
      }
      expect(await history()).toEqual([
        {
          type: 'bootstrap',
          actor: 'user:default/requester',
          taskId: 'task-1',
        },
      ]);
      // Each attempt is an audit event that failed, naming the task.
      expect(
        auditor.events
          .filter(e => e.options.meta?.taskId === 'forged-task')
          .map(e => [e.options.eventId, e.status]),
      ).toEqual([
        ['environment-claim', 'failed'],
        ['environment-claim', 'failed'],
        ['environment-bind-applications', 'failed'],
      ]);
    });

    it('refuses a task id that is not one', async () => {
      const { app } = await setup();
      const res = await request(app)
        .post('/records?taskId=..%2Fadmin')
        .set(
          'authorization',
          via('user:default/requester', 'plugin:scaffolder'),
        )
        .send(claimBody);
      expect(res.status).toBe(400);
    });
  });
});
