import { CacheStatus } from './InformerCache';
import { watchReadiness } from './readiness';

const kinds = (
  cluster: string,
  ...states: CacheStatus['state'][]
): CacheStatus[] =>
  states.map((state, i) => ({ cluster, kind: `K${i}`, state, objects: 0 }));

describe('watchReadiness', () => {
  it('is starting until every cluster had its first list or failed it', () => {
    expect(watchReadiness(['a', 'b'], [])).toEqual({
      status: 'starting',
      clusters: [
        { name: 'a', state: 'starting' },
        { name: 'b', state: 'starting' },
      ],
      unreachable: [],
    });
    expect(
      watchReadiness(
        ['a', 'b'],
        [
          ...kinds('a', 'watching', 'watching'),
          ...kinds('b', 'watching', 'starting'),
        ],
      ).status,
    ).toBe('starting');
    // A cluster that failed does not hold the others back, but is named.
    expect(
      watchReadiness(
        ['a', 'b'],
        [...kinds('a', 'watching', 'starting'), ...kinds('b', 'stale')],
      ),
    ).toEqual({
      status: 'starting',
      clusters: [
        { name: 'a', state: 'starting' },
        { name: 'b', state: 'unreachable' },
      ],
      unreachable: ['b'],
    });
  });

  it('is ok when every cluster is watched or polled, degraded with an unreachable one', () => {
    expect(
      watchReadiness(
        ['a', 'b'],
        [...kinds('a', 'watching', 'polling'), ...kinds('b', 'watching')],
      ),
    ).toEqual({
      status: 'ok',
      clusters: [
        { name: 'a', state: 'ready' },
        { name: 'b', state: 'ready' },
      ],
      unreachable: [],
    });
    expect(
      watchReadiness(
        ['a', 'b'],
        [...kinds('a', 'watching', 'stale'), ...kinds('b', 'watching')],
      ),
    ).toEqual({
      status: 'degraded',
      clusters: [
        { name: 'a', state: 'unreachable' },
        { name: 'b', state: 'ready' },
      ],
      unreachable: ['a'],
    });
  });
});
