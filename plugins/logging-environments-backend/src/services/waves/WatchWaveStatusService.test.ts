import { mockServices } from '@backstage/backend-test-utils';
import { buildApplicationStatus } from './applicationStatus';
import { WatchWaveStatusService } from './WatchWaveStatusService';
import { application } from './__testUtils__/applications';
import { FakeKubeApi } from './__testUtils__/fakeKubeApi';
import { lokiStack } from './__testUtils__/lokiStack';
import {
  ENV,
  REF,
  useWatchWaveStatusService,
} from './__testUtils__/watchWaveStatus';
import { ManualTimers } from './__testUtils__/manualTimers';
import { eventually } from './__testUtils__/waiting';

describe('WatchWaveStatusService', () => {
  const harness = useWatchWaveStatusService();
  const { start } = harness;

  const phaseOf = (service: WatchWaveStatusService) =>
    service.applications(ENV)[0].operationPhase;

  it('lists and watches each kind once, then serves every read from the cache', async () => {
    const service = await start();
    expect(harness.api.requests).toEqual(
      expect.arrayContaining([
        { verb: 'list', plural: 'applications' },
        { verb: 'list', plural: 'lokistacks' },
        { verb: 'list', plural: 'clusterlogforwarders' },
        { verb: 'watch', plural: 'applications' },
        { verb: 'watch', plural: 'lokistacks' },
        { verb: 'watch', plural: 'clusterlogforwarders' },
      ]),
    );
    expect(harness.api.requests).toHaveLength(6);

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

    // Page views: no request at all (the server has handled a request
    // sent after them).
    for (let i = 0; i < 1000; i++) service.applications(ENV);
    await harness.api.barrier();
    expect(harness.api.requests).toHaveLength(6);
    expect(
      service.cacheStatus().map(c => [c.kind, c.state, c.objects]),
    ).toEqual([
      ['Application', 'watching', 2],
      ['LokiStack', 'watching', 1],
      ['ClusterLogForwarder', 'watching', 1],
    ]);
  });

  it('applies watch events to the cache and reports the environment once per burst', async () => {
    const timers = new ManualTimers();
    const service = await start({ coalesceMs: 30, timers });
    // The first list opened one window; end it before listening.
    expect(timers.fire()).toBe(1);
    const seen: string[] = [];
    service.onChange(ref => seen.push(ref));
    const cached = (apiVersion: string, kind: string, name: string) =>
      service.object('sandbox', apiVersion, kind, 'openshift-logging', name);

    const phases = ['Running', 'Running', 'Succeeded'] as const;
    phases.forEach((phase, i) =>
      harness.api.put(
        'applications',
        application('infrastructure', { phase, message: `step ${i}` }),
      ),
    );
    await eventually(
      'the last update',
      () => service.applications(ENV)[0].operationMessage === 'step 2',
    );
    // The whole burst is applied, inside one window: reported once, at its end.
    expect(seen).toEqual([]);
    expect(timers.fire()).toBe(1);
    expect(seen).toEqual([REF]);

    // A LokiStack names its Application in Argo CD's tracking annotation.
    harness.api.put('lokistacks', lokiStack({ status: { conditions: [] } }));
    await eventually(
      'the LokiStack change',
      () =>
        cached('loki.grafana.com/v1', 'LokiStack', 'logging-loki')?.status
          .conditions.length === 0,
    );
    expect(timers.fire()).toBe(1);
    expect(seen).toEqual([REF, REF]);
    // A forwarder without tracking: by its namespace, the Applications' destination.
    harness.api.put('clusterlogforwarders', {
      metadata: { name: 'collector', namespace: 'openshift-logging' },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    });
    await eventually(
      'the forwarder change',
      () =>
        cached(
          'observability.openshift.io/v1',
          'ClusterLogForwarder',
          'collector',
        )?.status.conditions[0].status === 'False',
    );
    expect(timers.fire()).toBe(1);
    expect(seen).toHaveLength(3);

    // Only what the portal shows counts: a new reconciledAt is no change.
    const app = application('forwarder', { phase: 'Succeeded' });
    app.status!.reconciledAt = '2026-01-01T00:05:00Z';
    harness.api.put('applications', app);
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
    expect(timers.pending).toBe(0);
    expect(seen).toHaveLength(3);

    harness.api.remove(
      'applications',
      'openshift-gitops',
      'acme-prod-logging-forwarder',
    );
    await eventually(
      'the deletion',
      () => service.applications(ENV)[1].health === 'Missing',
    );
    expect(timers.fire()).toBe(1);
    expect(seen).toHaveLength(4);
  });

  it('lists again after 410 Expired, catching up with what it missed', async () => {
    const service = await start();
    const seen: string[] = [];
    service.onChange(ref => seen.push(ref));
    expect(harness.api.count('list', 'applications')).toBe(1);

    harness.api.expire(() => {
      harness.api.put(
        'applications',
        application('infrastructure', { phase: 'Running' }),
      );
      harness.api.remove(
        'applications',
        'openshift-gitops',
        'acme-prod-logging-forwarder',
      );
    });

    await eventually(
      'the re-list',
      () => harness.api.count('list', 'applications') === 2,
    );
    await eventually(
      'the missed changes',
      () =>
        phaseOf(service) === 'Running' &&
        service.applications(ENV)[1].health === 'Missing',
    );
    expect(seen).toContain(REF);
    await eventually('watching again', () => harness.api.openWatches === 3);
    // Still one list per kind that expired, and watching from there.
    harness.api.put(
      'applications',
      application('infrastructure', { phase: 'Succeeded' }),
    );
    await eventually('a later change', () => phaseOf(service) === 'Succeeded');
    expect(harness.api.count('list', 'applications')).toBe(2);
  });

  it('resumes a watch the server ended from its resourceVersion, without listing', async () => {
    const service = await start();
    harness.api.closeWatches();
    harness.api.put(
      'applications',
      application('infrastructure', { phase: 'Running' }),
    );
    await eventually('the change', () => phaseOf(service) === 'Running');
    expect(harness.api.count('list')).toBe(3);
    expect(harness.api.count('watch', 'applications')).toBe(2);
  });

  it('serves the last known state while a watch fails, says so, and recovers with backoff', async () => {
    const logger = mockServices.logger.mock();
    const service = await start({ logger });
    harness.api.watchStatus = 500;
    harness.api.closeWatches();
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
      { cluster: 'sandbox', kind: 'applications' },
    );
    const failing = harness.api.count('watch', 'applications');
    await eventually(
      'a retry',
      () => harness.api.count('watch', 'applications') > failing,
    );

    harness.api.put(
      'applications',
      application('infrastructure', { phase: 'Running' }),
    );
    harness.api.watchStatus = undefined;
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
    harness.api.watchStatus = 403;
    const timers = new ManualTimers();
    const service = await start({ pollIntervalMs: 20, timers });
    // Each kind's watch is refused: it switches to lists, at its next timer.
    await eventually('the refusals', () => timers.pending === 3);
    timers.fire();
    await eventually('polling', () =>
      service.cacheStatus().every(c => c.state === 'polling'),
    );
    expect(phaseOf(service)).toBe('Succeeded');
    harness.api.put(
      'applications',
      application('infrastructure', { phase: 'Running' }),
    );
    // The next poll of every kind.
    await eventually('the polls to be scheduled', () => timers.pending === 3);
    const lists = harness.api.count('list');
    timers.fire();
    await eventually(
      'the change, by a list',
      () => phaseOf(service) === 'Running',
    );
    expect(harness.api.count('list')).toBeGreaterThan(lists);
    // One forbidden watch per kind, then lists only.
    expect(harness.api.count('watch')).toBe(3);

    await service.stop();
    // Nothing left to list again.
    expect(timers.pending).toBe(0);
    const after = harness.api.count('list');
    expect(timers.fire()).toBe(0);
    await harness.api.barrier();
    expect(harness.api.count('list')).toBe(after);
  });

  it('keeps serving one cluster while another is unreachable', async () => {
    const gone = await FakeKubeApi.start();
    await gone.close();
    const logger = mockServices.logger.mock();
    const service = await start({
      clusters: harness.api.registry('sandbox', [
        {
          info: { name: 'gone', url: gone.url },
          kubeConfig: () => gone.kubeConfig(),
        },
      ]),
      logger,
      startTimeoutMs: 2_000,
    });

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
    expect(harness.api.openWatches).toBe(3);
    await service.stop();
    await eventually(
      'the watches to close',
      () => harness.api.openWatches === 0,
    );

    // Stopped while listing: nothing stays open.
    const timers = new ManualTimers();
    const racing = new WatchWaveStatusService({
      clusters: harness.api.registry(),
      logger: mockServices.logger.mock(),
      coalesceMs: 0,
      timers,
    });
    const starting = racing.start();
    await racing.stop();
    await starting;
    await eventually(
      'the watches to close',
      () => harness.api.openWatches === 0,
    );
    // No retry scheduled, and the server has seen all it will.
    expect(timers.pending).toBe(0);
    await harness.api.barrier();
    const requests = harness.api.requests.length;
    expect(harness.api.openWatches).toBe(0);
    await harness.api.barrier();
    expect(harness.api.requests).toHaveLength(requests);
  });
});
