import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  ApplicationRole,
  ApplicationStatus,
} from '@internal/plugin-logging-environments-common';
import { ClusterRegistry } from '@internal/plugin-logging-environments-node';
import {
  CustomObjectsApi,
  Informer,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
  makeInformer,
} from '@kubernetes/client-node';
import { Environment, WaveStatusService } from '../types';
import {
  ArgoApplication,
  buildApplicationStatus,
  groupOf,
} from './applicationStatus';

/** The label every Application of the plugin carries (the template sets it). */
export const PART_OF_SELECTOR =
  'app.kubernetes.io/part-of=logging-environments';

/** The Application label naming its environment (the template sets it). */
export const ENVIRONMENT_LABEL = 'logging-environments.io/environment';

/** Argo CD's annotation-based resource tracking (`<app>:<group>/<kind>:<ns>/<name>`). */
const TRACKING_ID_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Argo CD's label-based resource tracking (the app's name). */
const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/** What the service knows about an Application when mapping it to an environment. */
export interface ApplicationIdentity {
  cluster: string;
  namespace?: string;
  name: string;
  labels: Record<string, string>;
}

/**
 * The default mapping from an Application to its environment entity:
 * `resource:default/<value of logging-environments.io/environment>`.
 *
 * @remarks
 * The template writes the environment's catalog entity without a namespace
 * and names it after the environment, and labels both Applications with
 * that name; an adopter whose entities live elsewhere passes their own
 * resolver.
 */
export function defaultEnvironmentRef(
  app: ApplicationIdentity,
): string | undefined {
  const name = app.labels[ENVIRONMENT_LABEL];
  return name
    ? stringifyEntityRef({ kind: 'resource', namespace: 'default', name })
    : undefined;
}

type KindId = 'applications' | 'lokistacks' | 'clusterlogforwarders';

interface WatchedKind {
  id: KindId;
  group: string;
  version: string;
  plural: string;
  kind: string;
  labelSelector?: string;
}

const WATCHED: readonly WatchedKind[] = [
  {
    id: 'applications',
    group: 'argoproj.io',
    version: 'v1alpha1',
    plural: 'applications',
    kind: 'Application',
    labelSelector: PART_OF_SELECTOR,
  },
  {
    id: 'lokistacks',
    group: 'loki.grafana.com',
    version: 'v1',
    plural: 'lokistacks',
    kind: 'LokiStack',
  },
  {
    id: 'clusterlogforwarders',
    group: 'observability.openshift.io',
    version: 'v1',
    plural: 'clusterlogforwarders',
    kind: 'ClusterLogForwarder',
  },
];

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

type Obj = KubernetesObject & Record<string, any>;

class KindCache {
  readonly objects = new Map<string, Obj>();
  state: CacheState = 'starting';
  listed = false;
  failures = 0;
  error?: string;
  polling = false;
  /** Set while the informer is being stopped on purpose: its abort is no error. */
  informerStopped = false;
  /** Set by an error during the current attempt. */
  attemptFailed = false;
  timer?: NodeJS.Timeout;
  informer?: Informer<Obj> & ObjectCache<Obj>;
  list?: () => Promise<KubernetesListObject<Obj>>;

  constructor(readonly cluster: string, readonly kind: WatchedKind) {}
}

const keyOf = (o: KubernetesObject) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** What of an object matters to the portal (not resourceVersion, not reconciledAt). */
function fingerprint(o: Obj | undefined): string {
  if (!o) return '';
  const { reconciledAt: _r, observedAt: _o, ...status } = o.status ?? {};
  return JSON.stringify([
    o.metadata?.labels,
    o.metadata?.annotations?.[TRACKING_ID_ANNOTATION],
    o.spec,
    o.operation,
    status,
  ]);
}

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

/** Options of {@link WatchWaveStatusService}. */
export interface WatchWaveStatusServiceOptions {
  clusters: ClusterRegistry;
  logger: LoggerService;
  /**
   * How often to list when the cluster forbids watching (403 on the watch);
   * default 30 s.
   */
  pollIntervalMs?: number;
  /** Reconnect delays of a failing cluster: doubled per failure, capped. */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * Changes within this window are reported once per environment (Argo CD
   * writes an Application several times a second while it syncs); default
   * 250 ms, 0 reports each change at once.
   */
  coalesceMs?: number;
  /** How long `start()` waits for the first list of each cluster; default 10 s. */
  startTimeoutMs?: number;
  /** Maps an Application to its environment's entity ref; see {@link defaultEnvironmentRef}. */
  environmentRefOf?: (app: ApplicationIdentity) => string | undefined;
}

/**
 * Wave status from a watch cache: per configured cluster, one list + watch
 * (client-node informer: resumes from its resourceVersion, lists again
 * after `410 Expired`) on the plugin's Argo CD Applications (all
 * namespaces, by the `app.kubernetes.io/part-of=logging-environments`
 * label), one on LokiStacks and one on ClusterLogForwarders. Page views
 * read the cache only; a change is reported to `onChange` listeners with
 * the environment's entity ref, for signals.
 *
 * A cluster that forbids watching (403 on the watch) is listed every
 * `pollIntervalMs` instead. A cluster that fails is logged, marked stale
 * (its last known objects are still served) and retried with exponential
 * backoff; the other clusters are not affected.
 *
 * @public
 */
export class WatchWaveStatusService implements WaveStatusService {
  private readonly clusters: ClusterRegistry;
  private readonly logger: LoggerService;
  private readonly pollIntervalMs: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly coalesceMs: number;
  private readonly startTimeoutMs: number;
  private readonly environmentRefOf: (
    app: ApplicationIdentity,
  ) => string | undefined;
  private caches = new Map<string, Map<KindId, KindCache>>();
  private readonly listeners = new Set<(environmentRef: string) => void>();
  private readonly pendingRefs = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private stopped = true;
  /** Attempts under way, so that stop() can wait for them. */
  private readonly inflight = new Set<Promise<void>>();

  constructor(options: WatchWaveStatusServiceOptions) {
    this.clusters = options.clusters;
    this.logger = options.logger;
    this.pollIntervalMs = options.pollIntervalMs ?? 30_000;
    this.initialDelayMs = options.retry?.initialDelayMs ?? 1_000;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 60_000;
    this.coalesceMs = options.coalesceMs ?? 250;
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.environmentRefOf = options.environmentRefOf ?? defaultEnvironmentRef;
  }

  /**
   * Starts the watches of every configured cluster and waits, bounded by
   * `startTimeoutMs`, for their first list; a cluster that fails keeps
   * retrying in the background.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.caches = new Map();
    const attempts: Promise<void>[] = [];
    for (const { name } of this.clusters.list()) {
      const kinds = new Map<KindId, KindCache>();
      this.caches.set(name, kinds);
      for (const kind of WATCHED) {
        const cache = new KindCache(name, kind);
        kinds.set(kind.id, cache);
        attempts.push(this.runAttempt(cache));
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
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pendingRefs.clear();
    const stopping: Promise<void>[] = [];
    for (const kinds of this.caches.values()) {
      for (const cache of kinds.values()) {
        clearTimeout(cache.timer);
        cache.timer = undefined;
        if (cache.informer) {
          cache.informerStopped = true;
          stopping.push(cache.informer.stop().catch(() => {}));
        }
      }
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

  applications(environment: Environment): ApplicationStatus[] {
    const cache = this.caches.get(environment.cluster)?.get('applications');
    let argocdUrl: string | undefined;
    try {
      argocdUrl = this.clusters.get(environment.cluster).argocdUrl;
    } catch {
      argocdUrl = undefined; // an unknown cluster: no link
    }
    const roles: ApplicationRole[] = ['infrastructure', 'forwarder'];
    return roles.map(role => {
      const name = environment.applications[role];
      const app = cache?.objects.get(`${environment.argocdNamespace}/${name}`);
      return buildApplicationStatus({
        role,
        name,
        app: app as ArgoApplication | undefined,
        argocdUrl,
        namespace: environment.argocdNamespace,
        complete: cache?.listed === true && cache.state !== 'stale',
      });
    });
  }

  onChange(listener: (environmentRef: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  object(
    cluster: string,
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Record<string, any> | undefined {
    const watched = WATCHED.find(
      w => w.kind === kind && w.group === groupOf(apiVersion),
    );
    if (!watched) return undefined;
    return this.caches
      .get(cluster)
      ?.get(watched.id)
      ?.objects.get(`${namespace}/${name}`);
  }

  /** How fresh each cluster's cache is (for health endpoints and messages). */
  cacheStatus(): CacheStatus[] {
    const out: CacheStatus[] = [];
    for (const [cluster, kinds] of this.caches) {
      for (const cache of kinds.values()) {
        out.push({
          cluster,
          kind: cache.kind.kind,
          state: cache.state,
          objects: cache.objects.size,
          ...(cache.error && cache.state === 'stale'
            ? { error: cache.error }
            : {}),
        });
      }
    }
    return out;
  }

  /** Whether any cached kind of the cluster is stale or not yet listed. */
  isStale(cluster: string): boolean {
    const kinds = this.caches.get(cluster);
    if (!kinds) return true;
    return [...kinds.values()].some(
      c => c.state === 'stale' || c.state === 'starting',
    );
  }

  // ---------------------------------------------------------------------

  private createInformer(cache: KindCache) {
    const { group, version, plural, labelSelector } = cache.kind;
    // Throws for a cluster whose configuration cannot be read: retried.
    const kubeConfig = this.clusters.kubeConfig(cache.cluster);
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    cache.list = async () =>
      (await api.listClusterCustomObject({
        group,
        version,
        plural,
        labelSelector,
      })) as KubernetesListObject<Obj>;
    const informer = makeInformer<Obj>(
      kubeConfig,
      `/apis/${group}/${version}/${plural}`,
      async () => {
        const list = await cache.list!();
        cache.listed = true;
        return list;
      },
      labelSelector,
    );
    informer.on('add', o => this.upsert(cache, o));
    informer.on('update', o => this.upsert(cache, o));
    informer.on('delete', o => this.remove(cache, o));
    informer.on('error', e => this.onInformerError(cache, e));
    cache.informer = informer;
  }

  private runAttempt(cache: KindCache): Promise<void> {
    const attempt: Promise<void> = this.attempt(cache).finally(() =>
      this.inflight.delete(attempt),
    );
    this.inflight.add(attempt);
    return attempt;
  }

  private retryIn(cache: KindCache, delayMs: number) {
    clearTimeout(cache.timer);
    if (this.stopped) return;
    cache.timer = setTimeout(() => {
      cache.timer = undefined;
      this.runAttempt(cache);
    }, delayMs);
  }

  /** One attempt to (re)connect a cached kind: list + watch, or one poll. */
  private async attempt(cache: KindCache): Promise<void> {
    if (this.stopped) return;
    cache.attemptFailed = false;
    try {
      if (!cache.informer) this.createInformer(cache);
      if (cache.polling) {
        await this.poll(cache);
        return;
      }
      cache.informerStopped = false;
      // Lists only when it has no resourceVersion yet (or after a 410);
      // otherwise the watch resumes where it stopped.
      await cache.informer!.start();
    } catch (e) {
      this.failed(cache, e);
      return;
    }
    if (this.stopped) {
      // stop() ran while this attempt listed: the watch it opened must not outlive it.
      cache.informerStopped = true;
      await cache.informer?.stop().catch(() => {});
      return;
    }
    if (!cache.attemptFailed && !this.stopped) {
      if (cache.state === 'stale') {
        this.logger.info(
          `Watching ${cache.kind.plural} on cluster "${cache.cluster}" again`,
        );
      }
      cache.state = 'watching';
      cache.failures = 0;
      cache.error = undefined;
    }
  }

  private async poll(cache: KindCache): Promise<void> {
    const list = await cache.list!();
    cache.listed = true;
    const seen = new Set<string>();
    for (const o of list.items ?? []) {
      seen.add(keyOf(o));
      this.upsert(cache, o);
    }
    for (const [key, o] of [...cache.objects]) {
      if (!seen.has(key)) this.remove(cache, o);
    }
    cache.state = 'polling';
    cache.failures = 0;
    cache.error = undefined;
    this.retryIn(cache, this.pollIntervalMs);
  }

  private onInformerError(cache: KindCache, error: unknown) {
    if (this.stopped || cache.informerStopped || isAbort(error)) return;
    cache.attemptFailed = true;
    const status = (error as { statusCode?: number })?.statusCode;
    if (status === 403 && !cache.polling) {
      // Listing was allowed (the informer lists first), watching is not.
      cache.polling = true;
      cache.informerStopped = true;
      cache.informer?.stop().catch(() => {});
      this.logger.warn(
        `Watching ${cache.kind.plural} on cluster "${cache.cluster}" is forbidden; listing them every ${this.pollIntervalMs} ms instead`,
      );
      this.retryIn(cache, 0);
      return;
    }
    this.failed(cache, error);
  }

  private failed(cache: KindCache, error: unknown) {
    if (this.stopped) return;
    cache.attemptFailed = true;
    cache.failures++;
    cache.state = 'stale';
    cache.error = describeError(error);
    const delay = Math.min(
      this.maxDelayMs,
      this.initialDelayMs * 2 ** Math.min(cache.failures - 1, 16),
    );
    // Jitter, so clusters that failed together do not retry together.
    const wait = Math.round(delay / 2 + (Math.random() * delay) / 2);
    this.logger.warn(
      `${cache.polling ? 'Listing' : 'Watching'} ${
        cache.kind.plural
      } on cluster "${cache.cluster}" failed (${
        cache.error
      }); serving the last known state, retrying in ${wait} ms`,
    );
    this.retryIn(cache, wait);
  }

  private upsert(cache: KindCache, o: Obj) {
    const key = keyOf(o);
    const before = cache.objects.get(key);
    cache.objects.set(key, o);
    if (fingerprint(before) !== fingerprint(o)) {
      this.changed(cache, before, o);
    }
  }

  private remove(cache: KindCache, o: Obj) {
    const key = keyOf(o);
    const before = cache.objects.get(key);
    if (!before) return;
    cache.objects.delete(key);
    this.changed(cache, before, undefined);
  }

  private changed(cache: KindCache, before?: Obj, after?: Obj) {
    const refs = new Set<string>();
    for (const o of [before, after]) {
      if (!o) continue;
      for (const ref of this.environmentRefsOf(cache, o)) refs.add(ref);
    }
    if (refs.size === 0) return;
    for (const ref of refs) this.pendingRefs.add(ref);
    if (this.coalesceMs <= 0) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.coalesceMs);
    }
  }

  private flush() {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const refs = [...this.pendingRefs];
    this.pendingRefs.clear();
    for (const ref of refs) {
      for (const listener of [...this.listeners]) {
        try {
          listener(ref);
        } catch (e) {
          this.logger.warn(
            `A wave status listener failed for ${ref}: ${(e as Error).message}`,
          );
        }
      }
    }
  }

  private refOfApplication(cluster: string, app: Obj): string | undefined {
    return this.environmentRefOf({
      cluster,
      namespace: app.metadata?.namespace,
      name: app.metadata?.name ?? '',
      labels: app.metadata?.labels ?? {},
    });
  }

  /**
   * The environments an object belongs to: an Application's own; for a
   * LokiStack or ClusterLogForwarder, those of the Applications that track
   * it (Argo CD's tracking annotation or label), else of the Applications
   * deploying into its namespace.
   */
  private environmentRefsOf(cache: KindCache, o: Obj): string[] {
    if (cache.kind.id === 'applications') {
      const ref = this.refOfApplication(cache.cluster, o);
      return ref ? [ref] : [];
    }
    const apps = [
      ...(this.caches
        .get(cache.cluster)
        ?.get('applications')
        ?.objects.values() ?? []),
    ];
    const tracking =
      o.metadata?.annotations?.[TRACKING_ID_ANNOTATION]?.split(':')[0] ??
      o.metadata?.labels?.[INSTANCE_LABEL];
    let owners: Obj[] = [];
    if (tracking) {
      // Applications outside Argo CD's own namespace are tracked as `<ns>_<name>`.
      const [ns, name] = tracking.includes('_')
        ? tracking.split('_', 2)
        : [undefined, tracking];
      owners = apps.filter(
        a => a.metadata?.name === name && (!ns || a.metadata?.namespace === ns),
      );
    }
    if (owners.length === 0) {
      owners = apps.filter(
        a => a.spec?.destination?.namespace === o.metadata?.namespace,
      );
    }
    return [
      ...new Set(
        owners
          .map(a => this.refOfApplication(cache.cluster, a))
          .filter((r): r is string => Boolean(r)),
      ),
    ];
  }
}
