import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import {
  Approval,
  ApprovalState,
  SyncRun,
  SyncRunState,
  Tier,
} from '@internal/plugin-logging-environments-common';
import { DatabaseLoggingEnvironmentsStore } from '../../database/DatabaseLoggingEnvironmentsStore';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import { testEnvironment } from '../__testUtils__/environment';
import { ApprovalService, Environment } from '../types';
import {
  REV_NEW,
  REV_OLD,
  SECOND,
  application,
} from '../waves/__testUtils__/applications';
import { OperationNotStartedError } from './argocd';
import {
  DefaultSyncService,
  DefaultSyncServiceOptions,
  SyncNotification,
  operationFingerprint,
  sameRevision,
} from './DefaultSyncService';
import { FakeArgoCd, OTHER_REVISION } from './__testUtils__/fakeArgoCd';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const FINAL = ['succeeded', 'failed', 'blocked'];

/**
 * The approval gate as a test sets it: `approved` is the revision whose
 * required approvals are all given (tiers without any pass for any known
 * revision); the current revision comes from `revisions`.
 */
class FakeApprovals implements ApprovalService {
  approved?: string;
  rejected?: Approval;

  constructor(private readonly revisions: { current?: string }) {}

  async state(environment: Environment): Promise<ApprovalState> {
    const revision = this.revisions.current;
    const given = revision !== undefined && this.approved === revision;
    const required = environment.policy.requiredApprovals.map(r => ({
      role: r.role,
      title: r.title,
      groups: [r.group],
      ...(given
        ? {
            approval: {
              id: r.role,
              decision: 'approve' as const,
              role: r.role,
              actor: 'user:default/approver',
              comment: '',
              revision: revision!,
              createdAt: SECOND,
            },
          }
        : {}),
    }));
    return {
      revision,
      required,
      decisions: [],
      complete:
        !this.rejected &&
        revision !== undefined &&
        required.every(r => r.approval),
      ...(this.rejected ? { rejected: this.rejected } : {}),
    };
  }

  async availability(): Promise<never> {
    throw new Error('not used');
  }

  async decide(): Promise<never> {
    throw new Error('not used');
  }

  async pendingReview(): Promise<never> {
    throw new Error('not used');
  }

  async voidStale(): Promise<never> {
    throw new Error('not used');
  }
}

async function newStore(): Promise<LoggingEnvironmentsStore> {
  return DatabaseLoggingEnvironmentsStore.create({
    database: mockServices.database({ knex: await databases.init('SQLITE_3') }),
  });
}

/** Everything a test needs around one environment. */
async function setup(
  tier: Tier = 'production',
  options: Partial<DefaultSyncServiceOptions> & { approve?: boolean } = {},
) {
  const env = testEnvironment({ name: 'acme-prod', tier });
  const argocd = new FakeArgoCd('acme-prod');
  const revisions = {
    current: REV_NEW as string | undefined,
    /** Stands for both Applications' source, project and sync policy. */
    binding: 'as-registered',
    problems: [] as string[],
  };
  const approvals = new FakeApprovals(revisions);
  if (options.approve !== false) approvals.approved = REV_NEW;
  const store = options.store ?? (await newStore());
  const notifications: SyncNotification[] = [];
  const changes: string[] = [];
  const logger = mockServices.logger.mock();
  const create = (overrides: Partial<DefaultSyncServiceOptions> = {}) =>
    new DefaultSyncService({
      store,
      approvals,
      revisions: {
        current: async () => ({
          revision: revisions.current,
          binding: revisions.binding,
          problems: revisions.problems,
        }),
      },
      listEnvironments: async () => [env],
      logger,
      argocd,
      notify: n => {
        notifications.push(n);
      },
      onChange: ref => changes.push(ref),
      ...options,
      ...overrides,
    });
  const service = create();
  const { infrastructure, forwarder } = env.applications;

  /** Ticks as the scheduler would, with a controller step in between, until the latest run is final. */
  const runToEnd = async (s = service, maxTicks = 30) => {
    const states: SyncRunState[] = [];
    for (let i = 0; i < maxTicks; i++) {
      await s.tick();
      const run = await s.latest(env);
      if (run && states[states.length - 1] !== run.state)
        states.push(run.state);
      if (run && FINAL.includes(run.state)) return { run, states };
      argocd.reconcile();
    }
    throw new Error(`no final state after ${maxTicks} ticks: ${states}`);
  };

  return {
    env,
    argocd,
    revisions,
    approvals,
    store,
    notifications,
    changes,
    logger,
    service,
    create,
    runToEnd,
    infrastructure,
    forwarder,
  };
}

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
      expect(
        t.argocd.app(t.infrastructure).status!.operationState,
      ).toMatchObject({ phase: 'Failed', message: 'Operation terminated' });
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
      const t = await setup('production', { timeoutMs: 300 });
      t.argocd.outcomes.set(t.infrastructure, 'hold');
      await t.service.request(t.env, ALICE, {});
      for (let i = 0; i < 3; i++) {
        await t.service.tick();
        t.argocd.reconcile();
      }
      expect((await t.service.latest(t.env))?.state).toBe(
        'waiting-infrastructure',
      );
      await new Promise(r => setTimeout(r, 350));
      const { run } = await t.runToEnd();
      expect(run).toMatchObject({
        state: 'failed',
        message: `Timed out after 300 ms (waiting for the infrastructure waves): Argo CD is syncing ${t.infrastructure}: waiting for completion of hook batch/Job/logging-loki-health-check`,
      });
      expect(t.argocd.callsOf('terminate', t.infrastructure)).toHaveLength(1);
    });

    it('keeps a run whose reads fail until its timeout, then fails it', async () => {
      const t = await setup('production', { timeoutMs: 200 });
      await t.service.request(t.env, ALICE, {});
      t.argocd.getError = new Error('connect ECONNREFUSED 127.0.0.1:6443');
      await t.service.tick();
      expect((await t.service.latest(t.env))?.state).toBe('pending');
      expect(t.logger.warn).toHaveBeenCalledWith(
        expect.stringContaining('ECONNREFUSED'),
      );
      await new Promise(r => setTimeout(r, 250));
      await t.service.tick();
      expect(await t.service.latest(t.env)).toMatchObject({
        state: 'failed',
        message:
          'Timed out after 200 ms (about to start): connect ECONNREFUSED 127.0.0.1:6443',
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
      const t = await setup(tier, { blockedRetryMs: 50 });
      t.argocd.syncErrors.push(
        new OperationNotStartedError('blocked', 'blocked by sync window'),
      );
      if (tier === 'production') await t.service.request(t.env, ALICE, {});
      const blocked = await t.runToEnd();
      expect(blocked.run.state).toBe('blocked');
      await t.service.tick();
      expect((await t.service.latest(t.env))?.id).toBe(blocked.run.id);
      await new Promise(r => setTimeout(r, 60));
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

describe('sameRevision', () => {
  it('matches a commit and its abbreviation, nothing else', () => {
    expect(sameRevision(REV_NEW, REV_NEW.slice(0, 7))).toBe(true);
    expect(sameRevision(REV_NEW.slice(0, 7).toUpperCase(), REV_NEW)).toBe(true);
    expect(sameRevision(REV_NEW, REV_OLD)).toBe(false);
    expect(sameRevision('main', 'main')).toBe(true);
    expect(sameRevision('main', 'mainline')).toBe(false);
    expect(sameRevision('', '')).toBe(false);
    expect(sameRevision(undefined, REV_NEW)).toBe(false);
  });
});

describe('operationFingerprint', () => {
  it('tells apart two operations that started and finished in the same second', () => {
    const first = application('infrastructure', {
      phase: 'Succeeded',
      history: [{ id: 0, revision: REV_NEW }],
    });
    const second = application('infrastructure', {
      phase: 'Succeeded',
      history: [
        { id: 0, revision: REV_NEW },
        { id: 1, revision: REV_NEW },
      ],
    });
    const failed = application('infrastructure', { phase: 'Failed' });
    const fingerprints = [first, second, failed].map(operationFingerprint);
    expect(new Set(fingerprints).size).toBe(3);
    expect(operationFingerprint(application('infrastructure'))).toBe('');
  });
});
