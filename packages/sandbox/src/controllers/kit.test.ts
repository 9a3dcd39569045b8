import { KubeObject } from '../kube/types';
import { keyOf, setCondition, startWorkQueue, writeStatus } from './kit';
import { newTestStore, testContext, waitFor } from './__testUtils__/operators';

const LOKI = { apiVersion: 'loki.grafana.com/v1', kind: 'LokiStack' };

function stack(name: string): KubeObject {
  return {
    ...LOKI,
    metadata: { name, namespace: 'default' },
    spec: { size: '1x.demo', storage: { secret: { name: 's', type: 's3' } } },
  };
}

describe('setCondition', () => {
  it('keeps lastTransitionTime while the status does not change', () => {
    const first = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'A', message: 'a' },
      't1',
    );
    const same = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'B', message: 'b' },
      't2',
    );
    expect(same).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'B',
        message: 'b',
        lastTransitionTime: 't1',
      },
    ]);
    const flipped = setCondition(
      same,
      { type: 'Ready', status: 'True', reason: 'C', message: 'c' },
      't3',
    );
    expect(flipped[0].lastTransitionTime).toBe('t3');
  });
});

describe('writeStatus', () => {
  it('writes only changes, and recomputes on a conflict', () => {
    const store = newTestStore();
    const created = store.create(stack('s'));
    const ref = { ...LOKI, namespace: 'default', name: 's' };
    const written = writeStatus(store, ref, () => ({ x: 1 }))!;
    expect(written.metadata.resourceVersion).not.toBe(
      created.metadata.resourceVersion,
    );
    const again = writeStatus(store, ref, () => ({ x: 1 }))!;
    expect(again.metadata.resourceVersion).toBe(
      written.metadata.resourceVersion,
    );

    let calls = 0;
    const result = writeStatus(store, ref, current => {
      calls++;
      if (calls === 1) {
        // Someone else writes in between: the first attempt conflicts.
        store.updateStatus({ ...current, status: { x: 2 } });
      }
      return { ...(current.status as object), y: 1 };
    });
    expect(calls).toBe(2);
    expect(result?.status).toEqual({ x: 2, y: 1 });
  });
});

describe('startWorkQueue', () => {
  it('reconciles each key one at a time, again after events during a run', async () => {
    const store = newTestStore();
    const ctx = testContext(store);
    const runs: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const queue = startWorkQueue({
      ctx,
      name: 'test',
      watches: [{ ...LOKI, keys: o => [keyOf(o)] }],
      listKeys: () => [],
      resyncMs: 0,
      reconcile: async key => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        runs.push(key);
        await new Promise(r => setTimeout(r, 20));
        inFlight--;
      },
    });
    store.create(stack('a'));
    await waitFor(() => runs.length === 1);
    // Two events while the first run is in flight: one more run, not two.
    store.update({
      ...store.get({ ...LOKI, namespace: 'default', name: 'a' })!,
      spec: {
        size: '1x.small',
        storage: { secret: { name: 's', type: 's3' } },
      },
    });
    store.update({
      ...store.get({ ...LOKI, namespace: 'default', name: 'a' })!,
      spec: {
        size: '1x.medium',
        storage: { secret: { name: 's', type: 's3' } },
      },
    });
    await waitFor(() => runs.length === 2);
    // Idle: nothing queued, running or due later (no requeue, no resync).
    await queue.idle();
    expect(runs).toEqual(['default/a', 'default/a']);
    expect(maxInFlight).toBe(1);
    queue.stop();
  });

  it('runs a key again after the delay its reconcile returns, until stopped', async () => {
    const store = newTestStore();
    const ctx = testContext(store);
    let runs = 0;
    const queue = startWorkQueue({
      ctx,
      name: 'test',
      watches: [],
      listKeys: () => ['k'],
      resyncMs: 0,
      reconcile: () => {
        runs++;
        return 10;
      },
    });
    await waitFor(() => runs >= 3);
    queue.stop();
    await queue.idle();
    const after = runs;
    // A witness queue with the same delay runs three more times: the
    // stopped one had as long to run again, and did not.
    let witnessRuns = 0;
    const witness = startWorkQueue({
      ctx,
      name: 'witness',
      watches: [],
      listKeys: () => ['w'],
      resyncMs: 0,
      reconcile: () => {
        witnessRuns++;
        return 10;
      },
    });
    await waitFor(() => witnessRuns >= 3);
    witness.stop();
    expect(runs).toBe(after);
  });
});
