import { buildApplicationStatus, isCompletedPhase } from './applicationStatus';
import {
  REV_NEW,
  application,
  resourceStatuses,
  syncResults,
} from './__testUtils__/applications';

const waves = (status: ReturnType<typeof buildApplicationStatus>) =>
  status.waves.map(w => [w.wave, w.step?.id, w.state]);

const build = (
  role: 'infrastructure' | 'forwarder',
  app: ReturnType<typeof application> | undefined,
  extra: Partial<Parameters<typeof buildApplicationStatus>[0]> = {},
) =>
  buildApplicationStatus({
    role,
    name: `acme-prod-logging-${role}`,
    app,
    namespace: 'openshift-gitops',
    ...extra,
  });

describe('buildApplicationStatus', () => {
  it('orders the waves from status.resources[].syncWave, labels them with the plan, and reports each resource', () => {
    const status = build(
      'infrastructure',
      application('infrastructure', { phase: 'Succeeded' }),
      { argocdUrl: 'https://argocd.example.com/' },
    );
    expect(status).toMatchObject({
      role: 'infrastructure',
      name: 'acme-prod-logging-infrastructure',
      syncStatus: 'Synced',
      health: 'Healthy',
      revision: REV_NEW,
      operationPhase: 'Succeeded',
      operationMessage: 'successfully synced (all tasks run)',
      url: 'https://argocd.example.com/applications/openshift-gitops/acme-prod-logging-infrastructure',
    });
    // The ExternalSecret carries no syncWave (0 is omitted by Argo CD).
    expect(waves(status)).toEqual([
      [0, 'external-secret', 'healthy'],
      [10, 'loki-stack', 'healthy'],
      [20, 'health-check', 'healthy'],
    ]);
    expect(status.waves[0].resources).toEqual([
      {
        kind: 'ExternalSecret',
        name: 'logging-loki-s3',
        namespace: 'openshift-logging',
        syncStatus: 'Synced',
        health: 'Healthy',
        healthSource: 'application',
        message: 'secret synced',
      },
    ]);
    // The hook's health is its phase; its RBAC shares its wave.
    expect(status.waves[2].resources).toEqual([
      {
        kind: 'Job',
        name: 'logging-loki-health-check',
        namespace: 'openshift-logging',
        health: 'Healthy',
        message: 'Reached expected number of succeeded pods',
      },
      {
        kind: 'ServiceAccount',
        name: 'logging-health-check',
        namespace: 'openshift-logging',
        syncStatus: 'Synced',
      },
    ]);
  });

  it('keeps a wave the plan does not know, in order, without a step', () => {
    const app = application('infrastructure', { phase: 'Succeeded' });
    app.status!.resources!.push({
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      namespace: 'openshift-logging',
      name: 'extra',
      status: 'Synced',
      syncWave: 5,
    });
    expect(waves(build('infrastructure', app))).toEqual([
      [0, 'external-secret', 'healthy'],
      [5, undefined, 'healthy'],
      [10, 'loki-stack', 'healthy'],
      [20, 'health-check', 'healthy'],
    ]);
  });

  it('shows where a running operation is: the wave it applies runs, later waves wait', () => {
    const app = application('infrastructure', {
      phase: 'Running',
      message:
        'waiting for healthy state of loki.grafana.com/LokiStack/logging-loki',
      health: {
        externalSecret: 'Healthy',
        lokiStack: 'Progressing',
      },
    });
    const status = build('infrastructure', app);
    expect(status.operationPhase).toBe('Running');
    // Wave 20: its ServiceAccount is synced from an earlier sync, the hook
    // has not started: pending, not running.
    expect(waves(status)).toEqual([
      [0, 'external-secret', 'healthy'],
      [10, 'loki-stack', 'running'],
      [20, 'health-check', 'pending'],
    ]);

    app.status!.resources = resourceStatuses('infrastructure', {
      externalSecret: 'Healthy',
      lokiStack: 'Healthy',
    });
    app.status!.operationState!.syncResult!.resources = syncResults(
      'infrastructure',
      { lokiStack: 'Healthy', job: 'Running' },
    );
    expect(waves(build('infrastructure', app))).toEqual([
      [0, 'external-secret', 'healthy'],
      [10, 'loki-stack', 'healthy'],
      [20, 'health-check', 'running'],
    ]);
  });

  it('reports a LokiStack that failed its sync task, one that degraded later, and a failed health check, with their messages', () => {
    const degraded = build(
      'infrastructure',
      application('infrastructure', {
        phase: 'Failed',
        health: {
          externalSecret: 'Healthy',
          lokiStack: 'Degraded',
          lokiMessage:
            'Invalid object storage secret contents: missing secret field: access_key_id',
        },
      }),
    );
    // gitops-engine fails the task of a resource that turns Degraded.
    expect(waves(degraded)).toEqual([
      [0, 'external-secret', 'healthy'],
      [10, 'loki-stack', 'failed'],
      [20, 'health-check', 'pending'],
    ]);
    expect(degraded.waves[1].resources[0]).toMatchObject({
      kind: 'LokiStack',
      health: 'Degraded',
      message: expect.stringContaining('missing secret field'),
    });

    // Synced fine, degraded since.
    const later = application('infrastructure', { phase: 'Succeeded' });
    later.status!.resources!.find(r => r.kind === 'LokiStack')!.health = {
      status: 'Degraded',
      message: 'Some LokiStack components failed',
    };
    expect(waves(build('infrastructure', later))[1]).toEqual([
      10,
      'loki-stack',
      'degraded',
    ]);

    const app = application('infrastructure', {
      phase: 'Failed',
      health: {
        externalSecret: 'Healthy',
        lokiStack: 'Healthy',
        job: 'Failed',
      },
    });
    app.status!.operationState!.syncResult!.resources!.find(
      r => r.kind === 'Job',
    )!.message = 'Job has reached the specified backoff limit';
    const failed = build('infrastructure', app);
    expect(waves(failed)[2]).toEqual([20, 'health-check', 'failed']);
    expect(failed.waves[2].resources[0]).toMatchObject({
      kind: 'Job',
      health: 'Degraded',
      message: 'Job has reached the specified backoff limit',
    });
  });

  it('counts a hook still running in a finished (terminated) operation as failed', () => {
    const app = application('infrastructure', {
      phase: 'Failed',
      message: 'Operation terminated',
      health: {
        externalSecret: 'Healthy',
        lokiStack: 'Healthy',
        job: 'Running',
      },
    });
    expect(waves(build('infrastructure', app))[2]).toEqual([
      20,
      'health-check',
      'failed',
    ]);
  });

  it('without the object: the plan, pending; Missing once the cache is complete, Unknown before', () => {
    expect(build('forwarder', undefined, { complete: true })).toEqual({
      role: 'forwarder',
      name: 'acme-prod-logging-forwarder',
      health: 'Missing',
      waves: [
        {
          wave: 30,
          step: expect.objectContaining({ id: 'log-forwarder' }),
          state: 'pending',
          resources: [],
        },
      ],
    });
    expect(
      build('forwarder', undefined, { argocdUrl: 'https://argocd' }),
    ).toMatchObject({
      health: 'Unknown',
      url: 'https://argocd/applications/openshift-gitops/acme-prod-logging-forwarder',
    });
  });

  it('matches a cluster-scoped result (given the destination namespace) with its status entry', () => {
    const status = build(
      'forwarder',
      application('forwarder', { phase: 'Succeeded' }),
    );
    expect(waves(status)).toEqual([[30, 'log-forwarder', 'healthy']]);
    expect(status.waves[0].resources.map(r => `${r.kind}/${r.name}`)).toEqual([
      'ClusterLogForwarder/collector',
      'ClusterRoleBinding/logging-collector-write-logs',
      'ServiceAccount/logging-collector',
    ]);
  });

  it('counts what a succeeded pinned sync applied as synced only when asked to', () => {
    // Synced at an older pinned commit; main moved on, so Argo CD compares
    // with the newer commit and reports OutOfSync.
    const app = application('infrastructure', { phase: 'Succeeded' });
    for (const r of app.status!.resources!) {
      if (!r.hook) r.status = 'OutOfSync';
    }
    expect(waves(build('infrastructure', app)).map(w => w[2])).toEqual([
      'pending',
      'pending',
      'pending',
    ]);
    expect(
      waves(
        build('infrastructure', app, { operationResultsAreSynced: true }),
      ).map(w => w[2]),
    ).toEqual(['healthy', 'healthy', 'healthy']);
  });
});

describe('buildApplicationStatus with Argo CD 3.x (resourceHealthSource appTree)', () => {
  /** The Application as Argo CD 3.x writes it: no health in status.resources. */
  const appTree = (app: ReturnType<typeof application>) => {
    app.status!.resourceHealthSource = 'appTree';
    for (const r of app.status!.resources ?? []) delete r.health;
    return app;
  };
  const outputFailure = {
    type: 'observability.openshift.io/ValidOutput-default-lokistack',
    status: 'False',
    reason: 'ValidationFailure',
    message: 'output "default-lokistack": unknown output type "lokistak"',
  };
  const forwarder = (
    conditions: object[],
    outputConditions: object[] = [],
  ) => ({
    metadata: { name: 'collector', namespace: 'openshift-logging' },
    spec: { outputs: [{ name: 'default-lokistack' }] },
    status: { conditions, outputConditions },
  });

  it('never reads a missing health as healthy: the wave is unknown, the resource Unknown, and why', () => {
    const app = appTree(application('forwarder', { phase: 'Succeeded' }));
    app.status!.health = { status: 'Degraded' };
    const status = build('forwarder', app, { operationResultsAreSynced: true });
    expect(waves(status)).toEqual([[30, 'log-forwarder', 'unknown']]);
    const clf = status.waves[0].resources.find(
      r => r.kind === 'ClusterLogForwarder',
    )!;
    expect(clf).toMatchObject({ health: 'Unknown' });
    expect(clf.message).toMatch(/resource tree.*argocdUrl and argocdToken/);
  });

  it('evaluates a ClusterLogForwarder from its live object, naming the failing output', () => {
    const app = appTree(application('forwarder', { phase: 'Succeeded' }));
    app.status!.health = { status: 'Degraded' };
    const status = build('forwarder', app, {
      evidence: {
        live: ref =>
          ref.kind === 'ClusterLogForwarder'
            ? forwarder(
                [
                  {
                    type: 'Ready',
                    status: 'False',
                    reason: 'ValidationFailure',
                  },
                ],
                [outputFailure],
              )
            : undefined,
      },
    });
    expect(waves(status)).toEqual([[30, 'log-forwarder', 'degraded']]);
    expect(
      status.waves[0].resources.find(r => r.kind === 'ClusterLogForwarder'),
    ).toMatchObject({
      health: 'Degraded',
      healthSource: 'live',
      message:
        'output default-lokistack: ValidationFailure: output "default-lokistack": unknown output type "lokistak"',
    });
    // RBAC has no health check in Argo CD; nothing known for it either.
    expect(
      status.waves[0].resources.find(r => r.kind === 'ServiceAccount'),
    ).toMatchObject({ health: 'Unknown' });
  });

  it('takes health from the resource tree, a ServiceAccount without health as not assessed', () => {
    const app = appTree(application('forwarder', { phase: 'Succeeded' }));
    const node = (kind: string, name: string, health?: object) => ({
      kind,
      name,
      namespace: 'openshift-logging',
      uid: `${kind}-uid`,
      ...(health ? { health } : {}),
    });
    const status = build('forwarder', app, {
      evidence: {
        tree: {
          nodes: [
            {
              ...node('ClusterLogForwarder', 'collector', {
                status: 'Healthy',
              }),
              group: 'observability.openshift.io',
            },
            node('ServiceAccount', 'logging-collector'),
            {
              ...node('ClusterRoleBinding', 'logging-collector-write-logs'),
              group: 'rbac.authorization.k8s.io',
              namespace: '',
            },
          ],
        },
      },
    });
    expect(waves(status)).toEqual([[30, 'log-forwarder', 'healthy']]);
    expect(
      status.waves[0].resources.map(r => [r.kind, r.health, r.healthSource]),
    ).toEqual([
      ['ClusterLogForwarder', 'Healthy', 'resource-tree'],
      ['ClusterRoleBinding', undefined, undefined],
      ['ServiceAccount', undefined, undefined],
    ]);
  });

  it('reads a status its operator has not reported on yet as Progressing, whatever Argo CD says', () => {
    const app = application('forwarder', { phase: 'Succeeded' });
    const status = build('forwarder', app, {
      operationResultsAreSynced: true,
      evidence: {
        stale: ref =>
          ref.kind === 'ClusterLogForwarder'
            ? 'Waiting for the Cluster Logging Operator to report on generation 3'
            : undefined,
      },
    });
    expect(waves(status)).toEqual([[30, 'log-forwarder', 'running']]);
    expect(
      status.waves[0].resources.find(r => r.kind === 'ClusterLogForwarder'),
    ).toMatchObject({
      health: 'Progressing',
      message:
        'Waiting for the Cluster Logging Operator to report on generation 3',
    });
  });
});

describe('isCompletedPhase', () => {
  it('is true for Succeeded, Failed and Error only', () => {
    expect(
      ['Succeeded', 'Failed', 'Error', 'Running', 'Terminating', undefined].map(
        isCompletedPhase,
      ),
    ).toEqual([true, true, true, false, false, false]);
  });
});
