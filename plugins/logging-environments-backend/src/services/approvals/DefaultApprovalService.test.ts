import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { DEFAULT_TIER_POLICIES } from '@internal/plugin-logging-environments-common';
import type { Request } from 'express';
import { people, REV_A } from './__testUtils__/fakes';
import {
  approve,
  filledBy,
  reject,
  setupApprovals,
} from './__testUtils__/setup';

// Who may decide what. The revision, the checklist and what a decision
// leaves behind are in DefaultApprovalService.gate.test.ts.
describe('DefaultApprovalService', () => {
  describe('production', () => {
    it('never lets the requester approve, even as a member of an approver group', async () => {
      const { service, env, store, audited } = await setupApprovals(
        'production',
      );
      const attempt = service.decide(
        env,
        people.requester,
        approve('approval'),
        audited,
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
      const { service, env, audited } = await setupApprovals('production');
      await expect(
        service.decide(env, people.viewer, approve(), audited),
      ).rejects.toThrow(
        /you are not a member of a group that may approve this environment \(Security review: group:default\/security-reviewers; Approval: group:default\/platform-approvers\)/,
      );
      await expect(
        service.decide(env, people.viewer, approve('security-review'), audited),
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
      const { service, env, audited } = await setupApprovals('production');
      await expect(
        service.decide(
          env,
          people.securityReviewer,
          approve('approval'),
          audited,
        ),
      ).rejects.toThrow(
        'only members of group:default/platform-approvers may give the Approval',
      );
      const state = await service.decide(
        env,
        people.securityReviewer,
        approve(),
        audited,
      );
      expect(filledBy(state)).toEqual({
        'security-review': 'user:default/sam',
        approval: undefined,
      });
      expect(state.complete).toBe(false);

      const done = await service.decide(
        env,
        people.approver,
        approve(),
        audited,
      );
      expect(filledBy(done)).toEqual({
        'security-review': 'user:default/sam',
        approval: 'user:default/alice',
      });
      expect(done.complete).toBe(true);
      expect(done.revision).toBe(REV_A);
    });

    it('asks which role when the caller could fill more than one', async () => {
      const { service, env, audited } = await setupApprovals('production');
      const attempt = service.decide(
        env,
        people.securityApprover,
        approve(),
        audited,
      );
      await expect(attempt).rejects.toThrow(InputError);
      await expect(attempt).rejects.toThrow(
        'say which role you approve as: role must be one of security-review (Security review), approval (Approval)',
      );
      await expect(
        service.decide(
          env,
          people.securityApprover,
          approve('owner-review'),
          audited,
        ),
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
      const { service, env, audited } = await setupApprovals('production', {
        overrides: {
          policy,
          extraApprovers: {
            'security-review': ['group:default/checkout-team'],
            approval: ['group:default/checkout-team'],
          },
        },
      });
      await expect(
        service.decide(
          env,
          people.teamMember,
          approve('security-review'),
          audited,
        ),
      ).rejects.toThrow(
        'only members of group:default/security-reviewers may give the Security review',
      );
      const state = await service.decide(
        env,
        people.teamMember,
        approve('approval'),
        audited,
      );
      expect(filledBy(state).approval).toBe('user:default/tom');
      expect(state.required.map(r => r.groups)).toEqual([
        ['group:default/security-reviewers'],
        ['group:default/platform-approvers', 'group:default/checkout-team'],
      ]);
    });

    it('counts a security reviewer who is also an approver once', async () => {
      const { service, env, audited } = await setupApprovals('production');
      await service.decide(
        env,
        people.securityApprover,
        approve('security-review'),
        audited,
      );
      const second = service.decide(
        env,
        people.securityApprover,
        approve('approval'),
        audited,
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
      const { env, create, audited } = await setupApprovals('production');
      const replicas = [create(), create()];
      const results = await Promise.allSettled([
        replicas[0].decide(
          env,
          people.securityApprover,
          approve('security-review'),
          audited,
        ),
        replicas[1].decide(
          env,
          people.securityApprover,
          approve('approval'),
          audited,
        ),
      ]);
      expect(results.some(r => r.status === 'fulfilled')).toBe(true);
      const state = await replicas[0].state(env);
      const byBea = state.required.filter(
        r => r.approval?.actor === 'user:default/bea',
      );
      expect(byBea).toHaveLength(1);
      expect(state.complete).toBe(false);
    });

    it('takes the decisions on one environment one at a time across replicas', async () => {
      const { env, create, revisions, audited, store } = await setupApprovals(
        'production',
      );
      // A slow revision read, to give two replicas time to overlap.
      let reading = 0;
      let overlapped = 0;
      const current = revisions.current.bind(revisions);
      revisions.current = async e => {
        reading++;
        if (reading > 1) overlapped++;
        await new Promise(r => setTimeout(r, 30));
        reading--;
        return current(e);
      };
      const [a, b] = [create(), create()];
      await Promise.all([
        a.decide(env, people.approver, approve('approval'), audited),
        b.decide(
          env,
          people.securityReviewer,
          approve('security-review'),
          audited,
        ),
        b.voidStale(env),
      ]);
      expect(overlapped).toBe(0);
      expect(await store.listDecisions(env.entityRef)).toHaveLength(2);
    });

    it('counts two concurrent identical approvals once, with one audit event and one history entry', async () => {
      const { env, create, store, auditor, audited, changes } =
        await setupApprovals('production');
      const one = create();
      const other = create(); // another replica: only the store's key can tell
      const states = await Promise.all([
        one.decide(env, people.approver, approve('approval'), audited),
        one.decide(env, people.approver, approve('approval'), audited),
        other.decide(env, people.approver, approve('approval'), audited),
      ]);
      for (const state of states) {
        expect(filledBy(state).approval).toBe('user:default/alice');
      }
      expect(await store.listDecisions(env.entityRef)).toHaveLength(1);
      const history = await store.listHistory(env.entityRef);
      expect(history.filter(h => h.type === 'approval')).toHaveLength(1);
      expect(auditor.events).toHaveLength(1);
      expect(auditor.events[0].status).toBe('succeeded');
      // Browsers hear about the recorded decision once.
      expect(changes).toEqual([`${env.entityRef}:approval`]);

      // A second click later is a no-op too.
      await one.decide(env, people.approver, approve(), audited);
      expect(auditor.events).toHaveLength(1);
      expect(changes).toHaveLength(1);
      expect(await store.listDecisions(env.entityRef)).toHaveLength(1);
    });
  });

  describe('staging', () => {
    it('needs one configuration review by a platform approver; its requester may give it', async () => {
      const { service, env, audited } = await setupApprovals('staging');
      await expect(
        service.decide(env, people.securityReviewer, approve(), audited),
      ).rejects.toThrow(NotAllowedError);
      const state = await service.decide(
        env,
        people.requester,
        approve(),
        audited,
      );
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
      const { service, env, audited } = await setupApprovals('development', {
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
        service.decide(env, people.approver, approve(), audited),
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
    it('audits a recorded decision, without its comment, through the audit starter of the caller', async () => {
      const { service, env, auditor } = await setupApprovals('production');
      // The router adds the request, as here.
      const request = { ip: '10.0.0.1' } as unknown as Request;
      await service.decide(
        env,
        people.approver,
        approve('approval', { comment: 'Looks right' }),
        { audit: o => auditor.createEvent({ ...o, request }) },
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
      const { service, env, auditor, audited } = await setupApprovals(
        'production',
      );
      await expect(
        service.decide(env, people.requester, approve('approval'), audited),
      ).rejects.toThrow(NotAllowedError);
      await expect(
        service.decide(env, people.viewer, reject(undefined, ''), audited),
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
});
