import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CustomObjectsApi,
  Informer,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
  makeInformer,
} from '@kubernetes/client-node';
import type {
  CacheState,
  CacheTimers,
  CachedObject,
  WatchedKind,
} from './InformerCache';

/** What a {@link KindWatch} needs of the cache that owns it. */
export interface KindWatchContext {
  /** Throws for a cluster whose configuration cannot be read: retried. */
  kubeConfig(cluster: string): KubeConfig;
  logger: LoggerService;
  pollIntervalMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Schedules polls and retries. */
  timers: CacheTimers;
  /** Whether the cache is stopped: nothing starts, nothing is retried. */
  stopped(): boolean;
  /** Attempts under way, of every watch of the cache, so that its stop() can wait for them. */
  inflight: Set<Promise<void>>;
  /** What of an object counts; see `InformerCacheOptions.fingerprint`. */
  fingerprint(o: CachedObject): string;
  /** An object was added, changed (by its fingerprint) or deleted. */
  changed(watch: KindWatch, before?: CachedObject, after?: CachedObject): void;
}

const keyOf = (o: KubernetesObject) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

function describeError(e: unknown): string {
  const err = e as {
    code?: number | string;
    statusCode?: number;
    message?: string;
    body?: unknown;
  };
  let reason: string | undefined;
  const body =
    typeof err?.body === 'string'
      ? (() => {
          try {
            return JSON.parse(err.body as string);
          } catch {
            return undefined;
          }
        })()
      : err?.body;
  if (body && typeof body === 'object' && 'message' in body) {
    reason = String((body as { message: unknown }).message);
  }
  const code = err?.statusCode ?? err?.code;
  const text = reason ?? err?.message ?? String(e);
  return code !== undefined ? `${code}: ${text}` : text;
}

function isAbort(e: unknown): boolean {
  const err = e as { name?: string; type?: string } | undefined;
  return err?.name === 'AbortError' || err?.type === 'aborted';
}

/**
 * One kind on one cluster, kept in memory: a list + watch (client-node
 * informer: resumes from its resourceVersion, lists again after `410
 * Expired`), or a periodic list where watching is forbidden (403), retried
 * with exponential backoff and jitter while it fails.
 */
export class KindWatch {
  /** The objects, by `<namespace>/<name>`. */
  readonly objects = new Map<string, CachedObject>();
  state: CacheState = 'starting';
  /** Whether it was listed at least once. */
  listed = false;
  /** Why the last attempt failed. */
  error?: string;
  private failures = 0;
  private polling = false;
  /** Set while the informer is being stopped on purpose: its abort is no error. */
  private informerStopped = false;
  /** Set by an error during the current attempt. */
  private attemptFailed = false;
  private timer?: unknown;
  private informer?: Informer<CachedObject> & ObjectCache<CachedObject>;
  private list?: () => Promise<KubernetesListObject<CachedObject>>;

  constructor(
    readonly cluster: string,
    readonly kind: WatchedKind,
    private readonly context: KindWatchContext,
  ) {}

  /** One attempt to (re)connect, tracked in `context.inflight`. */
  run(): Promise<void> {
    const { inflight } = this.context;
    const attempt: Promise<void> = this.attempt().finally(() =>
      inflight.delete(attempt),
    );
    inflight.add(attempt);
    return attempt;
  }

  /** Cancels a retry and stops the informer (call after `context.stopped()` turned true). */
  stop(): Promise<void> {
    if (this.timer) this.context.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.informer) return Promise.resolve();
    this.informerStopped = true;
    return this.informer.stop().catch(() => {});
  }

  private createInformer() {
    const { group, version, plural, labelSelector } = this.kind;
    const kubeConfig = this.context.kubeConfig(this.cluster);
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    const list = async () =>
      (await api.listClusterCustomObject({
        group,
        version,
        plural,
        labelSelector,
      })) as KubernetesListObject<CachedObject>;
    this.list = list;
    const informer = makeInformer<CachedObject>(
      kubeConfig,
      `/apis/${group}/${version}/${plural}`,
      async () => {
        const listed = await list();
        this.listed = true;
        return listed;
      },
      labelSelector,
    );
    informer.on('add', o => this.upsert(o));
    informer.on('update', o => this.upsert(o));
    informer.on('delete', o => this.remove(o));
    informer.on('error', e => this.onInformerError(e));
    this.informer = informer;
  }

  private retryIn(delayMs: number) {
    if (this.timer) this.context.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.context.stopped()) return;
    this.timer = this.context.timers.setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delayMs);
  }

  /** One attempt to (re)connect: list + watch, or one poll. */
  private async attempt(): Promise<void> {
    if (this.context.stopped()) return;
    this.attemptFailed = false;
    try {
      if (!this.informer) this.createInformer();
      if (this.polling) {
        await this.poll();
        return;
      }
      this.informerStopped = false;
      // Lists only when it has no resourceVersion yet (or after a 410);
      // otherwise the watch resumes where it stopped.
      await this.informer!.start();
    } catch (e) {
      this.failed(e);
      return;
    }
    if (this.context.stopped()) {
      // stop() ran while this attempt listed: the watch it opened must not outlive it.
      this.informerStopped = true;
      await this.informer?.stop().catch(() => {});
      return;
    }
    if (!this.attemptFailed && !this.context.stopped()) {
      if (this.state === 'stale') {
        this.context.logger.info(
          `Watching ${this.kind.plural} on cluster "${this.cluster}" again`,
          { cluster: this.cluster, kind: this.kind.plural },
        );
      }
      this.state = 'watching';
      this.failures = 0;
      this.error = undefined;
    }
  }

  private async poll(): Promise<void> {
    const list = await this.list!();
    this.listed = true;
    const seen = new Set<string>();
    for (const o of list.items ?? []) {
      seen.add(keyOf(o));
      this.upsert(o);
    }
    for (const [key, o] of [...this.objects]) {
      if (!seen.has(key)) this.remove(o);
    }
    this.state = 'polling';
    this.failures = 0;
    this.error = undefined;
    this.retryIn(this.context.pollIntervalMs);
  }

  private onInformerError(error: unknown) {
    if (this.context.stopped() || this.informerStopped || isAbort(error)) {
      return;
    }
    this.attemptFailed = true;
    const status = (error as { statusCode?: number })?.statusCode;
    if (status === 403 && !this.polling) {
      // Listing was allowed (the informer lists first), watching is not.
      this.polling = true;
      this.informerStopped = true;
      this.informer?.stop().catch(() => {});
      this.context.logger.warn(
        `Watching ${this.kind.plural} on cluster "${this.cluster}" is forbidden; listing them every ${this.context.pollIntervalMs} ms instead`,
        { cluster: this.cluster, kind: this.kind.plural },
      );
      this.retryIn(0);
      return;
    }
    this.failed(error);
  }

  private failed(error: unknown) {
    const { maxDelayMs, initialDelayMs, logger } = this.context;
    if (this.context.stopped()) return;
    this.attemptFailed = true;
    this.failures++;
    this.state = 'stale';
    this.error = describeError(error);
    const delay = Math.min(
      maxDelayMs,
      initialDelayMs * 2 ** Math.min(this.failures - 1, 16),
    );
    // Jitter, so clusters that failed together do not retry together.
    const wait = Math.round(delay / 2 + (Math.random() * delay) / 2);
    logger.warn(
      `${this.polling ? 'Listing' : 'Watching'} ${
        this.kind.plural
      } on cluster "${this.cluster}" failed (${
        this.error
      }); serving the last known state, retrying in ${wait} ms`,
      { cluster: this.cluster, kind: this.kind.plural },
    );
    this.retryIn(wait);
  }

  private upsert(o: CachedObject) {
    const key = keyOf(o);
    const before = this.objects.get(key);
    this.objects.set(key, o);
    if (
      !before ||
      this.context.fingerprint(before) !== this.context.fingerprint(o)
    ) {
      this.context.changed(this, before, o);
    }
  }

  private remove(o: CachedObject) {
    const key = keyOf(o);
    const before = this.objects.get(key);
    if (!before) return;
    this.objects.delete(key);
    this.context.changed(this, before, undefined);
  }
}
