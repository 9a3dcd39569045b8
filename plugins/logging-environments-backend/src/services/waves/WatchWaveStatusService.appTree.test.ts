/** WatchWaveStatusService with Argo CD 3.x Applications, whose resources' health is in the resource tree. */
import { application } from './__testUtils__/applications';
import {
  ENV,
  REF,
  useWatchWaveStatusService,
} from './__testUtils__/watchWaveStatus';
import { eventually, sleep } from './__testUtils__/waiting';

describe('WatchWaveStatusService with Argo CD 3.x Applications (resourceHealthSource appTree)', () => {
  const harness = useWatchWaveStatusService();
  const { start } = harness;

  /** The Application as Argo CD 3.x writes it: no per-resource health. */
  const appTreeApplication = () => {
    const app = application('forwarder', { phase: 'Succeeded' });
    app.status!.resourceHealthSource = 'appTree';
    app.status!.health = { status: 'Degraded' };
    for (const r of app.status!.resources ?? []) delete r.health;
    return app;
  };
  const collectorNode = (health: object) => ({
    group: 'observability.openshift.io',
    version: 'v1',
    kind: 'ClusterLogForwarder',
    namespace: 'openshift-logging',
    name: 'collector',
    uid: 'collector-uid',
    health,
  });

  it('reads resource health from the resource tree of the Argo CD API, on changes, not on page views', async () => {
    harness.api.put('applications', appTreeApplication());
    let tree = {
      nodes: [
        collectorNode({
          status: 'Degraded',
          message: 'output default-lokistack: ValidationFailure: invalid',
        }),
      ],
    };
    const treeReads: string[] = [];
    const fetchTree = (async (url: string, init: RequestInit) => {
      expect((init.headers as Record<string, string>).authorization).toBe(
        'Bearer argo-token',
      );
      treeReads.push(url);
      return new Response(JSON.stringify(tree), { status: 200 });
    }) as typeof fetch;
    const registry = harness.api.registry();
    const service = await start({
      clusters: {
        ...registry,
        argocdApi: () => ({
          url: 'https://argocd.example.com',
          token: 'argo-token',
        }),
      },
      fetch: fetchTree,
    });
    const clf = () =>
      service
        .applications(ENV)[1]
        .waves[0].resources.find(r => r.kind === 'ClusterLogForwarder');
    await eventually('the tree', () => clf()?.healthSource === 'resource-tree');
    expect(clf()).toMatchObject({
      health: 'Degraded',
      message: 'output default-lokistack: ValidationFailure: invalid',
    });
    // Read when the cache listed the Application and its forwarder.
    expect([...new Set(treeReads)]).toEqual([
      'https://argocd.example.com/api/v1/applications/acme-prod-logging-forwarder/resource-tree?appNamespace=openshift-gitops',
    ]);
    await sleep(50);
    const reads = treeReads.length;
    for (let i = 0; i < 100; i++) service.applications(ENV);
    expect(treeReads).toHaveLength(reads);

    // The forwarder changes: the tree is read again, and the change reported.
    const seen: string[] = [];
    service.onChange(ref => seen.push(ref));
    tree = { nodes: [collectorNode({ status: 'Healthy', message: '' })] };
    harness.api.put('clusterlogforwarders', {
      metadata: {
        name: 'collector',
        namespace: 'openshift-logging',
        labels: {
          'app.kubernetes.io/instance': 'acme-prod-logging-forwarder',
        },
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    await eventually('the new tree', () => clf()?.health === 'Healthy');
    expect(seen).toContain(REF);
  });

  it('without an Argo CD API evaluates the forwarder from the watched object, and says Unknown for the rest', async () => {
    harness.api.put('applications', appTreeApplication());
    harness.api.put('clusterlogforwarders', {
      metadata: { name: 'collector', namespace: 'openshift-logging' },
      spec: { outputs: [{ name: 'default-lokistack' }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ValidationFailure' },
        ],
        outputConditions: [
          {
            type: 'observability.openshift.io/ValidOutput-default-lokistack',
            status: 'False',
            reason: 'ValidationFailure',
            message: 'invalid output',
          },
        ],
      },
    });
    const service = await start();
    await eventually('the degraded forwarder', () =>
      service.applications(ENV)[1].waves[0].state === 'degraded'
        ? true
        : undefined,
    );
    const resources = service.applications(ENV)[1].waves[0].resources;
    expect(resources.map(r => [r.kind, r.health, r.healthSource])).toEqual([
      ['ClusterLogForwarder', 'Degraded', 'live'],
      ['ClusterRoleBinding', 'Unknown', undefined],
      ['ServiceAccount', 'Unknown', undefined],
    ]);
    expect(resources[0].message).toBe(
      'output default-lokistack: ValidationFailure: invalid output',
    );
  });
});
