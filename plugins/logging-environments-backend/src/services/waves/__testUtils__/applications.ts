import { ApplicationRole } from '@internal/plugin-logging-environments-common';
import {
  ArgoApplication,
  ArgoHistoryEntry,
  ArgoResourceResult,
  ArgoResourceStatus,
} from '../applicationStatus';

/** Argo CD writes times with one-second precision: every fixture operation starts in this second. */
export const SECOND = '2026-01-01T00:00:00Z';

export const REV_OLD = '1111111111111111111111111111111111111111';
export const REV_NEW = '2222222222222222222222222222222222222222';

const NS = 'openshift-logging';

/** How the resources of one Application look: each resource's health. */
export interface ResourceHealth {
  externalSecret?: string;
  lokiStack?: string;
  lokiMessage?: string;
  /** Phase of the health-check Job hook in the last operation. */
  job?: 'Running' | 'Succeeded' | 'Failed';
  forwarder?: string;
}

const HEALTHY: ResourceHealth = {
  externalSecret: 'Healthy',
  lokiStack: 'Healthy',
  job: 'Succeeded',
  forwarder: 'Healthy',
};

/**
 * `status.resources` as Argo CD reports them for the environment's
 * Applications (from a sandbox run): the health-check Job is a hook, its
 * RBAC sits in wave 20, the ExternalSecret's wave 0 is omitted (omitempty).
 */
export function resourceStatuses(
  role: ApplicationRole,
  health: ResourceHealth = HEALTHY,
  sync = 'Synced',
): ArgoResourceStatus[] {
  const h = (status?: string, message?: string) =>
    status ? { health: { status, ...(message ? { message } : {}) } } : {};
  if (role === 'forwarder') {
    return [
      {
        group: '',
        version: 'v1',
        kind: 'ServiceAccount',
        namespace: NS,
        name: 'logging-collector',
        status: sync,
        syncWave: 30,
      },
      {
        group: 'observability.openshift.io',
        version: 'v1',
        kind: 'ClusterLogForwarder',
        namespace: NS,
        name: 'collector',
        status: sync,
        ...h(health.forwarder),
        syncWave: 30,
      },
      {
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        kind: 'ClusterRoleBinding',
        namespace: '',
        name: 'logging-collector-write-logs',
        status: sync,
        syncWave: 30,
      },
    ];
  }
  return [
    {
      group: 'external-secrets.io',
      version: 'v1',
      kind: 'ExternalSecret',
      namespace: NS,
      name: 'logging-loki-s3',
      status: sync,
      ...h(health.externalSecret, 'secret synced'),
    },
    {
      group: 'loki.grafana.com',
      version: 'v1',
      kind: 'LokiStack',
      namespace: NS,
      name: 'logging-loki',
      status: sync,
      ...h(health.lokiStack, health.lokiMessage),
      syncWave: 10,
    },
    {
      group: '',
      version: 'v1',
      kind: 'ServiceAccount',
      namespace: NS,
      name: 'logging-health-check',
      status: sync,
      syncWave: 20,
    },
    {
      group: 'batch',
      version: 'v1',
      kind: 'Job',
      namespace: NS,
      name: 'logging-loki-health-check',
      hook: true,
    },
  ];
}

/** `syncResult.resources` of an operation that got as far as `health` says. */
export function syncResults(
  role: ApplicationRole,
  health: ResourceHealth = HEALTHY,
): ArgoResourceResult[] {
  if (role === 'forwarder') {
    return [
      {
        group: 'observability.openshift.io',
        version: 'v1',
        kind: 'ClusterLogForwarder',
        namespace: NS,
        name: 'collector',
        status: 'Synced',
        hookPhase: 'Running',
        syncPhase: 'Sync',
      },
      {
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        kind: 'ClusterRoleBinding',
        // gitops-engine gives cluster-scoped results the destination namespace.
        namespace: NS,
        name: 'logging-collector-write-logs',
        status: 'Synced',
        hookPhase: 'Running',
        syncPhase: 'Sync',
      },
    ];
  }
  const results: ArgoResourceResult[] = [
    {
      group: 'external-secrets.io',
      version: 'v1',
      kind: 'ExternalSecret',
      namespace: NS,
      name: 'logging-loki-s3',
      status: 'Synced',
      hookPhase: 'Succeeded',
      syncPhase: 'Sync',
    },
    {
      group: 'loki.grafana.com',
      version: 'v1',
      kind: 'LokiStack',
      namespace: NS,
      name: 'logging-loki',
      status: 'Synced',
      hookPhase: health.lokiStack === 'Degraded' ? 'Failed' : 'Succeeded',
      ...(health.lokiMessage ? { message: health.lokiMessage } : {}),
      syncPhase: 'Sync',
    },
  ];
  if (health.job) {
    results.push({
      group: '',
      version: 'v1',
      kind: 'ServiceAccount',
      namespace: NS,
      name: 'logging-health-check',
      status: 'Synced',
      hookPhase: 'Succeeded',
      syncPhase: 'Sync',
    });
    results.push({
      group: 'batch',
      version: 'v1',
      kind: 'Job',
      namespace: NS,
      name: 'logging-loki-health-check',
      hookType: 'Sync',
      hookPhase: health.job,
      ...(health.job === 'Succeeded'
        ? { message: 'Reached expected number of succeeded pods' }
        : {}),
      syncPhase: 'Sync',
    });
  }
  return results;
}

const MESSAGES: Record<string, string> = {
  Succeeded: 'successfully synced (all tasks run)',
  Running: 'waiting for completion of hook batch/Job/logging-loki-health-check',
  Failed: 'one or more synchronization tasks completed unsuccessfully',
  Error: 'one or more synchronization tasks completed unsuccessfully',
};

/** An Application of the environment `env`, labelled as the template labels it. */
export function application(
  role: ApplicationRole,
  options: {
    env?: string;
    revision?: string;
    /** The last operation: omitted for a registered, never synced Application. */
    phase?: 'Running' | 'Succeeded' | 'Failed' | 'Error';
    message?: string;
    health?: ResourceHealth;
    history?: ArgoHistoryEntry[];
    automated?: boolean;
  } = {},
): ArgoApplication {
  const env = options.env ?? 'acme-prod';
  const name = `${env}-logging-${role}`;
  const revision = options.revision ?? REV_NEW;
  const health = options.health ?? HEALTHY;
  const app: ArgoApplication = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: 'openshift-gitops',
      labels: {
        'app.kubernetes.io/part-of': 'logging-environments',
        'logging-environments.io/environment': env,
        'logging-environments.io/application': role,
      },
    },
    spec: {
      project: `${env}-logging`,
      source: {
        repoURL: 'http://git.example.com/gitops.git',
        targetRevision: 'main',
        path: `environments/${env}/${role}`,
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: NS },
      syncPolicy: {
        ...(options.automated ? { automated: { prune: true } } : {}),
        syncOptions: ['ServerSideApply=true'],
      },
    },
    status: {
      sync: { status: options.phase ? 'Synced' : 'OutOfSync', revision },
      health: { status: options.phase ? 'Healthy' : 'Missing' },
      resources: resourceStatuses(
        role,
        options.phase ? health : {},
        options.phase ? 'Synced' : 'OutOfSync',
      ),
      history: options.history ?? [],
    },
  };
  if (options.phase) {
    app.status!.operationState = {
      operation: {
        sync: { revision },
        initiatedBy: { username: 'admin' },
      },
      phase: options.phase,
      message: options.message ?? MESSAGES[options.phase],
      startedAt: SECOND,
      ...(options.phase !== 'Running' ? { finishedAt: SECOND } : {}),
      syncResult: { revision, resources: syncResults(role, health) },
    };
    if (options.phase === 'Running') {
      app.operation = { sync: { revision } };
    }
  }
  return app;
}
