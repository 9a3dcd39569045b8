import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterRegistry } from '@internal/plugin-logging-environments-node';
import { KubernetesObject } from '@kubernetes/client-node';
import { KindWatch, KindWatchContext } from './KindWatch';

/** A kind of custom object the cache lists and watches on every cluster. */
export interface WatchedKind {
  /** The cache's name for the kind, as passed to {@link InformerCache.get}. */
  id: string;
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** Only objects with these labels (all namespaces either way). */
  labelSelector?: string;
}

/**
 * How fresh one cached kind of one cluster is: `watching` (list + watch),
 * `polling` (watching is forbidden, so it lists periodically), `stale`
 * (the last attempt failed; the last known objects are served while it
 * retries), `starting` (not listed yet).
 */
export type CacheState = 'starting' | 'watching' | 'polling' | 'stale';

/** The state of one cached kind of one cluster. */
export interface CacheStatus {
  cluster: string;
  kind: string;
  state: CacheState;
  /** Objects in the cache. */
  objects: number;
  /** Why the last attempt failed, when stale. */
  error?: string;
}

/** An object in the cache. */
export type CachedObject = KubernetesObject & Record<string, any>;

/** One change of a cached object: no `before` when added, no `after` when deleted. */
export interface ObjectChange {
  cluster: string;
  kind: WatchedKind;
  before?: CachedObject;
  after?: CachedObject;
}

/** Options of {@link InformerCache}. */
export interface InformerCacheOptions {
  /** The clusters to watch (read at `start()`) and their client configuration. */
  clusters: Pick<ClusterRegistry, 'list' | 'kubeConfig'>;
  /** What to watch on every cluster. */
  kinds: readonly WatchedKind[];
  logger: LoggerService;
  /**
   * What of an object counts: an update that leaves its fingerprint as it
   * was is no change (e.g. a new resourceVersion alone).
   */
  fingerprint(o: CachedObject): string;
  /**
   * The keys a change is reported under (to `onChange` listeners); a change
   * with no key is not reported. Called when the change is applied, so it
   * sees the cache as it is then.
   */
  keysOf(change: ObjectChange): Iterable<string>;
  /**
   * How often to list when the cluster forbids watching (403 on the watch);
   * default 30 s.
   */
  pollIntervalMs?: number;
  /** Reconnect delays of a failing cluster: doubled per failure, capped. */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * Changes within this window are reported once per key; default 250 ms,
   * 0 reports each change at once.
   */
  coalesceMs?: number;
  /** How long `start()` (and `stop()`) wait for each cluster; default 10 s. */
  startTimeoutMs?: number;
  /** What schedules coalesced reports, polls and retries; default the global timers. */
  timers?: CacheTimers;
}

/**
 * Schedules the end of a coalescing window, the next poll and the next
 * retry. The global timers by default; a test passes timers it fires
 * itself, so what it asserts does not depend on how fast the machine is.
 *
 * @public
 */
export interface CacheTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const GLOBAL_TIMERS: CacheTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A watch cache of custom objects, kind-agnostic: per configured cluster and
 * watched kind, one {@link KindWatch}, a list + watch (client-node informer: resumes from its
 * resourceVersion, lists again after `410 Expired`) over all namespaces.
 * Reads are served from memory; changes are reported to `onChange`
 * listeners under the keys `keysOf` gives, once per key and `coalesceMs`
 * window.
 *
 * A cluster that forbids watching (403 on the watch) is listed every
 * `pollIntervalMs` instead. A cluster that fails is logged, marked stale
 * (its last known objects are still served) and retried with exponential
 * backoff; the other clusters are not affected.
 */
export class InformerCache {
  private readonly clusters: InformerCacheOptions['clusters'];
  private readonly kinds: readonly WatchedKind[];
  private readonly logger: LoggerService;
  private readonly keysOf: (change: ObjectChange) => Iterable<string>;
  private readonly coalesceMs: number;
  private readonly timers: CacheTimers;
  private readonly startTimeoutMs: number;
  /** What every watch of this cache shares. */
  private readonly context: KindWatchContext;
  private watches = new Map<string, Map<string, KindWatch>>();
  private readonly listeners = new Set<(key: string) => void>();
  private readonly pendingKeys = new Set<string>();
  private flushTimer?: unknown;
  private stopped = true;
  /** Attempts under way, so that stop() can wait for them. */
  private readonly inflight = new Set<Promise<void>>();

  constructor(options: InformerCacheOptions) {
    this.clusters = options.clusters;
    this.kinds = options.kinds;
    this.logger = options.logger;
    this.keysOf = options.keysOf;
    this.coalesceMs = options.coalesceMs ?? 250;
    this.timers = options.timers ?? GLOBAL_TIMERS;
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.context = {
      kubeConfig: cluster => this.clusters.kubeConfig(cluster),
      logger: options.logger,
      pollIntervalMs: options.pollIntervalMs ?? 30_000,
      initialDelayMs: options.retry?.initialDelayMs ?? 1_000,
      maxDelayMs: options.retry?.maxDelayMs ?? 60_000,
      timers: this.timers,
      stopped: () => this.stopped,
      inflight: this.inflight,
      fingerprint: options.fingerprint,
      changed: (watch, before, after) => this.changed(watch, before, after),
    };
  }

  /**
   * Starts the watches of every configured cluster and waits, bounded by
   * `startTimeoutMs`, for their first list; a cluster that fails keeps
   * retrying in the background.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.watches = new Map();
    const attempts: Promise<void>[] = [];
    for (const { name } of this.clusters.list()) {
      const kinds = new Map<string, KindWatch>();
      this.watches.set(name, kinds);
      for (const kind of this.kinds) {
        const watch = new KindWatch(name, kind, this.context);
        kinds.set(kind.id, watch);
        attempts.push(watch.run());
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(attempts),
      new Promise<void>(resolve => {
        timer = setTimeout(resolve, this.startTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Stops every watch and timer, waiting for attempts under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pendingKeys.clear();
    const stopping: Promise<void>[] = [];
    for (const kinds of this.watches.values()) {
      for (const watch of kinds.values()) stopping.push(watch.stop());
    }
    await Promise.all(stopping);
    // An attempt that is listing ends soon and closes what it opened; one
    // stuck on an unresponsive cluster is not waited for forever.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inflight),
      new Promise<void>(resolve => {
        timer = setTimeout(resolve, this.startTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** The cached objects of a kind on a cluster, by `<namespace>/<name>`. */
  objects(
    cluster: string,
    kindId: string,
  ): ReadonlyMap<string, CachedObject> | undefined {
    return this.watches.get(cluster)?.get(kindId)?.objects;
  }

  /** One cached object, or `undefined`. */
  get(
    cluster: string,
    kindId: string,
    namespace: string,
    name: string,
  ): CachedObject | undefined {
    return this.objects(cluster, kindId)?.get(`${namespace}/${name}`);
  }

  /**
   * Whether the cache holds every object of the kind on the cluster: listed
   * at least once and not stale. A missing object is then really missing.
   */
  isComplete(cluster: string, kindId: string): boolean {
    const watch = this.watches.get(cluster)?.get(kindId);
    return watch?.listed === true && watch.state !== 'stale';
  }

  /** Subscribes to changes, reported by key; returns the unsubscribe. */
  onChange(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How fresh each cluster's cache is (for health endpoints and messages). */
  status(): CacheStatus[] {
    const out: CacheStatus[] = [];
    for (const [cluster, kinds] of this.watches) {
      for (const watch of kinds.values()) {
        out.push({
          cluster,
          kind: watch.kind.kind,
          state: watch.state,
          objects: watch.objects.size,
          ...(watch.error && watch.state === 'stale'
            ? { error: watch.error }
            : {}),
        });
      }
    }
    return out;
  }

  /** Whether any cached kind of the cluster is stale or not yet listed. */
  isStale(cluster: string): boolean {
    const kinds = this.watches.get(cluster);
    if (!kinds) return true;
    return [...kinds.values()].some(
      c => c.state === 'stale' || c.state === 'starting',
    );
  }

  private changed(
    watch: KindWatch,
    before?: CachedObject,
    after?: CachedObject,
  ) {
    const keys = new Set(
      this.keysOf({ cluster: watch.cluster, kind: watch.kind, before, after }),
    );
    if (keys.size === 0) return;
    for (const key of keys) this.pendingKeys.add(key);
    if (this.coalesceMs <= 0) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = this.timers.setTimeout(
        () => this.flush(),
        this.coalesceMs,
      );
    }
  }

  private flush() {
    if (this.flushTimer) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const keys = [...this.pendingKeys];
    this.pendingKeys.clear();
    for (const key of keys) {
      for (const listener of [...this.listeners]) {
        try {
          listener(key);
        } catch (e) {
          this.logger.warn(
            `A change listener failed for ${key}: ${(e as Error).message}`,
            { key },
          );
        }
      }
    }
  }
}
