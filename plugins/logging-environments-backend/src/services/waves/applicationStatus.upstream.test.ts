/**
 * The status mapping fed with Argo CD's own data: the files under
 * `__fixtures__/argo-cd/` are copied from github.com/argoproj/argo-cd at
 * v3.5.1 (commit 109ca7ca71139e514114499d294a492e7910a965), each naming its
 * source in its first lines. Where a test derives an Application from them,
 * it says which upstream code or test it follows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ArgoApplication, buildApplicationStatus } from './applicationStatus';
import { ArgoApplicationTree, HealthEvidence } from './resourceHealth';

const fixture = (name: string): any =>
  parse(readFileSync(join(__dirname, '__fixtures__/argo-cd', name), 'utf8'));

const build = (app: ArgoApplication, evidence?: HealthEvidence) =>
  buildApplicationStatus({
    role: 'infrastructure',
    name: app.metadata.name ?? 'app',
    app,
    namespace: app.metadata.namespace ?? 'argocd',
    evidence,
  });

/** Wave 0 (where resources without a sync-wave go): its state and resources. */
const wave0 = (app: ArgoApplication, evidence?: HealthEvidence) => {
  const wave = build(app, evidence).waves.find(w => w.wave === 0)!;
  return {
    state: wave.state,
    resources: wave.resources
      .filter(r => r.kind !== 'ExternalSecret')
      .map(r => ({
        kind: r.kind,
        health: r.health,
        source: r.healthSource,
        message: r.message,
      })),
  };
};

/** An Application around a `status` of the upgrade guide's examples. */
const withStatus = (status: any): ArgoApplication => ({
  metadata: { name: 'my-app', namespace: 'argocd' },
  status,
});

/** The status Argo CD 3.x writes for the same Application: no per-resource health. */
function asAppTree(app: ArgoApplication): ArgoApplication {
  const copy = structuredClone(app);
  copy.status!.resourceHealthSource = 'appTree';
  for (const r of copy.status!.resources ?? []) delete r.health;
  return copy;
}

/** A node of the resource tree for a live object, as the cluster cache gives it. */
const nodeOf = (obj: any, health?: { status: string; message?: string }) => ({
  group: obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '',
  version: obj.apiVersion.split('/').pop(),
  kind: obj.kind,
  namespace: obj.metadata.namespace,
  name: obj.metadata.name,
  uid: obj.metadata.uid,
  resourceVersion: obj.metadata.resourceVersion,
  createdAt: obj.metadata.creationTimestamp,
  ...(health ? { health } : {}),
});

describe('buildApplicationStatus on Argo CD data', () => {
  const failedJob = fixture('job-failed.yaml');
  const runningPod = fixture('pod-running-restart-always.yaml');
  // gitops-engine pkg/health/health_job.go: a Job with a True Failed
  // condition is Degraded with that condition's message.
  const jobFailure = failedJob.status.conditions.find(
    (c: any) => c.type === 'Failed',
  ).message;
  const resourceOf = (obj: any) => ({
    group: obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '',
    version: obj.apiVersion.split('/').pop(),
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    status: 'Synced',
  });

  it('reads persisted health of an Argo CD 2.x Application (controller/testdata/diff-cache.yaml)', () => {
    const app: ArgoApplication = fixture('diff-cache.yaml');
    expect(app.status!.resourceHealthSource).toBeUndefined();
    const status = build(app);
    expect(status).toMatchObject({
      syncStatus: 'Synced',
      health: 'Healthy',
      revision: 'rev1',
      operationPhase: 'Succeeded',
    });
    expect(status.problems).toBeUndefined();
    expect(wave0(app)).toEqual({
      state: 'healthy',
      resources: [
        {
          kind: 'Deployment',
          health: 'Healthy',
          source: 'application',
          message: undefined,
        },
        {
          kind: 'Service',
          health: 'Healthy',
          source: 'application',
          message: undefined,
        },
      ],
    });
  });

  it('without per-resource health (3.x) takes a Healthy Application as the bound, and nothing from a Degraded one', () => {
    // controller/health.go setApplicationHealth: the Application's health is
    // the worst of its live, assessed resources, so Synced resources of a
    // Healthy Application are Healthy.
    const healthy = asAppTree(fixture('diff-cache.yaml'));
    expect(wave0(healthy)).toMatchObject({
      state: 'healthy',
      resources: [
        { kind: 'Deployment', health: 'Healthy', source: 'application-health' },
        { kind: 'Service', health: 'Healthy', source: 'application-health' },
      ],
    });

    const degraded = asAppTree(fixture('diff-cache.yaml'));
    degraded.status!.health = { status: 'Degraded' };
    const unknown = wave0(degraded);
    expect(unknown.state).toBe('unknown');
    expect(unknown.resources.map(r => r.health)).toEqual([
      'Unknown',
      'Unknown',
    ]);
    expect(unknown.resources[0].message).toMatch(/resource tree/);
  });

  it("maps the upgrade guide's two examples: persisted health, and appTree with the health in the tree", () => {
    const persisting = withStatus(
      fixture('docs-status-persisting-health.yaml').status,
    );
    expect(wave0(persisting)).toEqual({
      // OutOfSync: applied by no sync yet, so not done whatever its health.
      state: 'pending',
      resources: [
        {
          kind: 'Deployment',
          health: 'Healthy',
          source: 'application',
          message: undefined,
        },
      ],
    });

    const appTree = withStatus(
      fixture('docs-status-not-persisting-health.yaml').status,
    );
    // OutOfSync: it may not exist, so the Application's health says nothing.
    expect(wave0(appTree).resources[0]).toMatchObject({
      kind: 'Deployment',
      health: 'Unknown',
    });
    const tree: ArgoApplicationTree = {
      nodes: [
        {
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: 'foo',
          name: 'my-app',
          uid: 'u1',
          resourceVersion: '1',
          health: { status: 'Healthy' },
        },
      ],
    };
    expect(wave0(appTree, { tree }).resources[0]).toMatchObject({
      kind: 'Deployment',
      health: 'Healthy',
      source: 'resource-tree',
    });
  });

  it('reports a failed Job Degraded, persisted or from the tree (controller/health_test.go TestSetApplicationHealth, ..._ResourceHealthNotPersisted)', () => {
    const inline: ArgoApplication = {
      metadata: { name: 'my-app', namespace: 'argocd' },
      status: {
        sync: { status: 'Synced' },
        health: { status: 'Degraded' },
        resources: [
          { ...resourceOf(runningPod), health: { status: 'Healthy' } },
          {
            ...resourceOf(failedJob),
            health: { status: 'Degraded', message: jobFailure },
          },
        ],
      },
    };
    expect(wave0(inline)).toEqual({
      state: 'degraded',
      resources: [
        {
          kind: 'Job',
          health: 'Degraded',
          source: 'application',
          message: 'Job has reached the specified backoff limit',
        },
        {
          kind: 'Pod',
          health: 'Healthy',
          source: 'application',
          message: undefined,
        },
      ],
    });

    const appTree = asAppTree(inline);
    expect(wave0(appTree).state).toBe('unknown');
    const tree: ArgoApplicationTree = {
      nodes: [
        nodeOf(runningPod, { status: 'Healthy' }),
        nodeOf(failedJob, { status: 'Degraded', message: jobFailure }),
      ],
    };
    expect(wave0(appTree, { tree })).toEqual({
      state: 'degraded',
      resources: [
        {
          kind: 'Job',
          health: 'Degraded',
          source: 'resource-tree',
          message: 'Job has reached the specified backoff limit',
        },
        {
          kind: 'Pod',
          health: 'Healthy',
          source: 'resource-tree',
          message: undefined,
        },
      ],
    });
  });

  it('never counts a Missing resource healthy, though Argo CD reports the Application Healthy (TestSetApplicationHealth_MissingResource)', () => {
    // controller/health.go: a resource that does not exist is Missing, and
    // leaves the Application's health alone.
    const pod2 = { ...runningPod, metadata: { ...runningPod.metadata } };
    pod2.metadata.name = 'pod2';
    const inline: ArgoApplication = {
      metadata: { name: 'my-app', namespace: 'argocd' },
      status: {
        sync: { status: 'OutOfSync' },
        health: { status: 'Healthy' },
        resources: [
          {
            ...resourceOf(runningPod),
            status: 'OutOfSync',
            health: { status: 'Missing' },
          },
          { ...resourceOf(pod2), health: { status: 'Healthy' } },
        ],
      },
    };
    const missing = wave0(inline);
    expect(missing.state).toBe('pending');
    expect(missing.resources.map(r => [r.health, r.source])).toEqual([
      ['Missing', 'application'],
      ['Healthy', 'application'],
    ]);

    // 3.x: the tree has a node without uid for it (appcontroller.go
    // getResourceTree); argocd-server calls such a node "not created".
    const tree: ArgoApplicationTree = {
      nodes: [
        {
          group: '',
          version: 'v1',
          kind: 'Pod',
          namespace: runningPod.metadata.namespace,
          name: runningPod.metadata.name,
        },
        nodeOf(pod2, { status: 'Healthy' }),
      ],
    };
    const fromTree = wave0(asAppTree(inline), { tree });
    expect(fromTree.state).toBe('pending');
    expect(fromTree.resources[0]).toEqual({
      kind: 'Pod',
      health: 'Missing',
      source: 'resource-tree',
      message: 'Resource has not been created',
    });
  });

  it('reports a Degraded Application without resources (gitops-engine testdata application-degraded.yaml)', () => {
    const degraded: ArgoApplication = fixture('application-degraded.yaml');
    degraded.metadata = { name: 'child', namespace: 'argocd' };
    expect(build(degraded).problems).toEqual([
      {
        type: 'DegradedWithoutResources',
        severity: 'error',
        message:
          'Argo CD reports the Application Degraded but lists no resources',
      },
    ]);
    const healthy: ArgoApplication = fixture('application-healthy.yaml');
    healthy.metadata = { name: 'child', namespace: 'argocd' };
    expect(build(healthy).problems).toBeUndefined();
  });

  it('reports error and warning conditions and a deletion, and trusts no earlier sync while Argo CD cannot compare', () => {
    const app: ArgoApplication = fixture('diff-cache.yaml');
    // controller/state.go CompareAppState: a manifest that cannot be
    // generated is a ComparisonError ("Failed to load target state: ...")
    // and sync status Unknown.
    const comparisonError =
      'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Manifest generation error (cached): plugin sidecar failed';
    app.status!.sync!.status = 'Unknown';
    for (const r of app.status!.resources!) r.status = 'Unknown';
    app.status!.conditions = [
      { type: 'ComparisonError', message: comparisonError },
      // controller/appcontroller.go getResourceTree and controller/state.go.
      {
        type: 'OrphanedResourceWarning',
        message: 'Application has 2 orphaned resources',
      },
      {
        type: 'ExcludedResourceWarning',
        message:
          'Resource /Secret velero-credentials is excluded in the settings',
      },
    ];
    (app.metadata as any).deletionTimestamp = '2024-03-05T08:00:00Z';
    const status = buildApplicationStatus({
      role: 'infrastructure',
      name: 'velero-test',
      app,
      namespace: 'argo-cd',
      operationResultsAreSynced: true,
    });
    expect(status.problems).toEqual([
      {
        type: 'Deleting',
        severity: 'error',
        message:
          'Argo CD is deleting the Application (since 2024-03-05T08:00:00Z); waiting for its finalizers: resources-finalizer.argocd.argoproj.io',
      },
      { type: 'ComparisonError', severity: 'error', message: comparisonError },
      {
        type: 'OrphanedResourceWarning',
        severity: 'warning',
        message: 'Application has 2 orphaned resources',
      },
      {
        type: 'ExcludedResourceWarning',
        severity: 'warning',
        message:
          'Resource /Secret velero-credentials is excluded in the settings',
      },
    ]);
    // The last operation said "successfully synced"; that does not make the
    // waves healthy while Argo CD cannot compare.
    expect(status.operationMessage).toBe('successfully synced (all tasks run)');
    expect(status.waves.find(w => w.wave === 0)!.state).toBe('pending');
  });

  it('shows the revisions of a multi-source Application (controller/appcontroller_test.go fakeMultiSourceApp)', () => {
    const status = build(fixture('multi-source-app.yaml'));
    expect(status.revision).toBe('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(status.revisions).toEqual([
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      'cccccccccccccccccccccccccccccccccccccccc',
    ]);
  });
});
