import { mockServices } from '@backstage/backend-test-utils';
import { testEnvironment } from '../__testUtils__/environment';
import { buildApplicationStatus } from './applicationStatus';
import {
  WatchWaveStatusService,
  WatchWaveStatusServiceOptions,
} from './WatchWaveStatusService';
import { application } from './__testUtils__/applications';
import { FakeKubeApi } from './__testUtils__/fakeKubeApi';
import { lokiStack } from './__testUtils__/lokiStack';
import { eventually, sleep } from './__testUtils__/waiting';

const ENV = testEnvironment({ name: 'acme-prod', tier: 'production' });
const REF = 'resource:default/acme-prod';

describe('WatchWaveStatusService', () => {
  let api: FakeKubeApi;
  const services: WatchWaveStatusService[] = [];

  beforeEach(async () => {
    api = await FakeKubeApi.start();
    api.put(
      'applications',
      application('infrastructure', { phase: 'Succeeded' }),
    );
    api.put('applications', application('forwarder', { phase: 'Succeeded' }));
    // Not one of the plugin's: the label selector leaves it out.
    api.put('applications', {
      metadata: { name: 'unrelated', namespace: 'openshift-gitops' },
    });
    api.put('lokistacks', lokiStack());
    api.put('clusterlogforwarders', {
      metadata: { name: 'collector', namespace: 'openshift-logging' },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  afterEach(async () => {
    await Promise.all(services.splice(0).map(s => s.stop()));
    await api.close();
  });

  async function start(
    options: Partial<WatchWaveStatusServiceOptions> = {},
  ): Promise<WatchWaveStatusService> {
    const service = new WatchWaveStatusService({
      clusters: api.registry(),
      logger: mockServices.logger.mock(),
      coalesceMs: 0,
      retry: { initialDelayMs: 10, maxDelayMs: 40 },
      ...options,
    });
    services.push(service);
    await service.start();
    return service;
  }

  const phaseOf = (service: WatchWaveStatusService) =>
    service.applications(ENV)[0].operationPhase;

  it('lists and watches each kind once, then serves every read from the cache', async () => {
    const service = await start();
    expect(api.requests).toEqual(
      expect.arrayContaining([
        { verb: 'list', plural: 'applications' },
        { verb: 'list', plural: 'lokistacks' },
        { verb: 'list', plural: 'clusterlogforwarders' },
        { verb: 'watch', plural: 'applications' },
        { verb: 'watch', plural: 'lokistacks' },
        { verb: 'watch', plural: 'clusterlogforwarders' },
      ]),
    );
    expect(api.requests).toHaveLength(6);

    const statuses = service.applications(ENV);
    expect(statuses).toEqual(
      (['infrastructure', 'forwarder'] as const).map(role =>
        buildApplicationStatus({
          role,
          name: `acme-prod-logging-${role}`,
          app: service.object(
            'sandbox',
            'argoproj.io/v1alpha1',
            'Application',
            'openshift-gitops',
            `acme-prod-logging-${role}`,
          ) as any,
          argocdUrl: 'https://argocd.example.com',
          namespace: 'openshift-gitops',
          complete: true,
        }),
      ),
    );
    expect(statuses[0].waves.map(w => [w.wave, w.state])).toEqual([
      [0, 'healthy'],
      [10, 'healthy'],
      [20, 'healthy'],
    ]);
    expect(
      service.object(
        'sandbox',
        'loki.grafana.com/v1',
        'LokiStack',
        'openshift-logging',
        'logging-loki',
      )?.status.conditions,
    ).toEqual([{ type: 'Ready', status: 'True' }]);
    expect(
      service.object(
        'sandbox',
        'argoproj.io/v1alpha1',
        'Application',
        'openshift-gitops',
        'unrelated',
      ),
    ).toBeUndefined();

    // Page views: no request at all.
    for (let i = 0; i < 1000; i++) service.applications(ENV);
    await sleep(20);
    expect(api.requests).toHaveLength(6);
    expect(
      service.cacheStatus().map(c => [c.kind, c.state, c.objects]),
    ).toEqual([
      ['Application', 'watching', 2],
      ['LokiStack', 'watching', 1],
      ['ClusterLogForwarder', 'watching', 1],
    ]);
  });

  it('applies watch events to the cache and reports the environment once per burst', async () => {
    const service = await start({ coalesceMs: 30 });
    await sleep(60); // the report of the first list
    const seen: string[] = [];
    service.onChange(ref => seen.push(ref));

    const phases = ['Running', 'Running', 'Succeeded'] as const;
    phases.forEach((phase, i) =>
      api.put(
        'applications',
        application('infrastructure', { phase, message: `step ${i}` }),
      ),
    );
    await eventually(
      'the last update',
      () => service.applications(ENV)[0].operationMessage === 'step 2',
    );
    await eventually('the report', () => seen.length > 0);
    await sleep(60);
    expect(seen).toEqual([REF]);

    // A LokiStack names its Application in Argo CD's tracking annotation.
    api.put('lokistacks', lokiStack({ status: { conditions: [] } }));
    await eventually('the LokiStack change', () => seen.length === 2);
    expect(seen).toEqual([REF, REF]);
    // A forwarder without tracking: by its namespace, the Applications' destination.
    api.put('clusterlogforwarders', {
      metadata: { name: 'collector', namespace: 'openshift-logging' },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    });
    await eventually('the forwarder change', () => seen.length === 3);

    // Only what the portal shows counts: a new reconciledAt is no change.
    const app = application('forwarder', { phase: 'Succeeded' });
    app.status!.reconciledAt = '2026-01-01T00:05:00Z';
    api.put('applications', app);
    await eventually(
      'the cache to have it',
      () =>
        service.object(
          'sandbox',
          'argoproj.io/v1alpha1',
          'Application',
          'openshift-gitops',
          'acme-prod-logging-forwarder',
        )?.status.reconciledAt,
    );
    await sleep(60);
    expect(seen).toHaveLength(3);

    api.remove(
      'applications',
      'openshift-gitops',
      'acme-prod-logging-forwarder',
    );
    await eventually(
      'the deletion',
      () => service.applications(ENV)[1].health === 'Missing',
    );
    await eventually('its report', () => seen.length === 4);
  });

  it('lists again after 410 Expired, catching up with what it missed', async () => {
    const service = await start();
    const seen: string[] = [];
    service.onChange(ref => seen.push(ref));
    expect(api.count('list', 'applications')).toBe(1);

    api.expire(() => {
      api.put(
        'applications',
        application('infrastructure', { phase: 'Running' }),
      );
      api.remove(
        'applications',
        'openshift-gitops',
        'acme-prod-logging-forwarder',
      );
    });

    await eventually(
      'the re-list',
      () => api.count('list', 'applications') === 2,
    );
    await eventually(
      'the missed changes',
      () =>
        phaseOf(service) === 'Running' &&
        service.applications(ENV)[1].health === 'Missing',
    );
    expect(seen).toContain(REF);
    await eventually('watching again', () => api.openWatches === 3);
    // Still one list per kind that expired, and watching from there.
    api.put(
      'applications',
      application('infrastructure', { phase: 'Succeeded' }),
    );
    await eventually('a later change', () => phaseOf(service) === 'Succeeded');
    expect(api.count('list', 'applications')).toBe(2);
  });

  it('resumes a watch the server ended from its resourceVersion, without listing', async () => {
    const service = await start();
    api.closeWatches();
    api.put(
      'applications',
      application('infrastructure', { phase: 'Running' }),
    );
    await eventually('the change', () => phaseOf(service) === 'Running');
    expect(api.count('list')).toBe(3);
    expect(api.count('watch', 'applications')).toBe(2);
  });

  it('serves the last known state while a watch fails, says so, and recovers with backoff', async () => {
    const logger = mockServices.logger.mock();
    const service = await start({ logger });
    api.watchStatus = 500;
    api.closeWatches();
    await eventually('stale', () =>
      service.cacheStatus().every(c => c.state === 'stale'),
    );
    expect(service.isStale('sandbox')).toBe(true);
    expect(service.cacheStatus()[0]).toMatchObject({
      kind: 'Application',
      state: 'stale',
      objects: 2,
      error: expect.stringMatching(/^500/),
    });
    // The last known objects, but not "Missing": the cache may be behind.
    expect(service.applications(ENV)[0].operationPhase).toBe('Succeeded');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /Watching applications on cluster "sandbox" failed .*retrying in \d+ ms/,
      ),
    );
    const failing = api.count('watch', 'applications');
    await eventually(
      'a retry',
      () => api.count('watch', 'applications') > failing,
    );

    api.put(
      'applications',
      application('infrastructure', { phase: 'Running' }),
    );
    api.watchStatus = undefined;
    await eventually('watching again', () =>
      service.cacheStatus().every(c => c.state === 'watching'),
    );
    await eventually(
      'the change made meanwhile',
      () => phaseOf(service) === 'Running',
    );
    expect(service.isStale('sandbox')).toBe(false);
  });

  it('lists periodically where watching is forbidden', async () => {
    api.watchStatus = 403;
    const service = await start({ pollIntervalMs: 20 });
    await eventually('polling', () =>
      service.cacheStatus().every(c => c.state === 'polling'),
    );
    expect(phaseOf(service)).toBe('Succeeded');
    api.put(
      'applications',
      application('infrastructure', { phase: 'Running' }),
    );
    await eventually(
      'the change, by a list',
      () => phaseOf(service) === 'Running',
    );
    // One forbidden watch per kind, then lists only.
    expect(api.count('watch')).toBe(3);

    await service.stop();
    const lists = api.count('list');
    await sleep(60);
    expect(api.count('list')).toBe(lists);
  });

  it('keeps serving one cluster while another is unreachable', async () => {
    const gone = await FakeKubeApi.start();
    await gone.close();
    const logger = mockServices.logger.mock();
    const service = new WatchWaveStatusService({
      clusters: api.registry('sandbox', [
        {
          info: { name: 'gone', url: gone.url },
          kubeConfig: () => gone.kubeConfig(),
        },
      ]),
      logger,
      coalesceMs: 0,
      retry: { initialDelayMs: 10, maxDelayMs: 40 },
      startTimeoutMs: 2_000,
    });
    services.push(service);
    await service.start();

    expect(phaseOf(service)).toBe('Succeeded');
    expect(service.isStale('sandbox')).toBe(false);
    expect(service.isStale('gone')).toBe(true);
    const elsewhere = service.applications({ ...ENV, cluster: 'gone' });
    expect(elsewhere.map(a => a.health)).toEqual(['Unknown', 'Unknown']);
    // Not configured at all: the same, no throw.
    expect(
      service.applications({ ...ENV, cluster: 'nowhere' }).map(a => a.health),
    ).toEqual(['Unknown', 'Unknown']);
  });

  it('closes every watch on stop, even one still being set up', async () => {
    const service = await start();
    expect(api.openWatches).toBe(3);
    await service.stop();
    await eventually('the watches to close', () => api.openWatches === 0);

    // Stopped while listing: nothing stays open.
    const racing = new WatchWaveStatusService({
      clusters: api.registry(),
      logger: mockServices.logger.mock(),
    });
    const starting = racing.start();
    await racing.stop();
    await starting;
    await sleep(30);
    expect(api.openWatches).toBe(0);
    const requests = api.requests.length;
    await sleep(50);
    expect(api.requests).toHaveLength(requests);
  });

  describe('with Argo CD 3.x Applications (resourceHealthSource appTree)', () => {
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
      api.put('applications', appTreeApplication());
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
      const registry = api.registry();
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
      await eventually(
        'the tree',
        () => clf()?.healthSource === 'resource-tree',
      );
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
      api.put('clusterlogforwarders', {
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
      api.put('applications', appTreeApplication());
      api.put('clusterlogforwarders', {
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
});
