import { hasLiveHealth, liveHealth, staleGeneration } from './liveHealth';

const ready = {
  type: 'Ready',
  status: 'True',
  reason: 'ReadyComponents',
  message: 'All components ready',
};

describe('liveHealth', () => {
  it('evaluates LokiStacks and ClusterLogForwarders with the Lua rules, nothing else', () => {
    expect(
      liveHealth('loki.grafana.com', 'LokiStack', {
        metadata: { generation: 3 },
        status: { conditions: [ready] },
      }),
    ).toEqual({ status: 'Healthy', message: 'All components ready' });
    expect(
      liveHealth('observability.openshift.io', 'ClusterLogForwarder', {
        status: { conditions: [] },
      }),
    ).toEqual({
      status: 'Progressing',
      message: 'Waiting for the collector to become ready',
    });
    expect(liveHealth('external-secrets.io', 'ExternalSecret', {})).toBe(
      undefined,
    );
    expect(hasLiveHealth('loki.grafana.com', 'LokiStack')).toBe(true);
    expect(hasLiveHealth('', 'ServiceAccount')).toBe(false);
  });

  it('does not trust a status whose observedGeneration is behind the spec', () => {
    const stale = {
      metadata: { generation: 3 },
      status: { conditions: [{ ...ready, observedGeneration: 2 }] },
    };
    expect(staleGeneration(stale)).toBe(
      'its status was written for generation 2, its spec is at generation 3',
    );
    expect(liveHealth('loki.grafana.com', 'LokiStack', stale)).toEqual({
      status: 'Progressing',
      message:
        'Waiting for the operator to report on the current spec: its status was written for generation 2, its spec is at generation 3',
    });
    expect(
      staleGeneration({
        metadata: { generation: 3 },
        status: { observedGeneration: 2, conditions: [ready] },
      }),
    ).toMatch(/generation 2/);
    // Current, or nothing to tell by (neither operator writes the field).
    expect(
      staleGeneration({
        metadata: { generation: 3 },
        status: { conditions: [{ ...ready, observedGeneration: 3 }] },
      }),
    ).toBeUndefined();
    expect(
      staleGeneration({
        metadata: { generation: 3 },
        status: { conditions: [ready] },
      }),
    ).toBeUndefined();
  });
});
