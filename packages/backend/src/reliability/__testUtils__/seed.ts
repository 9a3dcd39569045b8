/** The seed CI uses, so that a CI run can be replayed exactly. */
export const CI_SEED = 21;

/**
 * The seed of a randomized reliability test: `RELIABILITY_SEED` when set,
 * {@link CI_SEED} under CI, else a random one. The test prints it so that
 * a failing sequence can be replayed with `RELIABILITY_SEED=<seed>`.
 */
export function reliabilitySeed(env = process.env): number {
  const given = env.RELIABILITY_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(
        `RELIABILITY_SEED must be a non-negative integer, not "${given}"`,
      );
    }
    return seed;
  }
  if (env.CI === 'true' || env.CI === '1') return CI_SEED;
  return Math.floor(Math.random() * 1_000_000);
}

/** A small seeded generator (an LCG): the same seed, the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
