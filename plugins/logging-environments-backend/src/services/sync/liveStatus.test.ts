import { application } from '../waves/__testUtils__/applications';
import {
  followStatuses,
  followedResources,
  generationsBefore,
} from './liveStatus';

const KEY = 'LokiStack/openshift-logging/logging-loki';
const stack = (generation: number, ready: string) => ({
  metadata: { generation },
  status: { conditions: [{ type: 'Ready', status: ready }] },
});
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('followedResources', () => {
  it("is the stage's LokiStacks, or ClusterLogForwarders, from its Application", () => {
    expect(
      followedResources(application('infrastructure'), 'infrastructure'),
    ).toEqual([
      {
        apiVersion: 'loki.grafana.com/v1',
        group: 'loki.grafana.com',
        kind: 'LokiStack',
        namespace: 'openshift-logging',
        name: 'logging-loki',
      },
    ]);
    expect(
      followedResources(application('forwarder'), 'forwarder').map(r => r.kind),
    ).toEqual(['ClusterLogForwarder']);
  });
});

describe('followStatuses', () => {
  const follow = (
    before: number | null,
    objects: Array<[string, object]>,
    seen?: object,
    now = T0,
  ) =>
    followStatuses(
      { before: { [KEY]: before }, ...(seen ? { seen: seen as any } : {}) },
      new Map(objects as any),
      { now, reactionMs: 30_000 },
    );

  it('trusts a resource the sync created, or did not change', () => {
    expect(follow(null, [[KEY, stack(1, 'True')]]).stale.size).toBe(0);
    expect(follow(4, [[KEY, stack(4, 'True')]]).stale.size).toBe(0);
  });

  it('does not trust a changed one until its status changes, or reactionMs passed', () => {
    const first = follow(1, [[KEY, stack(2, 'True')]]);
    expect([...first.stale.values()]).toEqual([
      'Waiting for the Loki Operator to report on the change this sync made to LokiStack logging-loki (generation 1 to 2): the status it shows was written before',
    ]);
    const seen = first.data.seen;
    expect(seen).toEqual({
      [KEY]: {
        generation: 2,
        status: JSON.stringify(stack(2, 'True').status),
        at: new Date(T0).toISOString(),
      },
    });

    // Same status, 29 s later: still not.
    expect(
      follow(1, [[KEY, stack(2, 'True')]], seen, T0 + 29_000).stale.size,
    ).toBe(1);
    // 30 s: the operator had its chance; what it shows counts.
    expect(
      follow(1, [[KEY, stack(2, 'True')]], seen, T0 + 30_000).stale.size,
    ).toBe(0);

    // It reported: trusted from then on, whatever it writes next.
    const reported = follow(1, [[KEY, stack(2, 'False')]], seen, T0 + 1_000);
    expect(reported.stale.size).toBe(0);
    expect(
      follow(1, [[KEY, stack(2, 'True')]], reported.data.seen, T0 + 2_000).stale
        .size,
    ).toBe(0);

    // A newer generation starts over.
    expect(
      follow(1, [[KEY, stack(3, 'False')]], reported.data.seen, T0 + 3_000)
        .stale.size,
    ).toBe(1);
  });

  it('records generations before the sync, null for what does not exist', () => {
    const resources = followedResources(
      application('infrastructure'),
      'infrastructure',
    );
    expect(generationsBefore(resources, new Map())).toEqual({
      before: { [KEY]: null },
    });
    expect(
      generationsBefore(resources, new Map([[KEY, stack(7, 'True')]])),
    ).toEqual({ before: { [KEY]: 7 } });
  });
});
