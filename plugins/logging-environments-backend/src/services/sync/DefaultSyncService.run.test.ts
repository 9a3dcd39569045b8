import {
  REV_NEW,
  REV_OLD,
  application,
} from '../waves/__testUtils__/applications';
import { OperationNotStartedError } from './argocd';
import { ALICE, setup } from './__testUtils__/syncSetup';

describe('DefaultSyncService', () => {
  describe('a run', () => {
    it('syncs the infrastructure at the approved revision, waits for its waves, then the forwarder', async () => {
      const t = await setup('production');
      const requested = await t.service.request(t.env, ALICE, {});
      const { run, states } = await t.runToEnd();

      expect(run).toMatchObject({
        id: requested.id,
        state: 'succeeded',
        revision: REV_NEW,
        requestedBy: ALICE,
        message:
          'Revision 2222222 synced: infrastructure and forwarder are healthy',
      });
      expect(states).toEqual([
        'waiting-infrastructure',
        'waiting-forwarder',
        'succeeded',
      ]);
      expect(t.argocd.calls).toEqual([
        { op: 'sync', app: t.infrastructure, revision: REV_NEW, by: ALICE },
        { op: 'sync', app: t.forwarder, revision: REV_NEW, by: ALICE },
      ]);
      // The forwarder only once the infrastructure succeeded, health check included.
      expect(t.argocd.forwarderSyncedWhile).toEqual([
        { phase: 'Succeeded', job: 'Succeeded' },
      ]);
      const history = await t.store.listHistory(t.env.entityRef);
      expect(history.map(e => [e.type, e.message]).reverse()).toEqual([
        ['sync-requested', 'Sync of revision 2222222 requested'],
        [
          'sync-progress',
          'Sync of revision 2222222 started: infrastructure first (ExternalSecret, LokiStack, health check), then the forwarder',
        ],
        [
          'sync-progress',
          `Started the sync of ${t.infrastructure} at 2222222 through the Argo CD API`,
        ],
        [
          'sync-progress',
          `${t.infrastructure} synced at 2222222: ExternalSecret, LokiStack and the health check are healthy`,
        ],
        [
          'sync-progress',
          `Started the sync of ${t.forwarder} at 2222222 through the Argo CD API`,
        ],
        [
          'sync-succeeded',
          'Revision 2222222 synced: infrastructure and forwarder are healthy',
        ],
      ]);
      expect(t.notifications).toEqual([]);
      expect(new Set(t.changes)).toEqual(new Set([t.env.entityRef]));
    });

    it('waits until every wave is healthy after Argo CD finished, before the forwarder', async () => {
      const t = await setup('production');
      t.argocd.outcomes.set(t.infrastructure, 'succeed-unhealthy');
      await t.service.request(t.env, ALICE, {});
      for (let i = 0; i < 5; i++) {
        await t.service.tick();
        t.argocd.reconcile();
      }
      expect(await t.service.latest(t.env)).toMatchObject({
        state: 'waiting-infrastructure',
        message: `Argo CD finished the sync of ${t.infrastructure}; waiting for LokiStack (wave 10: running) to be synced and healthy`,
      });
      expect(t.argocd.callsOf('sync', t.forwarder)).toEqual([]);

      const lokiStack = t.argocd
        .app(t.infrastructure)
        .status!.resources!.find(r => r.kind === 'LokiStack')!;
      lokiStack.health = { status: 'Healthy' };
      expect((await t.runToEnd()).run.state).toBe('succeeded');
      expect(t.argocd.callsOf('sync', t.forwarder)).toHaveLength(1);
    });

    it('fails with the cause when the infrastructure fails, never syncing the forwarder (production: no rollback)', async () => {
      const t = await setup('production');
      t.argocd.put(
        application('infrastructure', {
          phase: 'Succeeded',
          revision: REV_OLD,
          history: [{ id: 0, revision: REV_OLD }],
        }),
      );
      t.argocd.outcomes.set(t.infrastructure, 'fail');
      await t.service.request(t.env, ALICE, {});
      const { run } = await t.runToEnd();
      expect(run.state).toBe('failed');
      expect(run.message).toBe(
        `The sync of ${t.infrastructure} at 2222222 failed: one or more synchronization tasks completed unsuccessfully (LokiStack logging-loki Degraded: Invalid object storage secret contents: missing secret field: access_key_id)`,
      );
      expect(t.argocd.calls.map(c => `${c.op} ${c.app}`)).toEqual([
        `sync ${t.infrastructure}`,
      ]);
      expect(t.notifications).toEqual([
        expect.objectContaining({
          type: 'sync-failed',
          environmentRef: t.env.entityRef,
          message: run.message,
          run: expect.objectContaining({ id: run.id, state: 'failed' }),
        }),
      ]);
    });

    it('staging: rolls back to the last successful sync at another revision, and says so', async () => {
      const t = await setup('staging');
      // Synced before at REV_OLD (id 3) and at REV_NEW (id 4): REV_NEW now
      // fails, so the rollback goes to id 3.
      t.argocd.put(
        application('infrastructure', {
          env: 'acme-prod',
          phase: 'Succeeded',
          history: [
            { id: 3, revision: REV_OLD },
            { id: 4, revision: REV_NEW },
          ],
        }),
      );
      t.argocd.outcomes.set(t.infrastructure, 'fail');
      await t.service.request(t.env, ALICE, {});
      // The rollback itself succeeds.
      const tick = async () => {
        await t.service.tick();
        const call = t.argocd.callsOf('rollback')[0];
        if (call) t.argocd.outcomes.set(t.infrastructure, 'succeed');
        t.argocd.reconcile();
      };
      for (let i = 0; i < 10; i++) await tick();

      const run = (await t.service.latest(t.env))!;
      expect(run.state).toBe('failed');
      expect(run.message).toBe(
        `rolled back to 1111111 after: The sync of ${t.infrastructure} at 2222222 failed: one or more synchronization tasks completed unsuccessfully (LokiStack logging-loki Degraded: Invalid object storage secret contents: missing secret field: access_key_id)`,
      );
      expect(t.argocd.calls.map(c => [c.op, c.app, c.id])).toEqual([
        ['sync', t.infrastructure, undefined],
        ['rollback', t.infrastructure, 3],
      ]);
      const app = t.argocd.app(t.infrastructure);
      expect(app.status!.operationState).toMatchObject({
        phase: 'Succeeded',
        syncResult: { revision: REV_OLD },
      });
      expect(t.notifications.map(n => n.type)).toEqual([
        'sync-failed',
        'rollback',
      ]);
      const history = await t.store.listHistory(t.env.entityRef);
      expect(history.slice(0, 2).map(e => [e.type, e.actor])).toEqual([
        ['rollback', 'system'],
        ['sync-failed', 'system'],
      ]);
    });

    it('staging: fails saying so when Argo CD refuses the rollback of an Application that syncs automatically', async () => {
      const t = await setup('staging');
      t.argocd.put(
        application('infrastructure', {
          env: 'acme-prod',
          phase: 'Succeeded',
          automated: true,
          history: [
            { id: 3, revision: REV_OLD },
            { id: 4, revision: REV_NEW },
          ],
        }),
      );
      t.argocd.outcomes.set(t.infrastructure, 'fail');
      await t.service.request(t.env, ALICE, {});
      const { run } = await t.runToEnd();
      expect(run.state).toBe('failed');
      expect(run.message).toMatch(
        /; the rollback to 1111111 was refused: rollback cannot be initiated when auto-sync is enabled$/,
      );
      expect(t.argocd.callsOf('rollback', t.infrastructure)).toHaveLength(1);
      // Nothing was started: the failed operation is the last one.
      expect(t.argocd.app(t.infrastructure).operation).toBeUndefined();
      expect(
        t.argocd.app(t.infrastructure).status!.operationState,
      ).toMatchObject({ phase: 'Failed', syncResult: { revision: REV_NEW } });
    });

    it('staging: starts the rollback again when it fails on the stale failure', async () => {
      const t = await setup('staging');
      t.argocd.put(
        application('infrastructure', {
          env: 'acme-prod',
          phase: 'Succeeded',
          history: [
            { id: 3, revision: REV_OLD },
            { id: 4, revision: REV_NEW },
          ],
        }),
      );
      t.argocd.outcomes.set(t.infrastructure, 'fail');
      await t.service.request(t.env, ALICE, {});
      // The first rollback fails as well (the LokiStack still reports the
      // failure it is rolled back from); the second succeeds.
      const tick = async () => {
        await t.service.tick();
        if (t.argocd.callsOf('rollback').length >= 2) {
          t.argocd.outcomes.set(t.infrastructure, 'succeed');
        }
        t.argocd.reconcile();
      };
      for (let i = 0; i < 20; i++) await tick();
      const run = (await t.service.latest(t.env))!;
      expect(run.message).toMatch(/^rolled back to 1111111 after: The sync/);
      expect(t.argocd.callsOf('rollback')).toHaveLength(2);
    });

    it('staging without an earlier successful sync: fails, saying there is nothing to roll back to', async () => {
      const t = await setup('staging');
      t.argocd.outcomes.set(t.infrastructure, 'fail');
      await t.service.request(t.env, ALICE, {});
      const { run } = await t.runToEnd();
      expect(run.state).toBe('failed');
      expect(run.message).toMatch(
        new RegExp(
          `; ${t.infrastructure} has no earlier successful sync to roll back to$`,
        ),
      );
      expect(t.argocd.callsOf('rollback')).toEqual([]);
    });

    it('reports a sync window as blocked, never forcing it: refused by the API, or held by the controller and withdrawn', async () => {
      const t = await setup('production');
      t.argocd.syncErrors.push(
        new OperationNotStartedError(
          'blocked',
          'cannot sync: blocked by sync window',
        ),
      );
      await t.service.request(t.env, ALICE, {});
      const refused = await t.runToEnd();
      expect(refused.run).toMatchObject({
        state: 'blocked',
        message: `A sync window of Argo CD blocks syncing ${t.infrastructure} now: cannot sync: blocked by sync window`,
      });
      expect(t.argocd.app(t.infrastructure).operation).toBeUndefined();

      t.argocd.method = 'operation';
      t.argocd.outcomes.set(t.infrastructure, 'hold-by-window');
      await t.service.request(t.env, ALICE, {});
      const held = await t.runToEnd();
      expect(held.run).toMatchObject({
        state: 'blocked',
        message: `A sync window of Argo CD blocks syncing ${t.infrastructure} now: Sync operation blocked by sync window`,
      });
      expect(t.argocd.callsOf('terminate', t.infrastructure)).toHaveLength(1);
      // Asked to terminate: Terminating, until the controller fails it.
      expect(
        t.argocd.app(t.infrastructure).status!.operationState,
      ).toMatchObject({ phase: 'Terminating' });
      t.argocd.reconcile();
      expect(
        t.argocd.app(t.infrastructure).status!.operationState,
      ).toMatchObject({ phase: 'Failed', message: 'Operation terminated' });
      expect(t.argocd.app(t.infrastructure).operation).toBeUndefined();
      expect(t.argocd.callsOf('sync', t.forwarder)).toEqual([]);
      expect(t.notifications.map(n => n.type)).toEqual([
        'sync-blocked',
        'sync-blocked',
      ]);
    });

    it('fails when Argo CD runs another revision than the approved one', async () => {
      const t = await setup('production');
      t.argocd.outcomes.set(t.infrastructure, 'other-revision');
      await t.service.request(t.env, ALICE, {});
      const { run } = await t.runToEnd();
      expect(run).toMatchObject({
        state: 'failed',
        message: `Argo CD started an operation on ${t.infrastructure} at revision 9999999 instead of the approved 2222222`,
      });
      expect(t.argocd.callsOf('terminate')).toHaveLength(1);
      expect(t.argocd.callsOf('sync', t.forwarder)).toEqual([]);
    });

    it('waits for another operation on the Application to finish, and for an unreachable Argo CD, before syncing', async () => {
      const t = await setup('production');
      // Someone else's sync is running.
      t.argocd.put(
        application('infrastructure', { phase: 'Running', revision: REV_OLD }),
      );
      await t.service.request(t.env, ALICE, {});
      await t.service.tick();
      await t.service.tick();
      expect(await t.service.latest(t.env)).toMatchObject({
        state: 'syncing-infrastructure',
        message: `Waiting for another operation on ${t.infrastructure} (revision 1111111) to finish before syncing`,
      });
      expect(t.argocd.calls).toEqual([]);

      t.argocd.reconcile(); // it finishes
      t.argocd.syncErrors.push(
        new OperationNotStartedError('unavailable', 'HTTP 503'),
      );
      await t.service.tick();
      expect(await t.service.latest(t.env)).toMatchObject({
        state: 'syncing-infrastructure',
        message: `Could not start the sync of ${t.infrastructure} yet: HTTP 503`,
      });
      const { run } = await t.runToEnd();
      expect(run.state).toBe('succeeded');
      expect(t.argocd.callsOf('sync', t.infrastructure)).toHaveLength(2);
    });

    it('times out a wait: terminates the operation it waited for and fails', async () => {
      const t = await setup('production', { timeoutMs: 60_000 });
      t.argocd.outcomes.set(t.infrastructure, 'hold');
      await t.service.request(t.env, ALICE, {});
      for (let i = 0; i < 3; i++) {
        await t.service.tick();
        t.argocd.reconcile();
      }
      expect((await t.service.latest(t.env))?.state).toBe(
        'waiting-infrastructure',
      );
      t.clock.advance(60_000);
      const { run } = await t.runToEnd();
      expect(run).toMatchObject({
        state: 'failed',
        message: `Timed out after 1 min (waiting for the infrastructure waves): Argo CD is syncing ${t.infrastructure}: waiting for completion of hook batch/Job/logging-loki-health-check`,
      });
      expect(t.argocd.callsOf('terminate', t.infrastructure)).toHaveLength(1);
    });

    it('keeps a run whose reads fail until its timeout, then fails it', async () => {
      const t = await setup('production', { timeoutMs: 60_000 });
      await t.service.request(t.env, ALICE, {});
      t.argocd.getError = new Error('connect ECONNREFUSED 127.0.0.1:6443');
      await t.service.tick();
      expect((await t.service.latest(t.env))?.state).toBe('pending');
      expect(t.logger.warn).toHaveBeenCalledWith(
        expect.stringContaining('ECONNREFUSED'),
        expect.objectContaining({ environment: t.env.entityRef }),
      );
      await t.service.tick();
      expect((await t.service.latest(t.env))?.state).toBe('pending');
      t.clock.advance(60_000);
      await t.service.tick();
      expect(await t.service.latest(t.env)).toMatchObject({
        state: 'failed',
        message:
          'Timed out after 1 min (about to start): connect ECONNREFUSED 127.0.0.1:6443',
      });
    });

    it('fails at once when an Application is not registered', async () => {
      const t = await setup('production');
      t.argocd.apps.delete(t.forwarder);
      await t.service.request(t.env, ALICE, {});
      const { run } = await t.runToEnd();
      expect(run).toMatchObject({
        state: 'failed',
        message: `Application openshift-gitops/${t.forwarder} is not registered on cluster "sandbox"`,
      });
      expect(t.argocd.calls).toEqual([]);
    });
  });
});
