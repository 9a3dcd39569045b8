import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ApplicationRole,
  ApplicationStatus,
} from '@internal/plugin-logging-environments-common';
import { ClusterRegistry } from '@internal/plugin-logging-environments-node';
import { Environment, WaveStatusService } from '../types';
import {
  ArgoApplication,
  buildApplicationStatus,
  groupOf,
} from './applicationStatus';
import {
  CacheStatus,
  CacheTimers,
  CachedObject,
  InformerCache,
  ObjectChange,
  WatchedKind,
} from './InformerCache';
import { ReadinessSource, WatchReadiness, watchReadiness } from './readiness';
import { HealthEvidence } from './resourceHealth';
import { ResourceTreeCache, TreeKey } from './ResourceTreeCache';
import {
  ApplicationIdentity,
  INSTANCE_LABEL,
  TRACKING_ID_ANNOTATION,
  WATCHED,
  defaultEnvironmentRef,
  fingerprint,
} from './watchedKinds';

const treeKey = (cluster: string, app: CachedObject): TreeKey => ({
  cluster,
  namespace: app.metadata?.namespace ?? '',
  name: app.metadata?.name ?? '',
});

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
  /** What schedules coalesced reports, polls and retries; default the global timers. */
  timers?: CacheTimers;
  /** How long `start()` waits for the first list of each cluster; default 10 s. */
  startTimeoutMs?: number;
  /** Maps an Application to its environment's entity ref; see {@link defaultEnvironmentRef}. */
  environmentRefOf?: (app: ApplicationIdentity) => string | undefined;
  /**
   * How often the resource trees of Argo CD 3.x Applications are read again
   * without a change seen (some resources, such as ExternalSecrets, are not
   * watched); default 60 s, 0 never.
   */
  treePollIntervalMs?: number;
  /** For tests: the fetch of the Argo CD API client. */
  fetch?: typeof fetch;
}

/**
 * Wave status from a watch cache ({@link InformerCache}): per configured
 * cluster, one list + watch on the plugin's Argo CD Applications (all
 * namespaces, by the `app.kubernetes.io/part-of=logging-environments`
 * label), one on LokiStacks and one on ClusterLogForwarders. Page views
 * read the cache only; a change is reported to `onChange` listeners with
 * the environment's entity ref, for signals.
 *
 * A cluster that forbids watching is listed every `pollIntervalMs`
 * instead; one that fails is marked stale (its last known objects are
 * still served, not reported `Missing`) and retried with backoff; the
 * other clusters are not affected.
 *
 * Resource health is read where Argo CD keeps it (see
 * `resolveResourceHealth`): from the Application (2.x); from its resource
 * tree, read through the cluster's Argo CD API when one is configured and
 * kept in a {@link ResourceTreeCache} refreshed on changes, not on page
 * views (3.x, `resourceHealthSource: appTree`); else LokiStacks and
 * ClusterLogForwarders from the watched objects; anything else that cannot
 * be told is Unknown.
 *
 * @public
 */
export class WatchWaveStatusService
  implements WaveStatusService, ReadinessSource
{
  private readonly clusters: ClusterRegistry;
  private readonly environmentRefOf: (
    app: ApplicationIdentity,
  ) => string | undefined;
  private readonly cache: InformerCache;
  private readonly trees: ResourceTreeCache;
  private readonly treeListeners = new Set<(environmentRef: string) => void>();
  private readonly treePollIntervalMs: number;
  private treePoll?: NodeJS.Timeout;
  private running = false;

  constructor(options: WatchWaveStatusServiceOptions) {
    this.clusters = options.clusters;
    this.environmentRefOf = options.environmentRefOf ?? defaultEnvironmentRef;
    this.treePollIntervalMs = options.treePollIntervalMs ?? 60_000;
    this.trees = new ResourceTreeCache({
      apiOf: cluster => this.clusters.argocdApi(cluster),
      logger: options.logger,
      onChange: key => this.treeChanged(key),
      fetch: options.fetch,
    });
    this.cache = new InformerCache({
      clusters: options.clusters,
      kinds: WATCHED,
      logger: options.logger,
      fingerprint,
      keysOf: change => {
        this.refreshTrees(change);
        return this.environmentRefsOf(change);
      },
      pollIntervalMs: options.pollIntervalMs,
      retry: options.retry,
      coalesceMs: options.coalesceMs,
      timers: options.timers,
      startTimeoutMs: options.startTimeoutMs,
    });
  }

  /**
   * Starts the watches of every configured cluster and waits, bounded by
   * `startTimeoutMs`, for their first list; a cluster that fails keeps
   * retrying in the background.
   */
  async start(): Promise<void> {
    this.running = true;
    this.trees.start();
    await this.cache.start();
    if (this.running && this.treePollIntervalMs > 0 && !this.treePoll) {
      this.treePoll = setInterval(
        () => this.pollTrees(),
        this.treePollIntervalMs,
      );
      this.treePoll.unref();
    }
  }

  /** Stops every watch and timer, waiting for attempts under way. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.treePoll);
    this.treePoll = undefined;
    await Promise.all([this.cache.stop(), this.trees.stop()]);
  }

  applications(environment: Environment): ApplicationStatus[] {
    const apps = this.cache.objects(environment.cluster, 'applications');
    const complete = this.cache.isComplete(environment.cluster, 'applications');
    let argocdUrl: string | undefined;
    try {
      argocdUrl = this.clusters.get(environment.cluster).argocdUrl;
    } catch {
      argocdUrl = undefined; // an unknown cluster: no link
    }
    const roles: ApplicationRole[] = ['infrastructure', 'forwarder'];
    return roles.map(role => {
      const name = environment.applications[role];
      const app = apps?.get(`${environment.argocdNamespace}/${name}`);
      return buildApplicationStatus({
        role,
        name,
        app: app as ArgoApplication | undefined,
        argocdUrl,
        namespace: environment.argocdNamespace,
        complete,
        evidence: this.evidence(environment.cluster, app),
      });
    });
  }

  onChange(listener: (environmentRef: string) => void): () => void {
    const off = this.cache.onChange(listener);
    this.treeListeners.add(listener);
    return () => {
      off();
      this.treeListeners.delete(listener);
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
    return this.cache.get(cluster, watched.id, namespace, name);
  }

  /** How fresh each cluster's cache is (for health endpoints and messages). */
  cacheStatus(): CacheStatus[] {
    return this.cache.status();
  }

  /** Whether any cached kind of the cluster is stale or not yet listed. */
  isStale(cluster: string): boolean {
    return this.cache.isStale(cluster);
  }

  /** Whether every cluster's caches had their first list, and which clusters fail. */
  readiness(): WatchReadiness {
    return watchReadiness(
      this.clusters.list().map(c => c.name),
      this.cache.status(),
    );
  }

  // ---------------------------------------------------------------------

  /** What the cache knows of an Application's resources' health besides the Application. */
  private evidence(
    cluster: string,
    app: CachedObject | undefined,
  ): HealthEvidence {
    const tree =
      app?.status?.resourceHealthSource === 'appTree'
        ? this.trees.get(treeKey(cluster, app))
        : undefined;
    return {
      ...(tree ? { tree } : {}),
      live: ref => {
        const watched = WATCHED.find(
          w =>
            w.id !== 'applications' &&
            w.kind === ref.kind &&
            w.group === ref.group,
        );
        return watched
          ? this.cache.get(cluster, watched.id, ref.namespace ?? '', ref.name)
          : undefined;
      },
    };
  }

  /**
   * Asks for the resource trees a change may have changed: an Argo CD 3.x
   * Application's own, or those of the Applications tracking a changed
   * LokiStack or ClusterLogForwarder (read again a moment later, when Argo
   * CD has seen the change too).
   */
  private refreshTrees({ cluster, kind, after, before }: ObjectChange) {
    if (!this.trees.canRead(cluster)) return;
    if (kind.id === 'applications') {
      if (after?.status?.resourceHealthSource === 'appTree') {
        this.trees.refresh(treeKey(cluster, after));
      } else if (!after && before) {
        this.trees.forget(treeKey(cluster, before));
      }
      return;
    }
    const object = after ?? before;
    if (!object) return;
    for (const app of this.owners(cluster, object)) {
      if (app.status?.resourceHealthSource === 'appTree') {
        this.trees.refresh(treeKey(cluster, app), true);
      }
    }
  }

  /** Reads every Argo CD 3.x Application's tree again (some resources are not watched). */
  private pollTrees() {
    for (const { name: cluster } of this.clusters.list()) {
      if (!this.trees.canRead(cluster)) continue;
      for (const app of this.cache.objects(cluster, 'applications')?.values() ??
        []) {
        if (app.status?.resourceHealthSource === 'appTree') {
          this.trees.refresh(treeKey(cluster, app));
        }
      }
    }
  }

  /** A tree changed: its Application's environment changed. */
  private treeChanged(key: TreeKey) {
    const app = this.cache.get(
      key.cluster,
      'applications',
      key.namespace,
      key.name,
    );
    const ref = app ? this.refOfApplication(key.cluster, app) : undefined;
    if (!ref) return;
    for (const listener of [...this.treeListeners]) {
      try {
        listener(ref);
      } catch {
        // A failing listener must not stop the others (the cache logs its own).
      }
    }
  }

  private refOfApplication(
    cluster: string,
    app: CachedObject,
  ): string | undefined {
    return this.environmentRefOf({
      cluster,
      namespace: app.metadata?.namespace,
      name: app.metadata?.name ?? '',
      labels: app.metadata?.labels ?? {},
    });
  }

  /** The environments a change concerns: those of the object before and after. */
  private environmentRefsOf({
    cluster,
    kind,
    before,
    after,
  }: ObjectChange): string[] {
    const refs = new Set<string>();
    for (const o of [before, after]) {
      if (!o) continue;
      for (const ref of this.environmentRefsOfObject(cluster, kind, o)) {
        refs.add(ref);
      }
    }
    return [...refs];
  }

  /**
   * The environments an object belongs to: an Application's own; for a
   * LokiStack or ClusterLogForwarder, those of the Applications that track
   * it (Argo CD's tracking annotation or label), else of the Applications
   * deploying into its namespace.
   */
  private environmentRefsOfObject(
    cluster: string,
    kind: WatchedKind,
    o: CachedObject,
  ): string[] {
    if (kind.id === 'applications') {
      const ref = this.refOfApplication(cluster, o);
      return ref ? [ref] : [];
    }
    return [
      ...new Set(
        this.owners(cluster, o)
          .map(a => this.refOfApplication(cluster, a))
          .filter((r): r is string => Boolean(r)),
      ),
    ];
  }

  /**
   * The Applications that track an object (Argo CD's tracking annotation
   * or label), else those deploying into its namespace.
   */
  private owners(cluster: string, o: CachedObject): CachedObject[] {
    const apps = [
      ...(this.cache.objects(cluster, 'applications')?.values() ?? []),
    ];
    const tracking =
      o.metadata?.annotations?.[TRACKING_ID_ANNOTATION]?.split(':')[0] ??
      o.metadata?.labels?.[INSTANCE_LABEL];
    let owners: CachedObject[] = [];
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
    return owners;
  }
}
