import { CacheService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  DEFAULT_TIER_POLICIES,
  ChecklistRun,
  Tier,
} from '@internal/plugin-logging-environments-common';
import type { Request } from 'express';
import { createTestStore } from '../../database/__testUtils__/createTestStore';
import { Caller, Environment } from '../types';
import { DefaultApprovalService } from './DefaultApprovalService';
import {
  checklistRun,
  environment,
  people,
  RecordingAuditor,
  RecordingNotifications,
  REV_A,
  REV_B,
  StaticRevisionSource,
} from './__testUtils__/fakes';

const passing = (revision: string = REV_A) =>
  checklistRun(
    {
      'S3 bucket': 'pass',
      'Loki credentials secret': 'pass',
      Operators: 'warn',
    },
    revision,
  );

type DecideInput = Parameters<DefaultApprovalService['decide']>[2];

const approve = (role?: string, extra: Partial<DecideInput> = {}) => ({
  decision: 'approve' as const,
  ...(role ? { role } : {}),
  comment: '',
  ...extra,
});

const reject = (role: string | undefined, comment: string) => ({
  decision: 'reject' as const,
  ...(role ? { role } : {}),
  comment,
});

describe('DefaultApprovalService', () => {
  async function setup(
    tier: Tier,
    options: {
      overrides?: Partial<Environment>;
      checklist?: ChecklistRun | null;
      revision?: string | null;
      notifications?: boolean;
    } = {},
  ) {
    const { store } = await createTestStore();
    const revisions = new StaticRevisionSource();
    const auditor = new RecordingAuditor();
    const notifications = new RecordingNotifications();
    const env = environment(tier, options.overrides);
    revisions.set(
      env,
      options.revision === null ? undefined : options.revision ?? REV_A,
    );
    if (options.checklist !== null) {
      await store.addChecklistRun(
        env.entityRef,
        options.checklist ?? passing(),
        people.requester.userEntityRef,
      );
    }
    const create = () =>
      DefaultApprovalService.create({
        store,
        revisions,
        auditor,
        logger: mockServices.logger.mock(),
        notifications:
          options.notifications === false ? undefined : notifications,
      });
    return {
      store,
      revisions,
      auditor,
      notifications,
      env,
      service: create(),
      create,
    };
  }

  const filledBy = (
    state: Awaited<ReturnType<DefaultApprovalService['state']>>,
  ) => Object.fromEntries(state.required.map(r => [r.role, r.approval?.actor]));

  describe('production', () => {
    it('never lets the requester approve, even as a member of an approver group', async () => {
      const { service, env, store } = await setup('production');
      const attempt = service.decide(
        env,
        people.requester,
        approve('approval'),
      );
      await expect(attempt).rejects.toThrow(NotAllowedError);
      await expect(attempt).rejects.toThrow(
        'the requester of a production environment cannot approve it',
      );
      expect(await store.listDecisions(env.entityRef)).toEqual([]);

      const can = await service.availability(env, people.requester, true);
      expect(can.approve.allowed).toBe(false);
      expect(can.approve.reason).toContain(
        'the requester of a production environment cannot approve it',
      );
      // A rejection only stops things: the requester may still say no.
      expect(can.reject).toEqual({ allowed: true });
    });

    it('refuses a viewer who is in no approver group', async () => {
      const { service, env } = await setup('production');
      await expect(
        service.decide(env, people.viewer, approve()),
      ).rejects.toThrow(
        /you are not a member of a group that may approve this environment \(Security review: group:default\/security-reviewers; Approval: group:default\/platform-approvers\)/,
      );
      await expect(
        service.decide(env, people.viewer, approve('security-review')),
      ).rejects.toThrow(
        new NotAllowedError(
          'only members of group:default/security-reviewers may give the Security review',
        ),
      );
      const can = await service.availability(env, people.viewer, false);
      expect(can.approve.allowed).toBe(false);
      expect(can.approve.reason).toContain(
        'you do not have the logging.environment.approve permission for this environment',
      );
      expect(can.approve.reason).toContain(
        'you are not a member of a group that may approve this environment',
      );
      expect(can.reject.allowed).toBe(false);
    });

    it('lets a role be filled only by members of its groups, and infers the role when only one is open', async () => {
      const { service, env } = await setup('production');
      await expect(
        service.decide(env, people.securityReviewer, approve('approval')),
      ).rejects.toThrow(
        'only members of group:default/platform-approvers may give the Approval',
      );
      const state = await service.decide(
        env,
        people.securityReviewer,
        approve(),
      );
      expect(filledBy(state)).toEqual({
        'security-review': 'user:default/sam',
        approval: undefined,
      });
      expect(state.complete).toBe(false);

      const done = await service.decide(env, people.approver, approve());
      expect(filledBy(done)).toEqual({
        'security-review': 'user:default/sam',
        approval: 'user:default/alice',
      });
      expect(done.complete).toBe(true);
      expect(done.revision).toBe(REV_A);
    });

    it('asks which role when the caller could fill more than one', async () => {
      const { service, env } = await setup('production');
      const attempt = service.decide(env, people.securityApprover, approve());
      await expect(attempt).rejects.toThrow(InputError);
      await expect(attempt).rejects.toThrow(
        'say which role you approve as: role must be one of security-review (Security review), approval (Approval)',
      );
      await expect(
        service.decide(env, people.securityApprover, approve('owner-review')),
      ).rejects.toThrow(
        'role "owner-review" is not a role of the production tier; choose one of: security-review, approval',
      );
    });

    it('lets extra approver groups fill only the roles configuration marks extendable', async () => {
      // The bootstrap named checkout-team for both production roles; the
      // configuration lets extra groups give the approval only.
      const policy = {
        ...DEFAULT_TIER_POLICIES.production,
        requiredApprovals:
          DEFAULT_TIER_POLICIES.production.requiredApprovals.map(r =>
            r.role === 'approval' ? { ...r, extendable: true } : r,
          ),
      };
      const { service, env } = await setup('production', {
        overrides: {
          policy,
          extraApprovers: {
            'security-review': ['group:default/checkout-team'],
            approval: ['group:default/checkout-team'],
          },
        },
      });
      await expect(
        service.decide(env, people.teamMember, approve('security-review')),
      ).rejects.toThrow(
        'only members of group:default/security-reviewers may give the Security review',
      );
      const state = await service.decide(
        env,
        people.teamMember,
        approve('approval'),
      );
      expect(filledBy(state).approval).toBe('user:default/tom');
      expect(state.required.map(r => r.groups)).toEqual([
        ['group:default/security-reviewers'],
        ['group:default/platform-approvers', 'group:default/checkout-team'],
      ]);
    });

    it('counts a security reviewer who is also an approver once', async () => {
      const { service, env } = await setup('production');
      await service.decide(
        env,
        people.securityApprover,
        approve('security-review'),
      );
      const second = service.decide(
        env,
        people.securityApprover,
        approve('approval'),
      );
      await expect(second).rejects.toThrow(NotAllowedError);
      await expect(second).rejects.toThrow(
        'one person may fill only one role per revision: you already approved revision a1b2c3d as Security review',
      );
      const state = await service.state(env);
      expect(filledBy(state)).toEqual({
        'security-review': 'user:default/bea',
        approval: undefined,
      });
      expect(state.complete).toBe(false);

      const can = await service.availability(
        env,
        people.securityApprover,
        true,
      );
      expect(can.approve).toEqual({
        allowed: false,
        reason:
          'you already approved revision a1b2c3d as Security review; one person may fill only one role per revision',
      });
    });

    it('counts one person once even when two replicas record two roles at the same time', async () => {
      const { env, create } = await setup('production');
      const replicas = [create(), create()];
      const results = await Promise.allSettled([
        replicas[0].decide(
          env,
          people.securityApprover,
          approve('security-review'),
        ),
        replicas[1].decide(env, people.securityApprover, approve('approval')),
      ]);
      expect(results.some(r => r.status === 'fulfilled')).toBe(true);
      const state = await replicas[0].state(env);
      const byBea = state.required.filter(
        r => r.approval?.actor === 'user:default/bea',
      );
      expect(byBea).toHaveLength(1);
      expect(state.complete).toBe(false);
    });

    it('counts two concurrent identical approvals once, with one audit event and one history entry', async () => {
      const { env, create, store, auditor } = await setup('production');
      const one = create();
      const other = create(); // another replica: only the store's key can tell
      const states = await Promise.all([
        one.decide(env, people.approver, approve('approval')),
        one.decide(env, people.approver, approve('approval')),
        other.decide(env, people.approver, approve('approval')),
      ]);
      for (const state of states) {
        expect(filledBy(state).approval).toBe('user:default/alice');
      }
      expect(await store.listDecisions(env.entityRef)).toHaveLength(1);
      const history = await store.listHistory(env.entityRef);
      expect(history.filter(h => h.type === 'approval')).toHaveLength(1);
      expect(auditor.events).toHaveLength(1);
      expect(auditor.events[0].status).toBe('succeeded');

      // A second click later is a no-op too.
      await one.decide(env, people.approver, approve());
      expect(auditor.events).toHaveLength(1);
      expect(await store.listDecisions(env.entityRef)).toHaveLength(1);
    });

    it('voids approvals of an older revision once, and says why', async () => {
      const { service, env, store, revisions } = await setup('production');
      await service.decide(env, people.securityReviewer, approve());
      await service.decide(env, people.approver, approve());
      expect((await service.state(env)).complete).toBe(true);

      revisions.set(env, REV_B);
      const state = await service.state(env);
      expect(state.revision).toBe(REV_B);
      expect(state.complete).toBe(false);
      expect(state.required.every(r => r.approval === undefined)).toBe(true);
      expect(state.decisions).toHaveLength(2);
      for (const decision of state.decisions) {
        expect(decision.voidedReason).toBe('superseded by revision b5e6f7a');
      }
      await service.state(env);
      await service.availability(env, people.approver, true);
      const voided = (await store.listHistory(env.entityRef)).filter(
        h => h.type === 'approvals-voided',
      );
      expect(voided).toHaveLength(1);
      expect(voided[0]).toMatchObject({
        actor: 'system',
        message:
          '2 decisions for revision a1b2c3d voided: superseded by revision b5e6f7a',
        details: { revision: REV_B, count: 2 },
      });
    });

    it('refuses a decision for a revision that is no longer the one to sync', async () => {
      const { service, env, revisions, store } = await setup('production');
      revisions.set(env, REV_B);
      const attempt = service.decide(
        env,
        people.approver,
        approve('approval', { revision: REV_A }),
      );
      await expect(attempt).rejects.toThrow(ConflictError);
      await expect(attempt).rejects.toThrow(
        'the revision changed from a1b2c3d to b5e6f7a; re-run the checklist and review again',
      );
      // The checklist ran against the old revision: approve needs a new run.
      await expect(
        service.decide(
          env,
          people.approver,
          approve('approval', { revision: REV_B }),
        ),
      ).rejects.toThrow(
        'the checklist ran against revision a1b2c3d, not b5e6f7a; run the checklist again',
      );
      await store.addChecklistRun(env.entityRef, passing(REV_B), 'system');
      const state = await service.decide(
        env,
        people.approver,
        approve('approval', { revision: REV_B.slice(0, 7) }),
      );
      expect(filledBy(state).approval).toBe('user:default/alice');
    });

    it('refuses everything while the revision to sync is unknown', async () => {
      const { service, env } = await setup('production', { revision: null });
      await expect(
        service.decide(env, people.approver, approve('approval')),
      ).rejects.toThrow(
        new ConflictError('the revision to sync is not known yet'),
      );
      const state = await service.state(env);
      expect(state.revision).toBeUndefined();
      expect(state.complete).toBe(false);
      const can = await service.availability(env, people.approver, true);
      expect(can.approve.reason).toContain(
        'the revision to sync is not known yet',
      );
      expect(can.reject.reason).toContain(
        'the revision to sync is not known yet',
      );
    });

    it('lets a rejection, which must say why, block completion until a new revision', async () => {
      const { service, env, store, revisions } = await setup('production');
      await expect(
        service.decide(env, people.securityReviewer, reject(undefined, '  ')),
      ).rejects.toThrow(
        new InputError('a rejection needs a comment saying why'),
      );

      await service.decide(env, people.approver, approve('approval'));
      const rejected = await service.decide(
        env,
        people.securityReviewer,
        reject(undefined, 'The bucket policy allows public reads'),
      );
      expect(rejected.complete).toBe(false);
      expect(rejected.rejected).toMatchObject({
        decision: 'reject',
        role: 'security-review',
        actor: 'user:default/sam',
        comment: 'The bucket policy allows public reads',
        revision: REV_A,
      });
      // Another security reviewer's approval does not lift it.
      const other: Caller = {
        userEntityRef: 'user:default/sven',
        ownershipEntityRefs: ['group:default/security-reviewers'],
      };
      const approved = await service.decide(
        env,
        other,
        approve('security-review'),
      );
      expect(approved.required.every(r => r.approval)).toBe(true);
      expect(approved.complete).toBe(false);
      expect(approved.rejected?.actor).toBe('user:default/sam');

      // A decision stands for its revision: the rejecter cannot turn it round.
      await expect(
        service.decide(
          env,
          people.securityReviewer,
          approve('security-review'),
        ),
      ).rejects.toThrow(
        new ConflictError(
          'you already rejected revision a1b2c3d as Security review; a decision stands until the revision changes',
        ),
      );
      const history = await store.listHistory(env.entityRef);
      expect(history.find(h => h.type === 'rejection')?.message).toBe(
        'Rejected as Security review for revision a1b2c3d: The bucket policy allows public reads',
      );

      // A new revision voids it with everything else.
      revisions.set(env, REV_B);
      const fresh = await service.state(env);
      expect(fresh.rejected).toBeUndefined();
      expect(fresh.complete).toBe(false);
    });

    it('needs a checklist run without failing or unverified items to approve', async () => {
      const { service, env, store } = await setup('production', {
        checklist: null,
      });
      await expect(
        service.decide(env, people.approver, approve('approval')),
      ).rejects.toThrow(new ConflictError('run the checklist first'));
      expect(
        (await service.availability(env, people.approver, true)).approve,
      ).toEqual({ allowed: false, reason: 'run the checklist first' });

      await store.addChecklistRun(
        env.entityRef,
        checklistRun({ 'S3 bucket': 'fail', Secret: 'pass' }, REV_A),
        'system',
      );
      await expect(
        service.decide(env, people.approver, approve('approval')),
      ).rejects.toThrow(
        'the checklist has failing items (S3 bucket); fix them and run the checklist again',
      );

      await store.addChecklistRun(
        env.entityRef,
        checklistRun({ 'S3 bucket': 'pass', 'Argo CD': 'unknown' }, REV_A),
        'system',
      );
      await expect(
        service.decide(env, people.approver, approve('approval')),
      ).rejects.toThrow(/the checklist could not verify Argo CD/);
      expect(
        (await service.availability(env, people.approver, true)).approve.reason,
      ).toMatch(/the checklist could not verify Argo CD/);

      // Rejecting needs no passing checklist.
      const state = await service.decide(
        env,
        people.approver,
        reject('approval', 'Argo CD is unreachable from the cluster'),
      );
      expect(state.rejected?.role).toBe('approval');

      await store.addChecklistRun(env.entityRef, passing(), 'system');
      const ok = await service.decide(
        env,
        people.securityReviewer,
        approve('security-review'),
      );
      expect(filledBy(ok)['security-review']).toBe('user:default/sam');
    });

    it('explains why the buttons are disabled', async () => {
      const { service, env } = await setup('production');
      expect(await service.availability(env, people.approver, true)).toEqual({
        approve: { allowed: true },
        reject: { allowed: true },
      });
      await service.decide(env, people.securityReviewer, approve());
      expect(
        (await service.availability(env, people.securityReviewer, true))
          .approve,
      ).toEqual({
        allowed: false,
        reason: 'you already approved revision a1b2c3d as Security review',
      });
      const other: Caller = {
        userEntityRef: 'user:default/sven',
        ownershipEntityRefs: ['group:default/security-reviewers'],
      };
      expect((await service.availability(env, other, true)).approve).toEqual({
        allowed: false,
        reason:
          'the missing Approval is not yours to give (members of group:default/platform-approvers)',
      });
      await service.decide(env, people.approver, approve());
      expect(
        (await service.availability(env, people.secondApprover, true)).approve,
      ).toEqual({
        allowed: false,
        reason:
          'nothing left to approve: every required approval is given for revision a1b2c3d',
      });
      // A late veto is still possible for someone who has not decided.
      expect(
        (await service.availability(env, people.secondApprover, true)).reject,
      ).toEqual({ allowed: true });
    });
  });

  describe('staging', () => {
    it('needs one configuration review by a platform approver; its requester may give it', async () => {
      const { service, env } = await setup('staging');
      await expect(
        service.decide(env, people.securityReviewer, approve()),
      ).rejects.toThrow(NotAllowedError);
      const state = await service.decide(env, people.requester, approve());
      expect(state.required).toEqual([
        expect.objectContaining({
          role: 'configuration-review',
          title: 'Configuration review',
          groups: ['group:default/platform-approvers'],
          approval: expect.objectContaining({ actor: 'user:default/rita' }),
        }),
      ]);
      expect(state.complete).toBe(true);
    });
  });

  describe('development', () => {
    it('needs no approval: complete with none, and nothing to decide', async () => {
      const { service, env } = await setup('development', {
        checklist: null,
      });
      const state = await service.state(env);
      expect(state).toMatchObject({
        revision: REV_A,
        required: [],
        decisions: [],
        complete: true,
      });
      await expect(
        service.decide(env, people.approver, approve()),
      ).rejects.toThrow(
        new ConflictError('a development environment needs no approval'),
      );
      const none = {
        allowed: false,
        reason: 'a development environment needs no approval',
      };
      expect(await service.availability(env, people.approver, true)).toEqual({
        approve: none,
        reject: none,
      });
    });
  });

  describe('audit', () => {
    it('audits a recorded decision, without its comment, with the request', async () => {
      const { service, env, auditor } = await setup('production');
      const request = { ip: '10.0.0.1' } as unknown as Request;
      await service.decide(
        env,
        people.approver,
        approve('approval', { comment: 'Looks right' }),
        { request },
      );
      expect(auditor.events).toHaveLength(1);
      const [event] = auditor.events;
      expect(event.status).toBe('succeeded');
      expect(event.options).toEqual({
        eventId: 'environment-approval',
        severityLevel: 'medium',
        request,
        meta: {
          environment: env.entityRef,
          decision: 'approve',
          role: 'approval',
          revision: REV_A,
          actor: 'user:default/alice',
        },
      });
      expect(JSON.stringify(event.options.meta)).not.toContain('Looks right');
    });

    it('audits refused attempts as failures, with the reason', async () => {
      const { service, env, auditor } = await setup('production');
      await expect(
        service.decide(env, people.requester, approve('approval')),
      ).rejects.toThrow(NotAllowedError);
      await expect(
        service.decide(env, people.viewer, reject(undefined, '')),
      ).rejects.toThrow(InputError);
      expect(auditor.events.map(e => e.status)).toEqual(['failed', 'failed']);
      expect(auditor.events[0].options.meta).toEqual({
        environment: env.entityRef,
        decision: 'approve',
        role: 'approval',
        revision: REV_A,
        actor: 'user:default/rita',
      });
      expect(auditor.events[0].error?.message).toBe(
        'the requester of a production environment cannot approve it',
      );
      expect(auditor.events[1].error).toBeInstanceOf(InputError);
    });
  });

  describe('notifications', () => {
    it('asks the groups of the missing roles, once per revision', async () => {
      const { service, env, notifications, store, revisions } = await setup(
        'production',
      );
      expect(await service.notifyIfApprovalNeeded(env)).toEqual({
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
      expect(await service.notifyIfApprovalNeeded(env)).toMatchObject({
        sent: false,
        reason: 'the approvers were already notified for this revision',
      });
      expect(notifications.sent).toHaveLength(1);

      // Security review given; a new revision voids it. Approvers hear of
      // the new revision once its checklist passes, and only the groups of
      // the roles still missing, minus who decided.
      await service.decide(
        env,
        people.securityApprover,
        approve('security-review'),
      );
      await store.addChecklistRun(env.entityRef, passing(REV_B), 'system');
      revisions.set(env, REV_B);
      await service.state(env); // voids, and notifies
      await service.notifyIfApprovalNeeded(env);
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
      const { service, env, notifications, store } = await setup('production', {
        checklist: checklistRun({ 'S3 bucket': 'fail' }, REV_A),
      });
      expect(await service.notifyIfApprovalNeeded(env)).toMatchObject({
        sent: false,
        reason:
          'the checklist has failing items (S3 bucket); fix them and run the checklist again',
      });
      await service.decide(
        env,
        people.securityApprover,
        reject('approval', 'The retention is too short'),
      );
      await store.addChecklistRun(env.entityRef, passing(), 'system');
      expect(await service.notifyIfApprovalNeeded(env)).toMatchObject({
        sent: false,
        reason: 'a rejection stands for this revision',
      });
      expect(notifications.sent).toEqual([]);
    });

    it('notifies the missing role only, excluding who already decided', async () => {
      const { service, env, notifications } = await setup('production');
      await service.decide(
        env,
        people.securityApprover,
        approve('security-review'),
      );
      const result = await service.notifyIfApprovalNeeded(env);
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
      const { env, store, revisions, auditor, notifications } = await setup(
        'staging',
      );
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
        DefaultApprovalService.create({
          store,
          revisions,
          auditor,
          logger: mockServices.logger.mock(),
          notifications,
          cache,
        });
      expect((await replica().notifyIfApprovalNeeded(env)).sent).toBe(true);
      expect(await replica().notifyIfApprovalNeeded(env)).toMatchObject({
        sent: false,
        reason: 'the approvers were already notified for this revision',
      });
      expect(notifications.sent).toHaveLength(1);
    });

    it('tries again after a failed send, and never throws', async () => {
      const { service, env, notifications } = await setup('staging');
      notifications.failNext = true;
      expect(await service.notifyIfApprovalNeeded(env)).toMatchObject({
        sent: false,
        reason:
          'the notification could not be sent: notifications backend unavailable',
      });
      expect(await service.notifyIfApprovalNeeded(env)).toMatchObject({
        sent: true,
        recipients: ['group:default/platform-approvers'],
      });
      expect(notifications.sent[0].recipients).toEqual({
        type: 'entity',
        entityRef: ['group:default/platform-approvers'],
      });
      expect(notifications.sent[0].payload.severity).toBe('normal');
    });

    it('does nothing without the notifications service, or when nothing is needed', async () => {
      const without = await setup('production', { notifications: false });
      expect(await without.service.notifyIfApprovalNeeded(without.env)).toEqual(
        {
          sent: false,
          recipients: [],
          reason: 'the notifications backend is not installed',
        },
      );
      const dev = await setup('development');
      expect(await dev.service.notifyIfApprovalNeeded(dev.env)).toMatchObject({
        sent: false,
        reason: 'a development environment needs no approval',
      });
      const staging = await setup('staging');
      await staging.service.decide(staging.env, people.approver, approve());
      expect(
        await staging.service.notifyIfApprovalNeeded(staging.env),
      ).toMatchObject({
        sent: false,
        reason: 'every required approval is given',
      });
      expect(dev.notifications.sent).toEqual([]);
      expect(staging.notifications.sent).toEqual([]);
    });
  });
});
