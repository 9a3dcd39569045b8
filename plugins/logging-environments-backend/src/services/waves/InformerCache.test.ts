/**
 * The generic contract of the cache, with kinds the portal does not know:
 * reads, change detection by fingerprint, reporting by key with coalescing.
 * How it lists, watches, resumes, polls and retries is tested through
 * WatchWaveStatusService (WatchWaveStatusService.test.ts).
 */
import { mockServices } from '@backstage/backend-test-utils';
import {
  CachedObject,
  InformerCache,
  InformerCacheOptions,
  ObjectChange,
  WatchedKind,
} from './InformerCache';
import { FakeKubeApi } from './__testUtils__/fakeKubeApi';
import { ManualTimers } from './__testUtils__/manualTimers';
import { eventually } from './__testUtils__/waiting';

const KINDS: WatchedKind[] = [
  {
    id: 'widgets',
    group: 'example.com',
    version: 'v1',
    plural: 'widgets',
    kind: 'Widget',
    labelSelector: 'team=a',
  },
  {
    id: 'gadgets',
    group: 'example.com',
    version: 'v2',
    plural: 'gadgets',
    kind: 'Gadget',
  },
];

const widget = (name: string, spec: Record<string, any> = {}, status = {}) => ({
  metadata: { name, namespace: 'ns', labels: { team: 'a' } },
  spec,
  status,
});

describe('InformerCache', () => {
  let api: FakeKubeApi;
  const caches: InformerCache[] = [];
  let changes: ObjectChange[];

  beforeEach(async () => {
    api = await FakeKubeApi.start();
    api.put('widgets', widget('w1', { size: 1 }));
    api.put('widgets', {
      metadata: { name: 'w2', namespace: 'ns', labels: { team: 'b' } },
    });
    api.put('gadgets', { metadata: { name: 'g1', namespace: 'ns' } });
    changes = [];
  });

  afterEach(async () => {
    await Promise.all(caches.splice(0).map(c => c.stop()));
    await api.close();
  });

  async function start(
    options: Partial<InformerCacheOptions> = {},
  ): Promise<InformerCache> {
    const cache = new InformerCache({
      clusters: api.registry(),
      kinds: KINDS,
      logger: mockServices.logger.mock(),
      fingerprint: (o: CachedObject) => JSON.stringify(o.spec ?? null),
      // Widgets are reported by name; gadgets are nobody's concern.
      keysOf: change => {
        changes.push(change);
        const o = change.after ?? change.before;
        return change.kind.id === 'widgets'
          ? [`widget ${o?.metadata?.name}`]
          : [];
      },
      coalesceMs: 0,
      ...options,
    });
    caches.push(cache);
    await cache.start();
    return cache;
  }

  it('lists and watches every kind of every cluster, and serves reads from memory', async () => {
    const cache = await start();
    expect(api.count('list')).toBe(2);
    expect(api.count('watch')).toBe(2);

    expect([...cache.objects('sandbox', 'widgets')!.keys()]).toEqual(['ns/w1']);
    expect(cache.get('sandbox', 'widgets', 'ns', 'w1')?.spec).toEqual({
      size: 1,
    });
    expect(cache.get('sandbox', 'widgets', 'ns', 'w2')).toBeUndefined();
    expect(cache.get('sandbox', 'gadgets', 'ns', 'g1')).toBeDefined();
    expect(cache.isComplete('sandbox', 'widgets')).toBe(true);
    expect(cache.status()).toEqual([
      { cluster: 'sandbox', kind: 'Widget', state: 'watching', objects: 1 },
      { cluster: 'sandbox', kind: 'Gadget', state: 'watching', objects: 1 },
    ]);
    expect(cache.isStale('sandbox')).toBe(false);

    // Not configured: nothing, and no request.
    expect(cache.objects('nowhere', 'widgets')).toBeUndefined();
    expect(cache.objects('sandbox', 'unknown')).toBeUndefined();
    expect(cache.isComplete('nowhere', 'widgets')).toBe(false);
    expect(cache.isStale('nowhere')).toBe(true);
    expect(api.requests).toHaveLength(4);
  });

  it('reports a burst of changes once per key, and nothing for changes without a key', async () => {
    const timers = new ManualTimers();
    const cache = await start({ coalesceMs: 200, timers });
    // The first list opened one window; end it before listening.
    expect(timers.fire()).toBe(1);
    const seen: string[] = [];
    cache.onChange(key => seen.push(key));

    for (const size of [2, 3, 4]) api.put('widgets', widget('w1', { size }));
    api.put('widgets', widget('w3'));
    await eventually('the last change', () =>
      cache.get('sandbox', 'widgets', 'ns', 'w3'),
    );
    expect(cache.get('sandbox', 'widgets', 'ns', 'w1')?.spec.size).toBe(4);
    // Every change is in the cache, inside one window: nothing reported yet.
    expect(seen).toEqual([]);
    expect(timers.fire()).toBe(1);
    expect(seen.sort()).toEqual(['widget w1', 'widget w3']);

    api.put('gadgets', { metadata: { name: 'g2', namespace: 'ns' } });
    await eventually('the gadget', () =>
      cache.get('sandbox', 'gadgets', 'ns', 'g2'),
    );
    // Applied, and no key: no window opened, nothing reported.
    expect(timers.pending).toBe(0);
    expect(seen).toHaveLength(2);
  });

  it('ignores an update that leaves the fingerprint as it was, and reports a deletion with the object before', async () => {
    const cache = await start();
    const seen: string[] = [];
    cache.onChange(key => seen.push(key));
    changes.length = 0;

    api.put('widgets', widget('w1', { size: 1 }, { phase: 'Busy' }));
    await eventually(
      'the update',
      () => cache.get('sandbox', 'widgets', 'ns', 'w1')?.status.phase,
    );
    // Applied (coalesceMs 0: a change would have been reported with it).
    expect(seen).toEqual([]);
    expect(changes).toEqual([]);

    api.remove('widgets', 'ns', 'w1');
    await eventually('the report', () => seen.length === 1);
    expect(seen).toEqual(['widget w1']);
    expect(changes).toEqual([
      {
        cluster: 'sandbox',
        kind: KINDS[0],
        before: expect.objectContaining({ status: { phase: 'Busy' } }),
        after: undefined,
      },
    ]);
    expect(cache.objects('sandbox', 'widgets')!.size).toBe(0);
  });

  it('logs a listener that throws and still tells the others', async () => {
    const logger = mockServices.logger.mock();
    const cache = await start({ logger });
    const seen: string[] = [];
    cache.onChange(() => {
      throw new Error('boom');
    });
    const unsubscribe = cache.onChange(key => seen.push(`first ${key}`));
    cache.onChange(key => seen.push(key));

    api.put('widgets', widget('w1', { size: 2 }));
    await eventually('the report', () => seen.length === 2);
    expect(seen).toEqual(['first widget w1', 'widget w1']);
    expect(logger.warn).toHaveBeenCalledWith(
      'A change listener failed for widget w1: boom',
      { key: 'widget w1' },
    );

    unsubscribe();
    api.put('widgets', widget('w1', { size: 3 }));
    await eventually('the next report', () => seen.length === 3);
    expect(seen[2]).toBe('widget w1');
  });

  it('drops the reports still pending when stopped', async () => {
    const timers = new ManualTimers();
    const cache = await start({ coalesceMs: 500, timers });
    expect(timers.fire()).toBe(1);
    const seen: string[] = [];
    cache.onChange(key => seen.push(key));

    api.put('widgets', widget('w1', { size: 2 }));
    await eventually(
      'the update',
      () => cache.get('sandbox', 'widgets', 'ns', 'w1')?.spec.size === 2,
    );
    expect(timers.pending).toBe(1);
    await cache.stop();
    expect(timers.pending).toBe(0);
    expect(timers.fire()).toBe(0);
    expect(seen).toEqual([]);
  });
});
