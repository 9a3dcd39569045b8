import { CacheTimers } from '../InformerCache';

/**
 * Timers the test fires itself: a coalescing window ends, a poll or a
 * retry happens when the test says so, never because the machine was slow
 * or fast.
 */
export class ManualTimers implements CacheTimers {
  private readonly due = new Map<number, () => void>();
  private next = 0;

  setTimeout(fn: () => void, _ms: number): unknown {
    const handle = ++this.next;
    this.due.set(handle, fn);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  /** Timers scheduled and neither fired nor cleared. */
  get pending(): number {
    return this.due.size;
  }

  /** Fires every pending timer (not those they schedule); returns how many. */
  fire(): number {
    const fns = [...this.due.values()];
    this.due.clear();
    for (const fn of fns) fn();
    return fns.length;
  }
}
