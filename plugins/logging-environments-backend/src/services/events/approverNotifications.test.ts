import { CacheService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { Tier } from '@internal/plugin-logging-environments-common';
import {
  REV_A,
  REV_B,
  RecordingNotifications,
  checklistRun,
  people,
} from '../approvals/__testUtils__/fakes';
import {
  approve,
  passing,
  reject,
  setupApprovals,
} from '../approvals/__testUtils__/setup';
import { ApproverNotifier } from './approverNotifications';

describe('ApproverNotifier', () => {
  async function setup(
    tier: Tier,
    options: Parameters<typeof setupApprovals>[1] & {
      notifications?: boolean;
    } = {},
  ) {
    const approvals = await setupApprovals(tier, options);
    const notifications = new RecordingNotifications();
    const notifier = new ApproverNotifier({
      approvals: approvals.service,
      notifications:
        options.notifications === false ? undefined : notifications,
      logger: mockServices.logger.mock(),
    });
    return { ...approvals, notifications, notifier };
  }

  it('asks the groups of the missing roles, once per revision', async () => {
    const { service, env, notifications, notifier, store, revisions, audited } =
      await setup('production');
    expect(await notifier.notifyIfApprovalNeeded(env)).toEqual({
      sent: true,
      recipients: [
        'group:default/security-reviewers',
        'group:default/platform-approvers',
      ],
    });
    expect(notifications.sent).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: [
            'group:default/security-reviewers',
            'group:default/platform-approvers',
          ],
          excludeEntityRef: ['user:default/rita'],
        },
        payload: expect.objectContaining({
          title: 'Approval needed: production logs',
          link: '/catalog/default/resource/production-logs/logging',
          topic: 'logging-environment-approval',
          severity: 'high',
          description:
            'Revision a1b2c3d of the production logging environment production-logs passed its checklist and needs: Security review, Approval.',
        }),
      },
    ]);
    expect(await notifier.notifyIfApprovalNeeded(env)).toMatchObject({
      sent: false,
      reason: 'the approvers were already notified for this revision',
    });
    expect(notifications.sent).toHaveLength(1);

    // Security review given; a new revision makes it stale. Approvers hear
    // of the new revision once its checklist passes, and only the groups of
    // the roles still missing, minus who decided: the stale decision counts
    // for nothing even before it is voided.
    await service.decide(
      env,
      people.securityApprover,
      approve('security-review'),
      audited,
    );
    await store.addChecklistRun(env.entityRef, passing(REV_B), 'system');
    revisions.set(env, REV_B);
    expect((await notifier.notifyIfApprovalNeeded(env)).sent).toBe(true);
    await service.voidStale(env);
    await notifier.notifyIfApprovalNeeded(env);
    expect(notifications.sent).toHaveLength(2);
    expect(notifications.sent[1].recipients).toEqual({
      type: 'entity',
      entityRef: [
        'group:default/security-reviewers',
        'group:default/platform-approvers',
      ],
      excludeEntityRef: ['user:default/rita'],
    });
    expect(notifications.sent[1].payload.scope).toBe(
      `logging-environment-approval:${env.entityRef}:${REV_B}`,
    );
  });

  it('asks only for what is missing, and not when the checklist fails or a rejection stands', async () => {
    const { service, env, notifications, notifier, store, audited } =
      await setup('production', {
        checklist: checklistRun({ 'S3 bucket': 'fail' }, REV_A),
      });
    expect(await notifier.notifyIfApprovalNeeded(env)).toMatchObject({
      sent: false,
      reason:
        'the checklist has failing items (S3 bucket); fix them and run the checklist again',
    });
    await service.decide(
      env,
      people.securityApprover,
      reject('approval', 'The retention is too short'),
      audited,
    );
    await store.addChecklistRun(env.entityRef, passing(), 'system');
    expect(await notifier.notifyIfApprovalNeeded(env)).toMatchObject({
      sent: false,
      reason: 'a rejection stands for this revision',
    });
    expect(notifications.sent).toEqual([]);
  });

  it('notifies the missing role only, excluding who already decided', async () => {
    const { service, env, notifications, notifier, audited } = await setup(
      'production',
    );
    await service.decide(
      env,
      people.securityApprover,
      approve('security-review'),
      audited,
    );
    const result = await notifier.notifyIfApprovalNeeded(env);
    expect(result.recipients).toEqual(['group:default/platform-approvers']);
    expect(notifications.sent[0].recipients).toEqual({
      type: 'entity',
      entityRef: ['group:default/platform-approvers'],
      excludeEntityRef: ['user:default/rita', 'user:default/bea'],
    });
    expect(notifications.sent[0].payload.description).toContain(
      'needs: Approval.',
    );
  });

  it('remembers across replicas through the cache', async () => {
    const { env, service, notifications } = await setup('staging');
    const entries = new Map<string, unknown>();
    const cache = {
      get: async (key: string) => entries.get(key),
      set: async (key: string, value: unknown) => {
        entries.set(key, value);
      },
      delete: async (key: string) => {
        entries.delete(key);
      },
      withOptions: () => cache,
    } as unknown as CacheService;
    const replica = () =>
      new ApproverNotifier({
        approvals: service,
        notifications,
        cache,
        logger: mockServices.logger.mock(),
      });
    expect((await replica().notifyIfApprovalNeeded(env)).sent).toBe(true);
    expect(await replica().notifyIfApprovalNeeded(env)).toMatchObject({
      sent: false,
      reason: 'the approvers were already notified for this revision',
    });
    expect(notifications.sent).toHaveLength(1);
  });

  it('sends once when two replicas notify at the same moment', async () => {
    const { env, service, notifications, store } = await setup('staging');
    const entries = new Map<string, unknown>();
    const cache = {
      get: async (key: string) => entries.get(key),
      set: async (key: string, value: unknown) => {
        entries.set(key, value);
      },
      withOptions: () => cache,
    } as unknown as CacheService;
    // A send that takes a while, so that the two calls overlap.
    const slow = {
      send: async (options: Parameters<typeof notifications.send>[0]) => {
        await new Promise(r => setTimeout(r, 50));
        await notifications.send(options);
      },
    };
    const replica = () =>
      new ApproverNotifier({
        approvals: service,
        notifications: slow,
        cache,
        locks: store,
        logger: mockServices.logger.mock(),
      });

    const results = await Promise.all([
      replica().notifyIfApprovalNeeded(env),
      replica().notifyIfApprovalNeeded(env),
    ]);

    expect(results.map(r => r.sent).sort()).toEqual([false, true]);
    expect(notifications.sent).toHaveLength(1);
  });

  it('tries again after a failed send, and never throws', async () => {
    const { env, notifications, notifier } = await setup('staging');
    notifications.failNext = true;
    expect(await notifier.notifyIfApprovalNeeded(env)).toMatchObject({
      sent: false,
      reason:
        'the notification could not be sent: notifications backend unavailable',
    });
    expect(await notifier.notifyIfApprovalNeeded(env)).toMatchObject({
      sent: true,
      recipients: ['group:default/platform-approvers'],
    });
    expect(notifications.sent[0].recipients).toEqual({
      type: 'entity',
      entityRef: ['group:default/platform-approvers'],
    });
    expect(notifications.sent[0].payload.severity).toBe('normal');
  });

  it('never throws when the gate cannot be read', async () => {
    const notifier = new ApproverNotifier({
      approvals: {
        pendingReview: async () => {
          throw new Error('cluster unreachable');
        },
      },
      notifications: new RecordingNotifications(),
      logger: mockServices.logger.mock(),
    });
    const { env } = await setupApprovals('staging');
    expect(await notifier.notifyIfApprovalNeeded(env)).toEqual({
      sent: false,
      recipients: [],
      reason: 'the notification could not be sent: cluster unreachable',
    });
  });

  it('does nothing without the notifications service, or when nothing is needed', async () => {
    const without = await setup('production', { notifications: false });
    expect(await without.notifier.notifyIfApprovalNeeded(without.env)).toEqual({
      sent: false,
      recipients: [],
      reason: 'the notifications backend is not installed',
    });
    const dev = await setup('development');
    expect(await dev.notifier.notifyIfApprovalNeeded(dev.env)).toMatchObject({
      sent: false,
      reason: 'a development environment needs no approval',
    });
    const staging = await setup('staging');
    await staging.service.decide(
      staging.env,
      people.approver,
      approve(),
      staging.audited,
    );
    expect(
      await staging.notifier.notifyIfApprovalNeeded(staging.env),
    ).toMatchObject({
      sent: false,
      reason: 'every required approval is given',
    });
    expect(dev.notifications.sent).toEqual([]);
    expect(staging.notifications.sent).toEqual([]);
  });
});
