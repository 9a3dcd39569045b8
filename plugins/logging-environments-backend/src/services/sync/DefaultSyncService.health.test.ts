/**
 * What a run counts as a passed wave: only health read where Argo CD keeps
 * it (or evaluated from the live object), never a missing or Unknown one,
 * never a status the operator wrote before the sync changed the spec; and
 * what it reports when the Application itself is in trouble.
 */
import {
  REV_NEW,
  REV_OLD,
  application,
} from '../waves/__testUtils__/applications';
import { ALICE, setup } from './__testUtils__/syncSetup';

const LOKI_KEY = 'LokiStack/openshift-logging/logging-loki';

const lokiStack = (generation: number, condition: object) => ({
  apiVersion: 'loki.grafana.com/v1',
  kind: 'LokiStack',
  metadata: {
    name: 'logging-loki',
    namespace: 'openshift-logging',
    generation,
  },
  status: { conditions: [condition] },
});
const READY = {
  type: 'Ready',
  status: 'True',
  reason: 'ReadyComponents',
  message: 'All components ready',
};
const DEGRADED = {
  type: 'Degraded',
  status: 'True',
  reason: 'MissingObjectStorageSecret',
  message: 'Missing object storage secret',
};
const PENDING = {
  type: 'Pending',
  status: 'True',
  reason: 'PendingComponents',
  message: 'One or more LokiStack components pending on dependencies',
};

/** The wait timeout of the tests that time out: far beyond their real run time. */
const TIMEOUT_MS = 60_000;

/**
 * Ticks with a controller step in between: the run must still be waiting
 * after 20 of them; then the clock passes the timeout, and the next tick
 * ends the run.
 */
async function untilTimedOut(t: Awaited<ReturnType<typeof setup>>) {
  const final = ['succeeded', 'failed', 'blocked'];
  for (let i = 0; i < 20; i++) {
    await t.service.tick();
    const run = await t.service.latest(t.env);
    if (!run || final.includes(run.state)) {
      throw new Error(`ended before its timeout: ${run?.message}`);
    }
    t.argocd.reconcile();
  }
  t.clock.advance(TIMEOUT_MS);
  await t.service.tick();
  return (await t.service.latest(t.env))!;
}

describe('DefaultSyncService and resource health', () => {
  it('with Argo CD 3.x and nothing to read health from, never passes a wave: it waits, then times out saying why', async () => {
    const t = await setup('production', { timeoutMs: TIMEOUT_MS });
    t.argocd.appTree = true;
    t.argocd.put(application('infrastructure'));
    t.argocd.put(application('forwarder'));
    await t.service.request(t.env, ALICE, {});
    const run = await untilTimedOut(t);
    expect(run.state).toBe('failed');
    expect(run.message).toMatch(
      /^Timed out after 1 min \(waiting for the infrastructure waves\): Argo CD finished the sync of acme-prod-logging-infrastructure; waiting for ExternalSecret \(wave 0: unknown\), LokiStack \(wave 10: unknown\), Health check \(wave 20: unknown\) to be synced and healthy \(ExternalSecret logging-loki-s3 health Unknown: Argo CD 3.x keeps resource health in the Application's resource tree/,
    );
    expect(t.argocd.callsOf('sync', t.forwarder)).toEqual([]);
  });

  it('with Argo CD 3.x reads health from the resource tree, and fails a forwarder whose output is invalid (staging: rolled back)', async () => {
    const t = await setup('staging');
    t.argocd.appTree = true;
    t.argocd.put(application('infrastructure'));
    t.argocd.put(
      application('forwarder', {
        phase: 'Succeeded',
        revision: REV_OLD,
        history: [{ id: 3, revision: REV_OLD }],
      }),
    );
    const node = (
      group: string,
      kind: string,
      name: string,
      health?: object,
    ) => ({
      group,
      kind,
      namespace: 'openshift-logging',
      name,
      uid: `${kind}-uid`,
      ...(health ? { health } : {}),
    });
    t.argocd.trees.set(t.infrastructure, {
      nodes: [
        node('external-secrets.io', 'ExternalSecret', 'logging-loki-s3', {
          status: 'Healthy',
        }),
        node('loki.grafana.com', 'LokiStack', 'logging-loki', {
          status: 'Healthy',
        }),
        node('', 'ServiceAccount', 'logging-health-check'),
      ],
    });
    const invalidOutput =
      'output default-lokistack: ValidationFailure: output "default-lokistack": unknown output type';
    t.argocd.trees.set(t.forwarder, {
      nodes: [
        node('observability.openshift.io', 'ClusterLogForwarder', 'collector', {
          status: 'Degraded',
          message: invalidOutput,
        }),
        node('', 'ServiceAccount', 'logging-collector'),
        {
          ...node(
            'rbac.authorization.k8s.io',
            'ClusterRoleBinding',
            'logging-collector-write-logs',
          ),
          namespace: '',
        },
      ],
    });
    await t.service.request(t.env, ALICE, {});
    const { run } = await t.runToEnd();
    expect(run.state).toBe('failed');
    expect(run.message).toBe(
      `rolled back to 1111111 after: The sync of ${t.forwarder} at 2222222 succeeded in Argo CD, but ClusterLogForwarder (wave 30) is degraded: ClusterLogForwarder collector Degraded: ${invalidOutput}`,
    );
    expect(t.argocd.callsOf('rollback', t.forwarder)).toEqual([
      expect.objectContaining({ id: 3, revision: REV_OLD }),
    ]);
  });

  describe('a LokiStack the sync changed', () => {
    /** Starts the sync and lets the fake Argo CD apply a new LokiStack spec, its status as it was. */
    async function changedByTheSync(reactionTimeoutMs: number) {
      const t = await setup('production', { reactionTimeoutMs });
      t.argocd.appTree = true;
      t.argocd.put(application('infrastructure'));
      t.argocd.objects.set(LOKI_KEY, lokiStack(1, READY));
      await t.service.request(t.env, ALICE, {});
      await t.service.tick(); // records generation 1, asks for the sync
      t.argocd.objects.set(LOKI_KEY, lokiStack(2, READY));
      t.argocd.reconcile();
      t.argocd.reconcile();
      // Everything else healthy (from the Applications' health).
      t.argocd.app(t.infrastructure).status!.health = { status: 'Healthy' };
      t.argocd.app(t.forwarder).status!.health = { status: 'Healthy' };
      await t.service.tick();
      return t;
    }

    it('does not trust its Ready from before the change, and fails on what the Loki Operator reports then', async () => {
      const t = await changedByTheSync(60_000);
      expect(await t.service.latest(t.env)).toMatchObject({
        state: 'waiting-infrastructure',
        message: `Argo CD finished the sync of ${t.infrastructure}; Waiting for the Loki Operator to report on the change this sync made to LokiStack logging-loki (generation 1 to 2): the status it shows was written before`,
      });
      await t.service.tick();
      expect(t.argocd.callsOf('sync', t.forwarder)).toEqual([]);

      t.argocd.objects.set(LOKI_KEY, lokiStack(2, DEGRADED));
      const { run } = await t.runToEnd();
      expect(run.message).toBe(
        `The sync of ${t.infrastructure} at 2222222 succeeded in Argo CD, but LokiStack (wave 10) is degraded: LokiStack logging-loki Degraded: MissingObjectStorageSecret: Missing object storage secret`,
      );
      expect(t.argocd.callsOf('sync', t.forwarder)).toEqual([]);
    });

    it('trusts an unchanged status once the operator had reactionTimeoutMs to report', async () => {
      const t = await changedByTheSync(60_000);
      expect((await t.service.latest(t.env))?.message).toMatch(
        /Waiting for the Loki Operator/,
      );
      await t.service.tick();
      expect((await t.service.latest(t.env))?.message).toMatch(
        /Waiting for the Loki Operator/,
      );
      t.clock.advance(60_000);
      const { run } = await t.runToEnd();
      expect(run.state).toBe('succeeded');
    });
  });

  it('waits while Argo CD reports an error for the Application, however its last sync went, and times out naming it', async () => {
    const t = await setup('production', { timeoutMs: TIMEOUT_MS });
    await t.service.request(t.env, ALICE, {});
    await t.service.tick();
    t.argocd.reconcile();
    t.argocd.reconcile();
    const app = t.argocd.app(t.infrastructure);
    app.status!.conditions = [
      {
        type: 'ComparisonError',
        message:
          'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = kustomize build failed',
      },
    ];
    app.status!.sync = { status: 'Unknown', revision: REV_NEW };
    const run = await untilTimedOut(t);
    expect(run.message).toBe(
      `Timed out after 1 min (waiting for the infrastructure waves): Argo CD finished the sync of ${t.infrastructure} but reports ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = kustomize build failed; waiting for it to compare the Application again`,
    );
    expect(t.argocd.callsOf('sync', t.forwarder)).toEqual([]);
  });

  it("names Argo CD's warnings in what it waits for: an excluded resource never gets healthy", async () => {
    const t = await setup('production', { timeoutMs: TIMEOUT_MS });
    t.argocd.outcomes.set(t.infrastructure, 'succeed-unhealthy');
    await t.service.request(t.env, ALICE, {});
    await t.service.tick();
    t.argocd.reconcile();
    t.argocd.reconcile();
    t.argocd.app(t.infrastructure).status!.conditions = [
      {
        type: 'ExcludedResourceWarning',
        message:
          'Resource loki.grafana.com/LokiStack logging-loki is excluded in the settings',
      },
    ];
    const run = await untilTimedOut(t);
    expect(run.message).toBe(
      `Timed out after 1 min (waiting for the infrastructure waves): Argo CD finished the sync of ${t.infrastructure}; waiting for LokiStack (wave 10: running) to be synced and healthy; Argo CD warns: ExcludedResourceWarning: Resource loki.grafana.com/LokiStack logging-loki is excluded in the settings`,
    );
  });

  it('fails at once when the Application is being deleted', async () => {
    const t = await setup('production');
    await t.service.request(t.env, ALICE, {});
    await t.service.tick();
    t.argocd.app(t.infrastructure).metadata.deletionTimestamp =
      '2026-01-01T00:00:05Z';
    const { run } = await t.runToEnd();
    expect(run.message).toBe(
      `Application openshift-gitops/${t.infrastructure} is being deleted (since 2026-01-01T00:00:05Z): the sync of ${t.infrastructure} at 2222222 cannot finish`,
    );
  });

  it('starts a failed rollback again only once the Loki Operator no longer reports the failure rolled back from', async () => {
    const t = await setup('staging', { reactionTimeoutMs: 60_000 });
    t.argocd.put(
      application('infrastructure', {
        phase: 'Succeeded',
        history: [
          { id: 3, revision: REV_OLD },
          { id: 4, revision: REV_NEW },
        ],
      }),
    );
    t.argocd.outcomes.set(t.infrastructure, 'fail');
    t.argocd.objects.set(LOKI_KEY, lokiStack(2, DEGRADED));
    await t.service.request(t.env, ALICE, {});
    for (let i = 0; i < 10; i++) {
      await t.service.tick();
      t.argocd.reconcile();
    }
    // The rollback failed on the stale failure: not started again yet.
    expect(t.argocd.callsOf('rollback')).toHaveLength(1);
    expect(await t.service.latest(t.env)).toMatchObject({
      state: 'rolling-back',
      message: expect.stringMatching(
        /^The rollback of acme-prod-logging-infrastructure to 1111111 failed \(one or more synchronization tasks completed unsuccessfully\); trying again once the operators report on the restored spec, still: LokiStack logging-loki: MissingObjectStorageSecret: Missing object storage secret$/,
      ),
    });

    t.argocd.objects.set(LOKI_KEY, lokiStack(3, PENDING));
    t.argocd.outcomes.set(t.infrastructure, 'succeed');
    const { run } = await t.runToEnd();
    expect(run.message).toMatch(/^rolled back to 1111111 after: The sync/);
    expect(t.argocd.callsOf('rollback')).toHaveLength(2);
  });
});
