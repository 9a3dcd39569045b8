import { ConflictError } from '@backstage/errors';
import { REV_NEW, SECOND } from '../waves/__testUtils__/applications';
import { OTHER_REVISION } from './__testUtils__/fakeArgoCd';
import { ALICE, BOB, FINAL, setup } from './__testUtils__/syncSetup';

describe('DefaultSyncService', () => {
  describe('the gate, checked again right before each Argo CD operation', () => {
    it('stops a requested sync when a rejection is filed before it starts', async () => {
      const t = await setup('production');
      await t.service.request(t.env, ALICE, {});
      t.approvals.rejected = {
        id: 'r',
        decision: 'reject',
        role: 'security-review',
        actor: BOB,
        comment: 'found a public bucket',
        revision: REV_NEW,
        createdAt: SECOND,
      };
      const { run, states } = await t.runToEnd();
      expect(states).toEqual(['failed']);
      expect(run.message).toBe(
        `Stopped before syncing ${t.infrastructure}: Revision 2222222 was rejected by ${BOB}: found a public bucket`,
      );
      expect(t.argocd.callsOf('sync')).toEqual([]);
    });

    it("stops before the forwarder when the Applications' source changed during the infrastructure sync", async () => {
      const t = await setup('production');
      await t.service.request(t.env, ALICE, {});
      let changed = false;
      const { run } = await (async () => {
        for (let i = 0; i < 30; i++) {
          await t.service.tick();
          const latest = await t.service.latest(t.env);
          if (!changed && latest?.state === 'waiting-infrastructure') {
            // Someone points the forwarder at another path meanwhile.
            t.revisions.binding = 'forwarder-path-changed';
            changed = true;
          }
          if (latest && FINAL.includes(latest.state)) return { run: latest };
          t.argocd.reconcile();
        }
        throw new Error('no final state');
      })();
      expect(run.state).toBe('failed');
      expect(run.message).toMatch(
        new RegExp(`^Stopped before syncing ${t.forwarder}: `),
      );
      expect(t.argocd.callsOf('sync').map(c => c.app)).toEqual([
        t.infrastructure,
      ]);
    });

    it('never starts while the Applications do not match the record, even where no approval is needed', async () => {
      const t = await setup('development');
      t.revisions.problems = [
        'Application openshift-gitops/acme-prod-logging-forwarder: spec.source.path must be "environments/acme-prod/forwarder"',
      ];
      await t.service.tick();
      expect(await t.service.latest(t.env)).toBeUndefined();
      await expect(t.service.request(t.env, ALICE, {})).rejects.toThrow(
        "The Applications do not match the environment's record: Application openshift-gitops/acme-prod-logging-forwarder: spec.source.path",
      );
      expect(t.argocd.callsOf('sync')).toEqual([]);
    });
  });

  describe('the gate', () => {
    it('answers 409 (ConflictError) without approvals, after a rejection, for another revision, for a revision no longer current, and while a run is active', async () => {
      const t = await setup('production', { approve: false });
      const conflict = (input = {}) =>
        expect(t.service.request(t.env, ALICE, input)).rejects.toThrow(
          ConflictError,
        );

      await conflict();
      await expect(t.service.request(t.env, ALICE, {})).rejects.toThrow(
        'Cannot sync acme-prod: Revision 2222222 still needs: Security review, Approval',
      );
      expect(await t.service.availability(t.env, true)).toEqual({
        allowed: false,
        reason: 'Revision 2222222 still needs: Security review, Approval',
      });

      t.approvals.rejected = {
        id: 'r',
        decision: 'reject',
        role: 'security-review',
        actor: BOB,
        comment: 'bucket is public',
        revision: REV_NEW,
        createdAt: SECOND,
      };
      await expect(t.service.request(t.env, ALICE, {})).rejects.toThrow(
        `Revision 2222222 was rejected by ${BOB}: bucket is public`,
      );
      t.approvals.rejected = undefined;

      t.approvals.approved = REV_NEW;
      await expect(
        t.service.request(t.env, ALICE, { revision: OTHER_REVISION }),
      ).rejects.toThrow(/not the approved revision/);

      t.revisions.current = undefined;
      await expect(t.service.request(t.env, ALICE, {})).rejects.toThrow(
        /revision to sync is not known/,
      );

      t.revisions.current = REV_NEW;
      expect(await t.service.availability(t.env, true)).toEqual({
        allowed: true,
      });
      expect(await t.service.availability(t.env, false)).toEqual({
        allowed: false,
        reason: 'You do not have permission to sync logging environments',
      });
      const run = await t.service.request(t.env, ALICE, {
        revision: REV_NEW.slice(0, 7),
      });
      expect(run).toMatchObject({
        state: 'pending',
        revision: REV_NEW,
        requestedBy: ALICE,
      });
      await expect(t.service.request(t.env, BOB, {})).rejects.toThrow(
        /already in progress/,
      );
      await conflict();
      expect(await t.service.availability(t.env, true)).toMatchObject({
        allowed: false,
        reason: expect.stringContaining('is in progress'),
      });
      // Nothing reached Argo CD.
      expect(t.argocd.calls).toEqual([]);
      expect((await t.store.listHistory(t.env.entityRef))[0]).toMatchObject({
        type: 'sync-requested',
        actor: ALICE,
      });
    });

    it('refuses approvals for a revision the Applications no longer track', async () => {
      const t = await setup('production');
      // The approvals are for REV_NEW; the current revision moved on, but
      // the approval service still reports the old gate (as a cache would).
      t.revisions.current = REV_NEW;
      const state = await t.approvals.state(t.env);
      t.approvals.state = async () => state;
      t.revisions.current = OTHER_REVISION;
      await expect(t.service.request(t.env, ALICE, {})).rejects.toThrow(
        'Cannot sync acme-prod: The approvals are for revision 2222222, but the Applications now track 9999999: that revision needs approval',
      );
    });

    it('starts production only on request, never from the scheduler', async () => {
      const t = await setup('production');
      await t.service.tick();
      await t.service.tick();
      expect(await t.service.latest(t.env)).toBeUndefined();
      expect(t.argocd.calls).toEqual([]);
    });
  });
});
