import { ConflictError, InputError } from '@backstage/errors';
import { Caller } from '../types';
import { checklistRun, people, REV_A, REV_B } from './__testUtils__/fakes';
import {
  approve,
  filledBy,
  passing,
  reject,
  setupApprovals,
} from './__testUtils__/setup';

// The revision a decision binds to, the checklist, and the reads that must
// not write. Who may decide what is in DefaultApprovalService.test.ts.
describe('DefaultApprovalService', () => {
  describe('production', () => {
    it('ignores decisions of an older revision at once, and voids them once, saying why', async () => {
      const { service, env, store, revisions, audited } = await setupApprovals(
        'production',
      );
      await service.decide(env, people.securityReviewer, approve(), audited);
      await service.decide(env, people.approver, approve(), audited);
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
      // Reading changed nothing: the decisions are void in the store only
      // once voidStale says so.
      const history = async () =>
        (await store.listHistory(env.entityRef)).filter(
          h => h.type === 'approvals-voided',
        );
      expect(await history()).toEqual([]);
      expect(
        (await store.listDecisions(env.entityRef)).map(d => d.voidedReason),
      ).toEqual([undefined, undefined]);

      expect(await service.voidStale(env)).toEqual({
        voided: 2,
        revision: REV_B,
      });
      expect(await service.voidStale(env)).toEqual({
        voided: 0,
        revision: REV_B,
      });
      expect(await service.state(env)).toEqual(state);
      const voided = await history();
      expect(voided).toHaveLength(1);
      expect(voided[0]).toMatchObject({
        actor: 'system',
        message:
          '2 decisions for revision a1b2c3d voided: superseded by revision b5e6f7a',
        details: { revision: REV_B, count: 2 },
      });
    });

    it("voids decisions when the Applications' source, project or sync policy changes at the same commit", async () => {
      const { service, env, store, revisions, audited } = await setupApprovals(
        'production',
      );
      await service.decide(env, people.approver, approve('approval'), audited);
      revisions.set(env, REV_A, { binding: 'another-source' });
      const state = await service.state(env);
      expect(state.required.every(r => r.approval === undefined)).toBe(true);
      expect(state.decisions[0].voidedReason).toBe(
        "the Applications' source, project or sync policy changed",
      );
      expect(await service.voidStale(env)).toEqual({
        voided: 1,
        revision: REV_A,
      });
      const history = await store.listHistory(env.entityRef);
      expect(history.find(h => h.type === 'approvals-voided')?.message).toBe(
        "1 decision for revision a1b2c3d voided: the Applications' source, project or sync policy changed",
      );
    });

    it('voids nothing while the revision is unknown', async () => {
      const { service, env, store, revisions, audited } = await setupApprovals(
        'production',
      );
      await service.decide(env, people.approver, approve('approval'), audited);
      revisions.set(env, undefined);
      expect(await service.voidStale(env)).toEqual({ voided: 0 });
      expect(
        (await store.listDecisions(env.entityRef))[0].voidedReason,
      ).toBeUndefined();
    });

    it('reads the state, the availability and the pending review without writing to the database', async () => {
      const { service, env, knex, revisions, store, audited } =
        await setupApprovals('production');
      await service.decide(env, people.securityReviewer, approve(), audited);
      await service.decide(
        env,
        people.approver,
        reject('approval', 'Retention too short'),
        audited,
      );
      // A page view after a new commit arrived, before anything voided it.
      revisions.set(env, REV_B);
      await store.addChecklistRun(env.entityRef, passing(REV_B), 'system');
      const tables: string[] = await knex('sqlite_master')
        .where({ type: 'table' })
        .pluck('name');
      const contents = () => Promise.all(tables.map(t => knex(t).select()));
      const before = await contents();

      const state = await service.state(env);
      const can = await service.availability(env, people.approver, true);
      const review = await service.pendingReview(env);

      expect(await contents()).toEqual(before);
      expect(state.complete).toBe(false);
      expect(state.rejected).toBeUndefined();
      expect(can.approve).toEqual({ allowed: true });
      expect(review).toMatchObject({ waiting: true, revision: REV_B });
    });

    it('voids stale decisions before it records a new one', async () => {
      const { service, env, store, revisions, audited } = await setupApprovals(
        'production',
      );
      await service.decide(env, people.approver, approve('approval'), audited);
      revisions.set(env, REV_B);
      await store.addChecklistRun(env.entityRef, passing(REV_B), 'system');
      const state = await service.decide(
        env,
        people.approver,
        approve('approval'),
        audited,
      );
      expect(filledBy(state).approval).toBe('user:default/alice');
      expect(state.decisions.map(d => [d.revision, d.voidedReason])).toEqual([
        [REV_B, undefined],
        [REV_A, 'superseded by revision b5e6f7a'],
      ]);
      const history = await store.listHistory(env.entityRef);
      expect(history.map(h => h.type)).toEqual([
        'approval',
        'approvals-voided',
        'approval',
      ]);
    });

    it('refuses a decision for a revision that is no longer the one to sync', async () => {
      const { service, env, revisions, store, audited } = await setupApprovals(
        'production',
      );
      revisions.set(env, REV_B);
      const attempt = service.decide(
        env,
        people.approver,
        approve('approval', { revision: REV_A }),
        audited,
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
          audited,
        ),
      ).rejects.toThrow(
        'the checklist ran against revision a1b2c3d, not b5e6f7a; run the checklist again',
      );
      await store.addChecklistRun(env.entityRef, passing(REV_B), 'system');
      const state = await service.decide(
        env,
        people.approver,
        approve('approval', { revision: REV_B.slice(0, 7) }),
        audited,
      );
      expect(filledBy(state).approval).toBe('user:default/alice');
    });

    it('refuses everything while the revision to sync is unknown', async () => {
      const { service, env, audited } = await setupApprovals('production', {
        revision: null,
      });
      await expect(
        service.decide(env, people.approver, approve('approval'), audited),
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
      const { service, env, store, revisions, audited } = await setupApprovals(
        'production',
      );
      await expect(
        service.decide(
          env,
          people.securityReviewer,
          reject(undefined, '  '),
          audited,
        ),
      ).rejects.toThrow(
        new InputError('a rejection needs a comment saying why'),
      );

      await service.decide(env, people.approver, approve('approval'), audited);
      const rejected = await service.decide(
        env,
        people.securityReviewer,
        reject(undefined, 'The bucket policy allows public reads'),
        audited,
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
        audited,
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
          audited,
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
      const { service, env, store, audited } = await setupApprovals(
        'production',
        {
          checklist: null,
        },
      );
      await expect(
        service.decide(env, people.approver, approve('approval'), audited),
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
        service.decide(env, people.approver, approve('approval'), audited),
      ).rejects.toThrow(
        'the checklist has failing items (S3 bucket); fix them and run the checklist again',
      );

      await store.addChecklistRun(
        env.entityRef,
        checklistRun({ 'S3 bucket': 'pass', 'Argo CD': 'unknown' }, REV_A),
        'system',
      );
      await expect(
        service.decide(env, people.approver, approve('approval'), audited),
      ).rejects.toThrow(/the checklist could not verify Argo CD/);
      expect(
        (await service.availability(env, people.approver, true)).approve.reason,
      ).toMatch(/the checklist could not verify Argo CD/);

      // Rejecting needs no passing checklist.
      const state = await service.decide(
        env,
        people.approver,
        reject('approval', 'Argo CD is unreachable from the cluster'),
        audited,
      );
      expect(state.rejected?.role).toBe('approval');

      await store.addChecklistRun(env.entityRef, passing(), 'system');
      const ok = await service.decide(
        env,
        people.securityReviewer,
        approve('security-review'),
        audited,
      );
      expect(filledBy(ok)['security-review']).toBe('user:default/sam');
    });

    it('explains why the buttons are disabled', async () => {
      const { service, env, audited } = await setupApprovals('production');
      expect(await service.availability(env, people.approver, true)).toEqual({
        approve: { allowed: true },
        reject: { allowed: true },
      });
      await service.decide(env, people.securityReviewer, approve(), audited);
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
      await service.decide(env, people.approver, approve(), audited);
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

  describe('pendingReview', () => {
    it('names the roles still missing and who may not give them', async () => {
      const { service, env, audited } = await setupApprovals('production');
      await service.decide(
        env,
        people.securityApprover,
        approve('security-review'),
        audited,
      );
      expect(await service.pendingReview(env)).toEqual({
        waiting: true,
        revision: REV_A,
        roles: [
          {
            role: 'approval',
            title: 'Approval',
            groups: ['group:default/platform-approvers'],
          },
        ],
        exclude: ['user:default/rita', 'user:default/bea'],
      });
    });

    it('says why nobody is asked', async () => {
      const failing = await setupApprovals('production', {
        checklist: checklistRun({ 'S3 bucket': 'fail' }, REV_A),
      });
      expect(await failing.service.pendingReview(failing.env)).toEqual({
        waiting: false,
        reason:
          'the checklist has failing items (S3 bucket); fix them and run the checklist again',
      });
      const unknown = await setupApprovals('staging', { revision: null });
      expect(await unknown.service.pendingReview(unknown.env)).toEqual({
        waiting: false,
        reason: 'the revision to sync is not known yet',
      });
    });
  });
});
