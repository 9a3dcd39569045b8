import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  ApplicationRole,
  ApplicationStatus,
  LOGGING_ANNOTATIONS,
  ServiceHealth,
  environmentPagePath,
} from '@internal/plugin-logging-environments-common';
import { ClusterRegistry } from '@internal/plugin-logging-environments-node';
import { Environment, EnvironmentCatalog, WaveStatusService } from '../types';
import { ArgoHealth } from './argoHealth';
import { liveHealth } from './liveHealth';
import { namespaceCollected } from './collection';
import { ServiceHealthService } from './ServiceHealthService';

/**
 * The objects of the stack as `manifests/base` names them, used when the
 * wave status cache does not list the Application's resources yet.
 */
export const STACK_OBJECTS = {
  lokiStack: {
    apiVersion: 'loki.grafana.com/v1',
    kind: 'LokiStack',
    name: 'logging-loki',
    application: 'infrastructure' as ApplicationRole,
  },
  forwarder: {
    apiVersion: 'observability.openshift.io/v1',
    kind: 'ClusterLogForwarder',
    name: 'collector',
    application: 'forwarder' as ApplicationRole,
  },
} as const;

/**
 * The OpenShift console's log view: the Logging view plugin's developer
 * perspective page of a namespace (`/dev-monitoring/ns/<namespace>/logs`),
 * or its all-namespaces page (`/monitoring/logs`) without a namespace.
 *
 * @public
 */
export function consoleLogsUrl(consoleUrl: string, namespace?: string): string {
  const base = consoleUrl.replace(/\/+$/, '');
  return namespace
    ? `${base}/dev-monitoring/ns/${encodeURIComponent(namespace)}/logs`
    : `${base}/monitoring/logs`;
}

/**
 * Service health from the catalog and the wave status cache: the
 * environment the service names, the LokiStack and ClusterLogForwarder
 * health (the same rules as the Argo CD Lua health checks, not trusting a
 * status its operator wrote for an older generation), whether the
 * forwarder collects the service's namespace, the forwarder Application's
 * last sync, and links to the environment's page and the cluster console's
 * logs (when the cluster has a `consoleUrl`).
 *
 * @public
 */
export class DefaultServiceHealthService implements ServiceHealthService {
  private readonly environments: EnvironmentCatalog;
  private readonly waves: WaveStatusService;
  private readonly clusters: ClusterRegistry;

  constructor(options: {
    environments: EnvironmentCatalog;
    waves: WaveStatusService;
    clusters: ClusterRegistry;
  }) {
    this.environments = options.environments;
    this.waves = options.waves;
    this.clusters = options.clusters;
  }

  async health(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<ServiceHealth> {
    const { service, environment } = await this.environments.forService(
      entityRef,
      credentials,
    );
    if (!environment) {
      const none = {
        health: 'Unknown',
        message: `The service names no logging environment (annotation ${LOGGING_ANNOTATIONS.environment})`,
      };
      return {
        entityRef: service.entityRef,
        namespace: service.namespace,
        collected: 'unknown',
        lokiStack: none,
        forwarder: { ...none },
        links: {},
      };
    }

    const applications = this.waves.applications(environment);
    const lokiStack = this.read(environment, applications, 'lokiStack');
    const forwarder = this.read(environment, applications, 'forwarder');
    let collected: ServiceHealth['collected'] = 'unknown';
    if (service.namespace && forwarder.object) {
      collected = namespaceCollected(forwarder.object, service.namespace)
        .collected
        ? 'yes'
        : 'no';
    }

    let consoleUrl: string | undefined;
    try {
      consoleUrl = this.clusters.get(environment.cluster).consoleUrl;
    } catch {
      // An unconfigured cluster has no console link.
    }
    return {
      entityRef: service.entityRef,
      environment: {
        entityRef: environment.entityRef,
        name: environment.name,
        tier: environment.tier,
        cluster: environment.cluster,
      },
      namespace: service.namespace,
      collected,
      lokiStack: lokiStack.health,
      forwarder: forwarder.health,
      lastSync: this.lastSync(environment, applications),
      links: {
        environment: environmentPagePath(environment.entityRef),
        ...(consoleUrl
          ? { logs: consoleLogsUrl(consoleUrl, service.namespace) }
          : {}),
      },
    };
  }

  private read(
    environment: Environment,
    applications: ApplicationStatus[],
    which: keyof typeof STACK_OBJECTS,
  ): {
    object?: Record<string, any>;
    health: { health: string; message?: string };
  } {
    const spec = STACK_OBJECTS[which];
    // Where the Application put it, if the cache lists its resources.
    const listed = applications
      .find(a => a.role === spec.application)
      ?.waves.flatMap(w => w.resources)
      .find(r => r.kind === spec.kind);
    const namespace = listed?.namespace ?? environment.namespace;
    const name = listed?.name ?? spec.name;
    const object = this.waves.object(
      environment.cluster,
      spec.apiVersion,
      spec.kind,
      namespace,
      name,
    );
    if (!object) {
      return {
        health: {
          health: 'Missing',
          message: `${spec.kind} ${namespace}/${name} is not on cluster "${environment.cluster}" (not synced yet?)`,
        },
      };
    }
    // The Lua checks' rules, unless the status is known to be older than
    // the spec (an observedGeneration behind metadata.generation).
    const health: ArgoHealth = liveHealth(
      spec.apiVersion.split('/')[0],
      spec.kind,
      object,
    )!;
    return {
      object,
      health: {
        health: health.status,
        ...(health.message ? { message: health.message } : {}),
      },
    };
  }

  private lastSync(
    environment: Environment,
    applications: ApplicationStatus[],
  ): ServiceHealth['lastSync'] {
    const app = this.waves.object(
      environment.cluster,
      'argoproj.io/v1alpha1',
      'Application',
      environment.argocdNamespace,
      environment.applications.forwarder,
    );
    const state = app?.status?.operationState;
    if (state) {
      return {
        revision: state.syncResult?.revision ?? state.operation?.sync?.revision,
        phase: state.phase,
        finishedAt: state.finishedAt,
      };
    }
    const history: any[] = app?.status?.history ?? [];
    const last = history[history.length - 1];
    if (last) {
      return {
        revision: last.revision,
        phase: 'Succeeded',
        finishedAt: last.deployedAt,
      };
    }
    const status = applications.find(a => a.role === 'forwarder');
    if (status?.operationPhase) {
      return { revision: status.revision, phase: status.operationPhase };
    }
    return undefined;
  }
}
