/** Polls `fn` every 10 ms until it returns something truthy; throws after `deadlineMs`. */
export async function eventually<T>(
  what: string,
  fn: () => T | undefined | false,
  deadlineMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise(r => setTimeout(r, 10));
  }
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
