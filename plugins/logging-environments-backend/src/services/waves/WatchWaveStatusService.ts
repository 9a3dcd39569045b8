import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  ApplicationRole,
  ApplicationStatus,
  ENVIRONMENT_LABEL,
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
  CachedObject,
  InformerCache,
  ObjectChange,
  WatchedKind,
} from './InformerCache';

/** The label every Application of the plugin carries (the template sets it). */
export const PART_OF_SELECTOR =
  'app.kubernetes.io/part-of=logging-environments';

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

/** The kinds the portal shows, watched on every cluster. */
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

/** What of an object matters to the portal (not resourceVersion, not reconciledAt). */
function fingerprint(o: CachedObject): string {
  const { reconciledAt: _r, observedAt: _o, ...status } = o.status ?? {};
  return JSON.stringify([
    o.metadata?.labels,
    o.metadata?.annotations?.[TRACKING_ID_ANNOTATION],
    o.spec,
    o.operation,
    status,
  ]);
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
 * @public
 */
export class WatchWaveStatusService implements WaveStatusService {
  private readonly clusters: ClusterRegistry;
  private readonly environmentRefOf: (
    app: ApplicationIdentity,
  ) => string | undefined;
  private readonly cache: InformerCache;

  constructor(options: WatchWaveStatusServiceOptions) {
    this.clusters = options.clusters;
    this.environmentRefOf = options.environmentRefOf ?? defaultEnvironmentRef;
    this.cache = new InformerCache({
      clusters: options.clusters,
      kinds: WATCHED,
      logger: options.logger,
      fingerprint,
      keysOf: change => this.environmentRefsOf(change),
      pollIntervalMs: options.pollIntervalMs,
      retry: options.retry,
      coalesceMs: options.coalesceMs,
      startTimeoutMs: options.startTimeoutMs,
    });
  }

  /**
   * Starts the watches of every configured cluster and waits, bounded by
   * `startTimeoutMs`, for their first list; a cluster that fails keeps
   * retrying in the background.
   */
  start(): Promise<void> {
    return this.cache.start();
  }

  /** Stops every watch and timer, waiting for attempts under way. */
  stop(): Promise<void> {
    return this.cache.stop();
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
      });
    });
  }

  onChange(listener: (environmentRef: string) => void): () => void {
    return this.cache.onChange(listener);
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

  // ---------------------------------------------------------------------

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
    return [
      ...new Set(
        owners
          .map(a => this.refOfApplication(cluster, a))
          .filter((r): r is string => Boolean(r)),
      ),
    ];
  }
}
