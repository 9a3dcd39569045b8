/**
 * The phase-3 sync orchestration (DefaultSyncService) and the wave status
 * cache (WatchWaveStatusService) against the sandbox's Argo CD: real
 * operations, waves, hooks, health checks (the seeded Lua scripts), history,
 * rollback and sync windows, over the Kubernetes and Argo CD APIs.
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { SyncRun } from '@internal/plugin-logging-environments-common';
// The services are driven directly against the sandbox, which only this
// package may import (no plugin imports the sandbox).
import {
  DefaultSyncService,
  WatchWaveStatusService,
} from '@internal/plugin-logging-environments-backend/testUtils';
import type {
  Environment,
  LoggingEnvironmentsStore,
  SyncNotification,
} from '@internal/plugin-logging-environments-backend/testUtils';
import { ConfigClusterRegistry } from '@internal/plugin-logging-environments-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  SyncHarness,
  TestApprovals,
  recordOperations,
  startSyncHarness,
  tickUntil,
} from './__testUtils__/syncHarness';
import { recordReliability } from '../reliability/__testUtils__/summary';

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const isFinal = (r?: SyncRun) =>
  r !== undefined && ['succeeded', 'failed', 'blocked'].includes(r.state);

async function eventually<T>(
  what: string,
  fn: () => T | undefined | false,
  deadlineMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

describe('sync orchestration against the sandbox', () => {
  jest.setTimeout(60_000);
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let h: SyncHarness;

  beforeAll(async () => {
    h = await startSyncHarness({ databases });
  }, 60_000);
  afterAll(() => h?.stop());

  /** A sync service as the plugin wires it, with what it notifies collected. */
  function newService(options: {
    store: LoggingEnvironmentsStore;
    approvals: TestApprovals;
    environments: Environment[];
    clusters?: ConfigClusterRegistry;
  }) {
    const notifications: SyncNotification[] = [];
    const changes: string[] = [];
    const service = new DefaultSyncService({
      store: options.store,
      approvals: options.approvals,
      revisions: h.revisions,
      listEnvironments: async () => options.environments,
      clusters: options.clusters ?? h.clusters,
      logger: mockServices.logger.mock(),
      notify: n => {
        notifications.push(n);
      },
      onChange: ref => changes.push(ref),
      timeoutMs: 45_000,
    });
    return { service, notifications, changes };
  }

  const historyOf = (app: any, revision: string) =>
    (app.status?.history ?? []).filter((e: any) => e.revision === revision);

  /** The steps of the wave plan in a timeline (RBAC objects left out). */
  const planSteps = (timeline: string[]) =>
    timeline.filter(line =>
      /( started| Succeeded| Failed| Error|(ExternalSecret|LokiStack|Job|ClusterLogForwarder)\/.*)$/.test(
        line,
      ),
    );

  /** What a run applies, in order: every wave of the infrastructure, then the forwarder. */
  const inOrder = (environment: Environment) => {
    const { infrastructure, forwarder } = environment.applications;
    return [
      `${infrastructure} started`,
      `${infrastructure} ExternalSecret/logging-loki-s3`,
      `${infrastructure} LokiStack/logging-loki`,
      `${infrastructure} Job/logging-loki-health-check Running`,
      `${infrastructure} Job/logging-loki-health-check Succeeded`,
      `${infrastructure} Succeeded`,
      `${forwarder} started`,
      `${forwarder} ClusterLogForwarder/collector`,
      `${forwarder} Succeeded`,
    ];
  };

  describe('a development environment', () => {
    it('syncs on its own, through every wave in order, the forwarder after the health check', async () => {
      // The operations the service starts: through the Argo CD API, as its
      // user. The template registers a development infrastructure with an
      // automated policy, so Argo CD also syncs it on its own at
      // registration (left out here: that is Argo CD's, not the run's); the
      // forwarder is never automated, so only the run syncs it.
      const operations = recordOperations(
        h.sandbox,
        by => by.username === 'admin',
      );
      try {
        const env = await h.prepareEnvironment('acme-dev', 'development');
        const store = await h.newStore();
        const { service, notifications } = newService({
          store,
          approvals: new TestApprovals(h.revisions),
          environments: [env],
        });
        const revision = await h.head();

        // No request and no approval: the scheduler's tick starts it.
        const done = await tickUntil(service, env);
        expect(done).toMatchObject({
          state: 'succeeded',
          revision,
          requestedBy: 'system',
        });
        expect(planSteps(operations.timeline)).toEqual(inOrder(env));
        expect(notifications).toEqual([]);

        // Once per revision: later ticks start nothing.
        await service.tick();
        expect((await service.latest(env))?.id).toBe(done.id);
      } finally {
        operations.stop();
      }
    });
  });

  describe('a production environment', () => {
    let env: Environment;
    let store: LoggingEnvironmentsStore;
    let approvals: TestApprovals;

    beforeAll(async () => {
      await h.reset();
      approvals = new TestApprovals(h.revisions);
      env = await h.prepareEnvironment('acme-prod', 'production');
      store = await h.newStore();
    });

    it('syncs only on request, through the waves in order, the forwarder only after the health check completed', async () => {
      const revision = await h.head();
      const { service, notifications, changes } = newService({
        store,
        approvals,
        environments: [env],
      });
      // Without approvals: 409.
      await expect(service.request(env, ALICE, {})).rejects.toThrow(
        ConflictError,
      );
      approvals.approve(env, revision);
      // Approved, but production never starts on its own.
      await service.tick();
      expect(await service.latest(env)).toBeUndefined();

      // What happens on the cluster, in order (the store notifies watchers
      // synchronously, so nothing in between is missed).
      const operations = recordOperations(h.sandbox, () => true);
      const events: string[] = [];
      const once = (event: string) => {
        if (!events.includes(event)) events.push(event);
      };
      const unwatch = [
        h.sandbox.store.watch('batch/v1', 'Job', e => {
          const conditions = (e.object.status as any)?.conditions ?? [];
          if (
            conditions.some(
              (c: any) => c.type === 'Complete' && c.status === 'True',
            )
          ) {
            once('health check completed');
          }
        }),
        h.sandbox.store.watch('argoproj.io/v1alpha1', 'Application', e => {
          if (
            e.object.metadata.name === env.applications.forwarder &&
            (e.object as any).operation
          ) {
            once('forwarder sync started');
          }
        }),
        h.sandbox.store.watch(
          'observability.openshift.io/v1',
          'ClusterLogForwarder',
          e => {
            if (e.type === 'ADDED') once('ClusterLogForwarder created');
          },
        ),
      ];

      try {
        const run = await service.request(env, ALICE, { revision });
        expect(run).toMatchObject({
          state: 'pending',
          revision,
          requestedBy: ALICE,
        });
        // A second request while the first runs: 409.
        await expect(service.request(env, BOB, {})).rejects.toThrow(
          ConflictError,
        );

        const done = await tickUntil(service, env);
        expect(done).toMatchObject({ id: run.id, state: 'succeeded' });
      } finally {
        unwatch.forEach(u => u());
        operations.stop();
      }

      expect(planSteps(operations.timeline)).toEqual(inOrder(env));
      expect(events).toEqual([
        'health check completed',
        'forwarder sync started',
        'ClusterLogForwarder created',
      ]);
      for (const name of [
        env.applications.infrastructure,
        env.applications.forwarder,
      ]) {
        const app = h.app(name);
        expect(app.status.operationState).toMatchObject({
          phase: 'Succeeded',
          syncResult: { revision },
          // Through the Argo CD API (its user), not `.operation`.
          operation: { initiatedBy: { username: 'admin' } },
        });
        expect(historyOf(app, revision)).toHaveLength(1);
      }
      const history = await store.listHistory(env.entityRef);
      expect(history.map(e => e.type).reverse()).toEqual([
        'sync-requested',
        'sync-progress', // started: infrastructure first
        'sync-progress', // infrastructure sync started through the API
        'sync-progress', // infrastructure healthy
        'sync-progress', // forwarder sync started
        'sync-succeeded',
      ]);
      expect(notifications).toEqual([]);
      expect(changes).toContain(env.entityRef);
    });

    it('refuses to start when the gate is incomplete or another revision is asked for', async () => {
      const { service } = newService({
        store,
        approvals: new TestApprovals(h.revisions),
        environments: [env],
      });
      await expect(service.request(env, ALICE, {})).rejects.toThrow(
        /still needs: Security review, Approval/,
      );
      expect(await service.availability(env, true)).toEqual({
        allowed: false,
        reason: expect.stringContaining('still needs: Security review'),
      });
      expect(await service.availability(env, false)).toMatchObject({
        allowed: false,
        reason: expect.stringMatching(/permission/),
      });
      const ok = newService({ store, approvals, environments: [env] });
      await expect(
        ok.service.request(env, ALICE, { revision: 'f'.repeat(40) }),
      ).rejects.toThrow(/is not the approved revision/);
      // Production never starts on its own, even with the gate passed.
      const before = await ok.service.latest(env);
      await ok.service.tick();
      expect(await ok.service.latest(env)).toEqual(before);
    });

    it('resumes after a restart: a new service on the same store finishes the run, starting no second operation', async () => {
      const revision = await h.push({}, 'acme-prod: a new revision');
      approvals.approve(env, revision);
      const first = newService({ store, approvals, environments: [env] });

      // Two requests at once (two clicks, two replicas): the store lets one through.
      const requests = await Promise.allSettled([
        first.service.request(env, ALICE, {}),
        first.service.request(env, BOB, {}),
      ]);
      expect(requests.map(r => r.status).sort()).toEqual([
        'fulfilled',
        'rejected',
      ]);
      const rejected = requests.find(r => r.status === 'rejected') as
        | PromiseRejectedResult
        | undefined;
      expect(rejected?.reason).toBeInstanceOf(ConflictError);

      await tickUntil(
        first.service,
        env,
        r => r?.state === 'waiting-infrastructure',
      );
      // The backend restarts: the first instance is gone, its store is not.
      const second = newService({ store, approvals, environments: [env] });
      const done = await tickUntil(second.service, env);
      expect(done).toMatchObject({ state: 'succeeded', revision });
      recordReliability(
        'restarts survived',
        1,
        'sync resumed by a new instance',
      );

      // One sync operation per Application at this revision.
      for (const name of [
        env.applications.infrastructure,
        env.applications.forwarder,
      ]) {
        expect(historyOf(h.app(name), revision)).toHaveLength(1);
        const started = h.sandbox.store
          .list('v1', 'Event', { namespace: 'openshift-gitops' })
          .filter(
            (e: any) =>
              e.involvedObject?.name === name &&
              e.reason === 'OperationStarted' &&
              String(e.message).includes(revision),
          );
        expect(started).toHaveLength(1);
      }
    });

    it('serves applications() from its watch cache without requests, and reports changes', async () => {
      const waves = new WatchWaveStatusService({
        clusters: h.clusters,
        logger: mockServices.logger.mock(),
        coalesceMs: 0,
      });
      await waves.start();
      try {
        const [infrastructure, forwarder] = waves.applications(env);
        expect(infrastructure).toMatchObject({
          role: 'infrastructure',
          name: env.applications.infrastructure,
          syncStatus: 'Synced',
          health: 'Healthy',
          operationPhase: 'Succeeded',
          revision: await h.head(),
          url: `${h.sandbox.argocd.url}/applications/openshift-gitops/${env.applications.infrastructure}`,
        });
        expect(
          infrastructure.waves.map(w => [w.wave, w.step?.id, w.state]),
        ).toEqual([
          [0, 'external-secret', 'healthy'],
          [10, 'loki-stack', 'healthy'],
          [20, 'health-check', 'healthy'],
        ]);
        expect(infrastructure.waves[1].resources).toEqual([
          expect.objectContaining({
            kind: 'LokiStack',
            name: 'logging-loki',
            namespace: 'openshift-logging',
            syncStatus: 'Synced',
            health: 'Healthy',
          }),
        ]);
        expect(infrastructure.waves[2].resources).toContainEqual(
          expect.objectContaining({
            kind: 'Job',
            name: 'logging-loki-health-check',
            health: 'Healthy',
          }),
        );
        expect(forwarder.waves.map(w => [w.wave, w.step?.id, w.state])).toEqual(
          [[30, 'log-forwarder', 'healthy']],
        );
        expect(forwarder.waves[0].resources).toContainEqual(
          expect.objectContaining({
            kind: 'ClusterLogForwarder',
            name: 'collector',
            health: 'Healthy',
          }),
        );
        expect(
          waves.object(
            'sandbox',
            'loki.grafana.com/v1',
            'LokiStack',
            'openshift-logging',
            'logging-loki',
          )?.status?.conditions,
        ).toContainEqual(expect.objectContaining({ type: 'Ready' }));

        // Page views: no request to the cluster.
        const before = h.sandbox.faults.calls.kube.length;
        for (let i = 0; i < 500; i++) waves.applications(env);
        expect(h.sandbox.faults.calls.kube.length).toBe(before);

        // A change of an Application reaches the listeners with the entity ref.
        const seen: string[] = [];
        const off = waves.onChange(ref => seen.push(ref));
        const app = h.app(env.applications.forwarder);
        h.sandbox.store.update({
          ...app,
          metadata: {
            ...app.metadata,
            labels: { ...app.metadata.labels, 'example.com/touched': 'yes' },
          },
        });
        await eventually('the change to be reported', () =>
          seen.includes(env.entityRef),
        );
        expect(seen).toEqual(['resource:default/acme-prod']);
        off();
        expect(waves.cacheStatus()).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              cluster: 'sandbox',
              kind: 'Application',
              state: 'watching',
            }),
          ]),
        );
      } finally {
        await waves.stop();
      }
    });
  });

  describe('a production environment whose Loki storage secret is broken', () => {
    it('fails the run at the infrastructure and never syncs the forwarder (syncing through .operation)', async () => {
      await h.reset();
      const env = await h.prepareEnvironment('acme-broken', 'production', {
        brokenStorage: true,
      });
      const store = await h.newStore();
      const approvals = new TestApprovals(h.revisions);
      const revision = await h.head();
      approvals.approve(env, revision);
      const { service, notifications } = newService({
        store,
        approvals,
        environments: [env],
        clusters: h.clustersWithoutApi,
      });

      const forwarderTouched: string[] = [];
      const unwatch = h.sandbox.store.watch(
        'argoproj.io/v1alpha1',
        'Application',
        e => {
          const app = e.object as any;
          if (
            app.metadata.name === env.applications.forwarder &&
            (app.operation || app.status?.operationState)
          ) {
            forwarderTouched.push(e.type);
          }
        },
      );
      try {
        await service.request(env, ALICE, {});
        const done = await tickUntil(service, env);
        expect(done.state).toBe('failed');
        expect(done.message).toMatch(
          /^The sync of acme-broken-logging-infrastructure at \w{7} failed: one or more synchronization tasks completed unsuccessfully.*LokiStack logging-loki Degraded: .*missing secret field: access_key_id/,
        );
      } finally {
        unwatch();
      }
      expect(forwarderTouched).toEqual([]);
      expect(
        h.sandbox.store.list(
          'observability.openshift.io/v1',
          'ClusterLogForwarder',
        ),
      ).toEqual([]);
      const infrastructure = h.app(env.applications.infrastructure);
      // Through `.operation`, initiated by the requester.
      expect(infrastructure.status.operationState).toMatchObject({
        phase: 'Failed',
        operation: { initiatedBy: { username: ALICE } },
      });
      expect(notifications.map(n => n.type)).toEqual(['sync-failed']);
      expect((await store.listHistory(env.entityRef))[0]).toMatchObject({
        type: 'sync-failed',
        message: expect.stringContaining('missing secret field'),
      });
    });
  });

  describe('a staging environment', () => {
    let env: Environment;
    let store: LoggingEnvironmentsStore;
    let approvals: TestApprovals;
    let sync: ReturnType<typeof newService>;

    beforeAll(async () => {
      await h.reset();
      approvals = new TestApprovals(h.revisions);
      env = await h.prepareEnvironment('acme-stage', 'staging');
      store = await h.newStore();
      sync = newService({ store, approvals, environments: [env] });
    });

    it('syncs on its own once the configuration review approved the revision', async () => {
      await sync.service.tick();
      expect(await sync.service.latest(env)).toBeUndefined();

      const revision = await h.head();
      approvals.approve(env, revision);
      const done = await tickUntil(sync.service, env);
      expect(done).toMatchObject({
        state: 'succeeded',
        revision,
        requestedBy: 'system',
      });
      // Once per revision: nothing more to do.
      await sync.service.tick();
      expect((await sync.service.latest(env))?.id).toBe(done.id);
    });

    it('rolls back to the last healthy revision when the sync of a new revision fails', async () => {
      const healthy = await h.head();
      const path = `environments/${env.name}/infrastructure/kustomization.yaml`;
      const kustomization = parse(
        readFileSync(join(h.workspace, path), 'utf8'),
      );
      kustomization.patches.push({
        target: { kind: 'LokiStack', name: 'logging-loki' },
        patch: stringify([
          {
            op: 'replace',
            path: '/spec/storage/secret/name',
            value: 'logging-loki-s3-missing',
          },
        ]),
      });
      const broken = await h.push(
        { [path]: stringify(kustomization) },
        'acme-stage: point the LokiStack at a Secret that does not exist',
      );
      approvals.approve(env, broken);
      // The Loki Operator slower than Argo CD's wave delay, as under load:
      // its storage probe of the old spec is still under way when Argo CD
      // applies the new one, so the old Ready stays for a while and passes
      // Argo CD's wave health and the health-check Job (neither operator
      // writes observedGeneration). The run must not take it for the new
      // spec's.
      const slowLoki = h.sandbox.faults.add({
        target: 'aws',
        match: 's3:*',
        action: { type: 'latency', ms: 600 },
      });

      const done = await tickUntil(
        sync.service,
        env,
        r => isFinal(r) && r?.revision === broken,
      );
      h.sandbox.faults.remove(slowLoki);
      expect(done.state).toBe('failed');
      expect(done.message).toMatch(
        new RegExp(`^rolled back to ${healthy.slice(0, 7)} after: The sync`),
      );

      const lokiStack: any = h.sandbox.store.get({
        apiVersion: 'loki.grafana.com/v1',
        kind: 'LokiStack',
        namespace: 'openshift-logging',
        name: 'logging-loki',
      });
      expect(lokiStack.spec.storage.secret.name).toBe('logging-loki-s3');
      const infrastructure = h.app(env.applications.infrastructure);
      expect(infrastructure.status.operationState).toMatchObject({
        phase: 'Succeeded',
        syncResult: { revision: healthy },
      });
      // The forwarder stayed at the healthy revision: never synced at the broken one.
      expect(
        h.app(env.applications.forwarder).status.operationState.syncResult
          .revision,
      ).toBe(healthy);
      expect(sync.notifications.map(n => n.type)).toEqual([
        'sync-failed',
        'rollback',
      ]);
      const types = (await store.listHistory(env.entityRef)).map(e => e.type);
      expect(types.slice(0, 2)).toEqual(['rollback', 'sync-failed']);
    });

    it('reports a blocking sync window as blocked and never forces the sync', async () => {
      const project = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        namespace: 'openshift-gitops',
        name: `${env.name}-logging`,
      };
      await h.kube.mergePatch(project, {
        spec: {
          syncWindows: [
            {
              kind: 'deny',
              schedule: '* * * * *',
              duration: '1h',
              applications: ['*'],
            },
          ],
        },
      });
      const infrastructure = env.applications.infrastructure;
      const before = h.app(infrastructure).status.operationState;

      // Through the API: it refuses the sync.
      await sync.service.request(env, ALICE, {});
      const blocked = await tickUntil(sync.service, env);
      expect(blocked.state).toBe('blocked');
      expect(blocked.message).toMatch(/sync window/);
      expect(h.app(infrastructure).operation).toBeUndefined();
      expect(h.app(infrastructure).status.operationState).toEqual(before);

      // Through `.operation`: Argo CD holds it; it is withdrawn, not left to
      // run when the window ends.
      const viaOperation = newService({
        store,
        approvals,
        environments: [env],
        clusters: h.clustersWithoutApi,
      });
      await viaOperation.service.request(env, ALICE, {});
      const held = await tickUntil(viaOperation.service, env);
      expect(held.state).toBe('blocked');
      expect(held.message).toMatch(/blocked by sync window/);
      const after = await eventually(
        'the held operation to be terminated',
        () => {
          const app = h.app(infrastructure);
          return !app.operation && app.status.operationState.phase !== 'Running'
            ? app
            : undefined;
        },
      );
      expect(after.status.operationState).toMatchObject({
        phase: 'Failed',
        message: 'Operation terminated',
      });
      // Nothing was applied: the LokiStack still reads the healthy Secret.
      const lokiStack: any = h.sandbox.store.get({
        apiVersion: 'loki.grafana.com/v1',
        kind: 'LokiStack',
        namespace: 'openshift-logging',
        name: 'logging-loki',
      });
      expect(lokiStack.spec.storage.secret.name).toBe('logging-loki-s3');
      expect(
        viaOperation.notifications
          .map(n => n.type)
          .concat(sync.notifications.slice(2).map(n => n.type)),
      ).toEqual(['sync-blocked', 'sync-blocked']);
    });
  });
});
