import { SyncRun, Tier } from '@internal/plugin-logging-environments-common';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import {
  REV_NEW,
  SECOND,
  application,
} from '../waves/__testUtils__/applications';
import { OperationNotStartedError } from './argocd';
import { OTHER_REVISION } from './__testUtils__/fakeArgoCd';
import { ALICE, setup } from './__testUtils__/syncSetup';

describe('DefaultSyncService', () => {
  describe('restarts and replicas', () => {
    it('resumes after a restart between asking Argo CD and recording it, starting no second operation', async () => {
      // Synced before at the same revision, in the same second: only the
      // history id tells the new operation from the last one.
      const t = await setup('production');
      t.argocd.put(
        application('infrastructure', {
          phase: 'Succeeded',
          revision: REV_NEW,
          history: [{ id: 0, revision: REV_NEW }],
        }),
      );
      await t.service.request(t.env, ALICE, {});

      // The first backend dies right after Argo CD accepted the sync.
      const crashing: LoggingEnvironmentsStore = Object.create(t.store);
      crashing.transitionSyncRun = async (id, from, to, patch) => {
        if (to === 'waiting-infrastructure') throw new Error('SIGKILL');
        return t.store.transitionSyncRun(id, from, to, patch);
      };
      const first = t.create({ store: crashing });
      await first.tick();
      expect(t.argocd.callsOf('sync', t.infrastructure)).toHaveLength(1);
      expect((await t.service.latest(t.env))?.state).toBe(
        'syncing-infrastructure',
      );
      // Argo CD carries on meanwhile, and finishes.
      t.argocd.reconcile();
      t.argocd.reconcile();
      expect(
        t.argocd.app(t.infrastructure).status!.operationState,
      ).toMatchObject({ phase: 'Succeeded', startedAt: SECOND });

      const second = t.create();
      const { run } = await t.runToEnd(second);
      expect(run.state).toBe('succeeded');
      expect(t.argocd.callsOf('sync', t.infrastructure)).toHaveLength(1);
      expect(t.argocd.callsOf('sync', t.forwarder)).toHaveLength(1);
      expect(
        (await t.store.listHistory(t.env.entityRef)).map(e => e.message),
      ).toContain(
        `The sync of ${t.infrastructure} at 2222222 is already under way; following it`,
      );
    });

    it('resumes a run a stopped backend left waiting, over the same database', async () => {
      const t = await setup('production');
      t.argocd.outcomes.set(t.infrastructure, 'hold');
      await t.service.request(t.env, ALICE, {});
      for (let i = 0; i < 3; i++) {
        await t.service.tick();
        t.argocd.reconcile();
      }
      expect((await t.service.latest(t.env))?.state).toBe(
        'waiting-infrastructure',
      );
      t.argocd.outcomes.delete(t.infrastructure);
      const { run } = await t.runToEnd(t.create());
      expect(run.state).toBe('succeeded');
      expect(t.argocd.calls.map(c => `${c.op} ${c.app}`)).toEqual([
        `sync ${t.infrastructure}`,
        `sync ${t.forwarder}`,
      ]);
    });

    it('two replicas ticking at once start each operation once', async () => {
      const t = await setup('production');
      const other = t.create();
      await t.service.request(t.env, ALICE, {});
      for (let i = 0; i < 10; i++) {
        await Promise.all([t.service.tick(), other.tick()]);
        t.argocd.reconcile();
      }
      expect((await t.service.latest(t.env))?.state).toBe('succeeded');
      // A second ask of Argo CD is refused by Argo CD, not started twice.
      const started = (app: string) =>
        (t.argocd.app(app).status?.history ?? []).length;
      expect(started(t.infrastructure)).toBe(1);
      expect(started(t.forwarder)).toBe(1);
    });
  });

  describe('automatic syncs', () => {
    it('development: starts on its own once the revision is known, once per revision', async () => {
      const t = await setup('development', { approve: false });
      t.revisions.current = undefined;
      await t.service.tick();
      expect(await t.service.latest(t.env)).toBeUndefined();

      t.revisions.current = REV_NEW;
      const { run } = await t.runToEnd();
      expect(run).toMatchObject({
        state: 'succeeded',
        revision: REV_NEW,
        requestedBy: 'system',
      });
      expect(t.argocd.callsOf('sync').map(c => c.by)).toEqual([
        'system',
        'system',
      ]);
      await t.service.tick();
      expect((await t.service.latest(t.env))?.id).toBe(run.id);

      // A new commit: a new run.
      t.revisions.current = OTHER_REVISION;
      const next = await t.runToEnd();
      expect(next.run).toMatchObject({
        state: 'succeeded',
        revision: OTHER_REVISION,
      });
      expect(next.run.id).not.toBe(run.id);
    });

    it('staging: only once approved; a failed revision is not retried on its own', async () => {
      const t = await setup('staging', { approve: false });
      await t.service.tick();
      expect(await t.service.latest(t.env)).toBeUndefined();

      t.approvals.approved = REV_NEW;
      t.argocd.outcomes.set(t.infrastructure, 'fail');
      const { run } = await t.runToEnd();
      expect(run).toMatchObject({ state: 'failed', requestedBy: 'system' });
      await t.service.tick();
      await t.service.tick();
      expect((await t.service.latest(t.env))?.id).toBe(run.id);
      expect(t.argocd.callsOf('sync')).toHaveLength(1);
    });

    /** A run a sync window blocked, and what the scheduler does once blockedRetryMs passed. */
    async function blockedThenRetried(tier: Tier) {
      const t = await setup(tier, { blockedRetryMs: 60_000 });
      t.argocd.syncErrors.push(
        new OperationNotStartedError('blocked', 'blocked by sync window'),
      );
      if (tier === 'production') await t.service.request(t.env, ALICE, {});
      const blocked = await t.runToEnd();
      expect(blocked.run.state).toBe('blocked');
      await t.service.tick();
      expect((await t.service.latest(t.env))?.id).toBe(blocked.run.id);
      t.clock.advance(60_000);
      await t.service.tick();
      const latest: SyncRun | undefined = await t.service.latest(t.env);
      return { t, blocked: blocked.run, latest };
    }

    it('retries a blocked automatic sync after blockedRetryMs', async () => {
      const { t, blocked, latest } = await blockedThenRetried('staging');
      expect(latest?.id).not.toBe(blocked.id);
      expect((await t.runToEnd()).run.state).toBe('succeeded');
    });

    it('never retries a blocked production sync on its own', async () => {
      const { blocked, latest } = await blockedThenRetried('production');
      expect(latest?.id).toBe(blocked.id);
    });
  });
});
