/**
 * The small runtime the simulated operators share: a keyed work queue fed by
 * store watches and periodic resyncs (what controller-runtime gives a real
 * operator), status writes that re-read on a 409 Conflict and skip no-op
 * writes, and Kubernetes condition helpers.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, KubeObject, ObjectRef, ObjectStore } from '../kube/types';
import { ControllerContext } from './types';

/** A `metav1.Condition` (the fields the upstream operators set). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
  [key: string]: unknown;
}

/** RFC 3339 with second precision, as `metav1.Time` serialises. */
export function kubeTime(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Identity of an object in work queues: `<namespace>/<name>` or `<name>`. */
export function keyOf(o: { metadata: { namespace?: string; name: string } }) {
  return o.metadata.namespace
    ? `${o.metadata.namespace}/${o.metadata.name}`
    : o.metadata.name;
}

/** The inverse of {@link keyOf}. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0
    ? { name: key }
    : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** JSON with sorted keys, to compare objects whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map(k => [k, v[k]]),
        )
      : v,
  );
}

/**
 * Sets a condition in a list the way `meta.SetStatusCondition` does: a
 * condition of the same type is replaced, and `lastTransitionTime` only moves
 * when the status changes (so a steady state causes no write). Returns a new
 * list.
 */
export function setCondition(
  conditions: Condition[] | undefined,
  next: Condition,
  now = kubeTime(),
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex(c => c.type === next.type);
  const previous = i >= 0 ? list[i] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime:
      previous && previous.status === next.status
        ? previous.lastTransitionTime ?? now
        : now,
  };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

/** The condition of a type, if any. */
export function findCondition(
  o: KubeObject | undefined,
  type: string,
): Condition | undefined {
  const conditions = (o?.status as { conditions?: Condition[] } | undefined)
    ?.conditions;
  return Array.isArray(conditions)
    ? conditions.find(c => c?.type === type)
    : undefined;
}

/** A core/v1 Secret's data decoded from base64 (keys with empty values kept). */
export function secretData(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (secret.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) {
    out[k] = Buffer.from(String(v ?? ''), 'base64').toString('utf8');
  }
  // stringData is write-only on a real API server (merged into data); the
  // sandbox stores objects as given, so honour it the same way.
  const stringData = (secret.stringData ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(stringData)) out[k] = String(v ?? '');
  return out;
}

/**
 * Replaces the status of the object at `ref` with what `compute` returns for
 * the latest stored object. Nothing is written when the result equals the
 * stored status or `compute` returns undefined; a 409 Conflict (someone wrote
 * in between) re-reads and recomputes, as a controller requeue would.
 * Returns the stored object, or undefined if it is gone.
 */
export function writeStatus(
  store: ObjectStore,
  ref: ObjectRef,
  compute: (current: KubeObject) => Record<string, unknown> | undefined,
): KubeObject | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = store.get(ref);
    if (!current) return undefined;
    const status = compute(current);
    if (status === undefined) return current;
    if (stableJson(status) === stableJson(current.status ?? {})) {
      return current;
    }
    try {
      return store.updateStatus({ ...current, status });
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) continue;
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }
  return store.get(ref);
}

/** What a controller's work queue watches. */
export interface WatchSpec {
  apiVersion: string;
  kind: string;
  /** Keys to reconcile for an event on an object of this kind. */
  keys: (o: KubeObject, type: string) => string[];
}

/** Options of {@link startWorkQueue}. */
export interface WorkQueueOptions {
  ctx: ControllerContext;
  name: string;
  watches: WatchSpec[];
  /** Every key to reconcile on a resync (the primary objects). */
  listKeys: () => string[];
  /** Resync period; none when 0. */
  resyncMs: number;
  /**
   * Reconciles one key; returns how long until it wants to run again
   * (a `RequeueAfter`), or nothing.
   */
  reconcile: (key: string) => Promise<number | void> | number | void;
}

/** A running work queue. */
export interface WorkQueue {
  /** Queues a key now (deduplicated while it is pending). */
  enqueue(key: string): void;
  /** Queues a key after a delay (the earliest pending delay wins). */
  enqueueAfter(key: string, ms: number): void;
  /** Whether stop() was called; reconcilers must not write after it. */
  stopped(): boolean;
  /** Settles when nothing is queued or running (for tests). */
  idle(): Promise<void>;
  stop(): void;
}

/**
 * A keyed work queue like controller-runtime's: each key is reconciled by
 * one worker at a time (an event during a reconcile queues one more run),
 * watch events and a periodic resync feed it, and a reconcile may ask to run
 * again after a delay. Errors are logged and retried after the resync period.
 */
export function startWorkQueue(options: WorkQueueOptions): WorkQueue {
  const { ctx, name } = options;
  let isStopped = false;
  const pending = new Set<string>();
  const running = new Set<string>();
  const again = new Set<string>();
  const delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  const idleWaiters: Array<() => void> = [];

  const checkIdle = () => {
    if (pending.size || running.size) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const enqueueAfter = (key: string, ms: number) => {
    if (isStopped) return;
    const at = Date.now() + Math.max(0, ms);
    const existing = delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      delayed.delete(key);
      enqueue(key);
    }, Math.max(0, ms));
    delayed.set(key, { at, timer });
  };

  const run = async (key: string) => {
    running.add(key);
    try {
      const requeue = await options.reconcile(key);
      if (typeof requeue === 'number' && requeue >= 0) {
        enqueueAfter(key, requeue);
      }
    } catch (e) {
      // After stop(), failures of work still in flight are expected noise.
      if (!isStopped) {
        ctx.log(
          `${name}: reconcile of ${key} failed: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
      }
      if (options.resyncMs > 0) enqueueAfter(key, options.resyncMs);
    } finally {
      running.delete(key);
      if (again.delete(key)) enqueue(key);
      checkIdle();
    }
  };

  function enqueue(key: string) {
    if (isStopped) return;
    if (running.has(key)) {
      again.add(key);
      return;
    }
    if (pending.has(key)) return;
    pending.add(key);
    // Reconcile outside the writer's call stack: store watch handlers run
    // synchronously inside the write that triggered them.
    setImmediate(() => {
      pending.delete(key);
      if (isStopped) {
        checkIdle();
        return;
      }
      void run(key);
    });
  }

  const unsubscribes = options.watches.map(w =>
    ctx.store.watch(w.apiVersion, w.kind, event => {
      for (const key of w.keys(event.object, event.type)) enqueue(key);
    }),
  );
  for (const key of options.listKeys()) enqueue(key);
  const resync =
    options.resyncMs > 0
      ? setInterval(() => {
          for (const key of options.listKeys()) enqueue(key);
        }, options.resyncMs)
      : undefined;

  return {
    enqueue,
    enqueueAfter,
    stopped: () => isStopped,
    idle: () =>
      new Promise<void>(resolve => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    stop() {
      isStopped = true;
      for (const u of unsubscribes) u();
      if (resync) clearInterval(resync);
      for (const { timer } of delayed.values()) clearTimeout(timer);
      delayed.clear();
      pending.clear();
      checkIdle();
    },
  };
}

/** Keys of the primary objects of a kind (all namespaces). */
export function listKeys(
  store: ObjectStore,
  apiVersion: string,
  kind: string,
): string[] {
  return store.list(apiVersion, kind).map(keyOf);
}

/** The ObjectRef of a key of a kind. */
export function refOf(apiVersion: string, kind: string, key: string) {
  const { namespace, name } = splitKey(key);
  return { apiVersion, kind, namespace, name };
}

/**
 * Creates a core/v1 Event about an object, as an operator's event recorder
 * does (the details a condition message leaves out, e.g. ESO's
 * `UpdateFailed`). Never put secret values in `message`.
 */
export function recordEvent(
  store: ObjectStore,
  involved: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
) {
  const namespace = involved.metadata.namespace ?? 'default';
  const now = kubeTime();
  try {
    store.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        // Random, as unique as the event recorder's: several Events about
        // one object are often written in the same millisecond.
        name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`,
        namespace,
      },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: involved.metadata.namespace,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      reportingComponent: component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  } catch {
    // Events are best effort, as in Kubernetes (e.g. namespace being deleted).
  }
}
