/** Summary statistics of a sample (milliseconds unless said otherwise). */
export interface Summary {
  count: number;
  min: number;
  p50: number;
  mean: number;
  p95: number;
  max: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Summarises a sample, rounded to 0.1. */
export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: round(sorted[0] ?? NaN),
    p50: round(quantile(sorted, 0.5)),
    mean: round(sorted.length ? sum / sorted.length : NaN),
    p95: round(quantile(sorted, 0.95)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

/** Milliseconds since `start` (a `performance.now()` value). */
export function since(start: number): number {
  return performance.now() - start;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Polls `fn` until it returns something defined, or throws after `ms`. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 30_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Closed-loop load: `workers` concurrent viewers, each calling `view()`,
 * then thinking for a random time (uniform in 0 to 2 x `thinkMs`), until
 * `durationMs` passed. Returns each view's latency; a failing view is
 * rethrown.
 */
export async function closedLoop(options: {
  workers: number;
  durationMs: number;
  thinkMs: number;
  random: () => number;
  view: (worker: number) => Promise<unknown>;
}): Promise<number[]> {
  const { workers, durationMs, thinkMs, random, view } = options;
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      // Viewers arrive spread over one think time, not all at once.
      await sleep(random() * thinkMs);
      while (performance.now() < end) {
        const start = performance.now();
        await view(worker);
        latencies.push(since(start));
        await sleep(random() * 2 * thinkMs);
      }
    }),
  );
  return latencies;
}
