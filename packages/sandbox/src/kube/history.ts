import { MemoryObjectStore } from './store';
import { ResourceType, WatchEvent, apiVersionOf } from './types';

/** A watch asked for a resourceVersion the history no longer covers (410 Expired). */
export class ResourceExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceExpiredError';
  }
}

/** A watch event with the revision it happened at. */
export interface RecordedEvent {
  /** Orders events; fractional for events the store emits without a revision of their own. */
  revision: number;
  event: WatchEvent;
}

interface TypeHistory {
  events: RecordedEvent[];
  /** Every event after this revision is in `events`. */
  completeAfter: number;
  listeners: Set<(e: RecordedEvent) => void>;
}

/**
 * A bounded, per-type history of the store's watch events, so a watch can
 * resume from a `resourceVersion` (what informers do after a list or a
 * dropped connection). Older versions get `410 Expired`, as from a real
 * API server whose watch cache has moved on.
 */
export class WatchHistory {
  private readonly byType = new Map<string, TypeHistory>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly store: MemoryObjectStore,
    private readonly capacity = 1000,
  ) {
    const start = Number(store.currentRevision());
    for (const type of store.types()) {
      const history: TypeHistory = {
        events: [],
        completeAfter: start,
        listeners: new Set(),
      };
      this.byType.set(this.key(type), history);
      this.unsubscribe.push(
        store.watch(apiVersionOf(type), type.kind, event =>
          this.record(history, event),
        ),
      );
    }
  }

  /** Stops recording. */
  stop() {
    this.unsubscribe.forEach(u => u());
    this.unsubscribe.length = 0;
  }

  /**
   * Events of `type` after `revision` (replayed synchronously, oldest first)
   * then live events, to `listener` until the returned function is called.
   * Throws {@link ResourceExpiredError} when events after `revision` are no longer
   * all kept.
   */
  follow(
    type: ResourceType,
    revision: number | undefined,
    listener: (e: RecordedEvent) => void,
  ): () => void {
    const history = this.byType.get(this.key(type));
    if (!history) throw new Error(`not a served type: ${type.kind}`);
    if (revision !== undefined) {
      if (revision < history.completeAfter) {
        throw new ResourceExpiredError(
          `too old resource version: ${revision} (${history.completeAfter})`,
        );
      }
      for (const e of history.events) if (e.revision > revision) listener(e);
    }
    history.listeners.add(listener);
    return () => history.listeners.delete(listener);
  }

  private record(history: TypeHistory, event: WatchEvent) {
    const current = Number(this.store.currentRevision());
    const own = Number(event.object.metadata.resourceVersion);
    // Objects deleted with their namespace carry their last revision; place
    // them just after the current one so a watch from "now" still sees them.
    const revision = own >= current ? own : current + 0.5;
    const recorded = { revision, event };
    history.events.push(recorded);
    if (history.events.length > this.capacity) {
      const dropped = history.events.shift()!;
      history.completeAfter = Math.floor(dropped.revision);
    }
    for (const l of [...history.listeners]) l(recorded);
  }

  private key(type: ResourceType) {
    return `${apiVersionOf(type)}/${type.kind}`;
  }
}
