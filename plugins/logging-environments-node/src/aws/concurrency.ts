/**
 * How the IAM ensure operations cope with concurrency: IAM's eventual
 * consistency (bounded retries) and runs for the same user in this
 * process (a lock per key).
 */
import { awsErrorCode } from './errors';

/**
 * IAM is eventually consistent: a user created a moment ago may not be
 * visible to the next call yet. Retries NoSuchEntity a bounded number of
 * times with backoff; everything else fails at once (throttling and 5xx are
 * already retried by the SDK).
 */
export async function eventually<T>(
  fn: () => Promise<T>,
  attempts = 5,
  firstDelayMs = 250,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (awsErrorCode(e) !== 'NoSuchEntity' || i >= attempts) throw e;
      await new Promise(r => setTimeout(r, firstDelayMs * 2 ** (i - 1)));
    }
  }
}

/** Serializes work per key within this process, in order of arrival. */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
