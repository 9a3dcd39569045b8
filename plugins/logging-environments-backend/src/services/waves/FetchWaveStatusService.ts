import {
  ApplicationRole,
  ApplicationStatus,
} from '@internal/plugin-logging-environments-common';
import {
  ArgoCdApiClient,
  ClusterRegistry,
} from '@internal/plugin-logging-environments-node';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { hasLiveHealth } from '../health/liveHealth';
import { Environment } from '../types';
import { ArgoApplication, buildApplicationStatus } from './applicationStatus';
import {
  ArgoApplicationTree,
  HealthEvidence,
  ResourceRef,
} from './resourceHealth';

const ROLES: ApplicationRole[] = ['infrastructure', 'forwarder'];

function statusCodeOf(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown };
  const code = e?.code ?? e?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Wave status read from the cluster on every call: one GET per Application
 * (two per environment), no cache, no watch. It builds exactly what
 * {@link WatchWaveStatusService} builds from its cache, so a benchmark can
 * compare the two; page views use the watch cache, which does not fan out
 * to the cluster.
 *
 * @remarks
 * Its reads are asynchronous, unlike the cache's, so it does not implement
 * `WaveStatusService`; `await` works on both. A failing read rejects (a
 * benchmark must see it), a missing Application is reported as `Missing`.
 * For an Argo CD 3.x Application (`resourceHealthSource: appTree`) it also
 * reads the resource tree (when the cluster has an Argo CD API) and the
 * Application's LokiStacks and ClusterLogForwarders, which the watch cache
 * holds already.
 *
 * @internal
 */
export class FetchWaveStatusService {
  private readonly clusters: ClusterRegistry;
  private readonly apis = new Map<string, CustomObjectsApi>();

  constructor(options: { clusters: ClusterRegistry }) {
    this.clusters = options.clusters;
  }

  /** Per Application of the environment, its waves, read from the cluster now. */
  async applications(environment: Environment): Promise<ApplicationStatus[]> {
    const argocdUrl = this.clusters.get(environment.cluster).argocdUrl;
    return Promise.all(
      ROLES.map(async role => {
        const name = environment.applications[role];
        const app = (await this.read(
          environment.cluster,
          'argoproj.io',
          'v1alpha1',
          'applications',
          environment.argocdNamespace,
          name,
        )) as ArgoApplication | undefined;
        return buildApplicationStatus({
          role,
          name,
          app,
          argocdUrl,
          namespace: environment.argocdNamespace,
          complete: true,
          evidence:
            app?.status?.resourceHealthSource === 'appTree'
              ? await this.evidence(environment.cluster, app)
              : undefined,
        });
      }),
    );
  }

  /**
   * Reads a LokiStack or ClusterLogForwarder (any namespaced custom object
   * whose plural is its lower-cased kind + "s"), as `WaveStatusService.object`
   * does from the cache; undefined when it does not exist.
   */
  async object(
    cluster: string,
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<Record<string, any> | undefined> {
    const [group, version] = apiVersion.split('/');
    return this.read(
      cluster,
      group,
      version,
      `${kind.toLowerCase()}s`,
      namespace,
      name,
    );
  }

  /** The resource tree and the live objects the watch cache would have. */
  private async evidence(
    cluster: string,
    app: ArgoApplication,
  ): Promise<HealthEvidence> {
    const api = this.clusters.argocdApi(cluster);
    let tree: ArgoApplicationTree | undefined;
    if (api) {
      tree = await new ArgoCdApiClient(api)
        .resourceTree(app.metadata.name ?? '', app.metadata.namespace ?? '')
        .catch(() => undefined);
    }
    const key = (r: ResourceRef) =>
      `${r.group}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
    const live = new Map<string, Record<string, any>>();
    for (const r of app.status?.resources ?? []) {
      const group = r.group ?? '';
      if (!hasLiveHealth(group, r.kind) || !r.namespace) continue;
      const object = await this.read(
        cluster,
        group,
        r.version ?? 'v1',
        `${r.kind.toLowerCase()}s`,
        r.namespace,
        r.name,
      );
      if (object) live.set(key({ ...r, group }), object);
    }
    return { ...(tree ? { tree } : {}), live: ref => live.get(key(ref)) };
  }

  private async read(
    cluster: string,
    group: string,
    version: string,
    plural: string,
    namespace: string,
    name: string,
  ): Promise<Record<string, any> | undefined> {
    try {
      return await this.api(cluster).getNamespacedCustomObject({
        group,
        version,
        plural,
        namespace,
        name,
      });
    } catch (e) {
      if (statusCodeOf(e) === 404) return undefined;
      throw e;
    }
  }

  /** One client per cluster: the benchmark measures requests, not client set-up. */
  private api(cluster: string): CustomObjectsApi {
    let api = this.apis.get(cluster);
    if (!api) {
      api = this.clusters.kubeConfig(cluster).makeApiClient(CustomObjectsApi);
      this.apis.set(cluster, api);
    }
    return api;
  }
}
