import { FaultInjector, seededRandom } from './faults';

/** Which of 200 calls a 30 % fault hits, with the injector given. */
function hits(faults: FaultInjector): number[] {
  faults.add({
    target: 'kube',
    match: '*',
    action: { type: 'error' },
    fraction: 0.3,
  });
  const out: number[] = [];
  for (let i = 0; i < 200; i++) {
    if (faults.decide('kube', 'get:secrets')) out.push(i);
  }
  return out;
}

describe('FaultInjector with a seed', () => {
  it('hits the same calls for the same seed, and other calls for another', () => {
    const first = hits(new FaultInjector(seededRandom(42)));
    expect(hits(new FaultInjector(seededRandom(42)))).toEqual(first);
    expect(hits(new FaultInjector(seededRandom(43)))).not.toEqual(first);
    // About the fraction asked for.
    expect(first.length).toBeGreaterThan(30);
    expect(first.length).toBeLessThan(90);
  });
});
