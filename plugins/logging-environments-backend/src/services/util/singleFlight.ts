/**
 * Shares one in-flight call per key: callers that ask while a call for the
 * same key is running get its result instead of starting another (a cold
 * cache hit by a hundred page views asks upstream once).
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  run(key: string, call: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const started = call().finally(() => {
      this.#inFlight.delete(key);
    });
    this.#inFlight.set(key, started);
    return started;
  }
}
