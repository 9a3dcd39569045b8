/**
 * What the benchmarks load into the sandbox, the catalog and the plugin's
 * database: environments named `bench-<n>`, each on a cluster of its own
 * (the trusted records allow one environment per cluster), each with its
 * trusted record (as the bootstrap leaves it: claimed, Applications
 * bound), its catalog entity (as the template writes it, matching the
 * record) and its two Argo CD Applications (as the template labels them,
 * with the status Argo CD writes for a synced, healthy environment, padded
 * to the resource count asked for).
 */
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ApplicationRole,
  EnvironmentRecord,
  Tier,
  applicationNames,
  environmentLayout,
} from '@internal/plugin-logging-environments-common';
// The services take the backend plugin's own environment type, made from
// a record by the plugin's own catalog.
import {
  readTierPolicies,
  RecordEnvironmentCatalog,
} from '@internal/plugin-logging-environments-backend/testUtils';
import type {
  Environment,
  EnvironmentRecordsStore,
} from '@internal/plugin-logging-environments-backend/testUtils';

/** The namespace Argo CD's Applications live in. */
export const ARGOCD_NAMESPACE = 'openshift-gitops';
/** The namespace the logging stack is deployed into. */
export const LOGGING_NAMESPACE = 'openshift-logging';
/** The GitOps repository the Applications read (never fetched here). */
export const REPO_URL = 'http://git.example.com/gitops.git';
/** The portal's `loggingEnvironments.gitops` for the fixtures. */
export const FIXTURE_GITOPS = { repoUrl: REPO_URL, branch: 'main' };
/** The commit every fixture Application was compared and synced at. */
export const FIXTURE_REVISION = '3c5f1e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e';
/** Who requested every fixture environment, and the group owning it. */
const REQUESTER = 'user:default/requester';
const OWNER = 'group:default/platform-team';

// No development tier: its automatic first sync would start on the benchmark's
// fresh database and, with no Argo CD controller to finish it, poll forever.
const TIERS: Tier[] = ['production', 'staging'];

/** One benchmark environment: where it lives and what it is called. */
export interface FixtureEnvironment {
  name: string;
  /** Its own cluster: a record binds one environment to one cluster. */
  cluster: string;
  tier: Tier;
}

/** The uids of an environment's Applications, once they exist. */
export type ApplicationUids = Partial<Record<ApplicationRole, string>>;

/**
 * `count` environments, each on a cluster of its own (`cluster-<n>`, as
 * {@link startFleet} names them), alternating the tiers.
 */
export function fixtureEnvironments(count: number): FixtureEnvironment[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(5, '0');
    return {
      name: `bench-${n}`,
      cluster: `cluster-${n}`,
      tier: TIERS[i % TIERS.length],
    };
  });
}

/**
 * The environment's trusted record as the bootstrap leaves it: claimed by
 * the requester for platform-team, its Applications bound (with their uids
 * when they exist already).
 */
export function fixtureRecord(
  env: FixtureEnvironment,
  uids: ApplicationUids = {},
): Omit<EnvironmentRecord, 'createdAt' | 'updatedAt'> {
  const layout = environmentLayout(env.name);
  const app = (role: ApplicationRole) => ({
    name: layout.applications[role],
    ...(uids[role] ? { uid: uids[role] } : {}),
  });
  return {
    entityRef: layout.entityRef,
    name: env.name,
    tier: env.tier,
    cluster: env.cluster,
    namespace: layout.namespace,
    argocdNamespace: layout.argocdNamespace,
    project: layout.project,
    applications: {
      infrastructure: app('infrastructure'),
      forwarder: app('forwarder'),
    },
    owner: OWNER,
    requester: REQUESTER,
    region: 'us-east-1',
    bucket: `${env.name}-loki`,
    secret: `logging/${env.name}/loki-s3`,
    gitopsPath: layout.gitopsPath,
    extraApprovers: {},
    state: 'registered',
    updatedBy: REQUESTER,
  };
}

/**
 * The plugin's own view of records (only `toEnvironment` is used, which
 * reads neither the catalog nor the store).
 */
const recordView = new RecordEnvironmentCatalog({
  catalog: {} as CatalogService,
  records: {} as EnvironmentRecordsStore,
  policies: readTierPolicies(new ConfigReader({})),
  gitops: FIXTURE_GITOPS,
});

/** The environment as the plugin's services see it: its record, through the plugin's catalog. */
export function serviceEnvironment(
  env: FixtureEnvironment,
  uids: ApplicationUids = {},
): Environment {
  const at = '2026-01-01T00:00:00.000Z';
  return recordView.toEnvironment(
    { ...fixtureRecord(env, uids), createdAt: at, updatedAt: at },
    environmentEntity(env),
  );
}

/** The environment's catalog entity, as the template's skeleton renders it (matching its record). */
export function environmentEntity(env: FixtureEnvironment): Entity {
  const record = fixtureRecord(env);
  const apps = record.applications;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: env.name,
      namespace: 'default',
      title: `${env.name} logging`,
      annotations: {
        'logging-environments.io/cluster': record.cluster,
        'logging-environments.io/tier': record.tier,
        'logging-environments.io/namespace': record.namespace,
        'logging-environments.io/argocd-namespace': record.argocdNamespace,
        'logging-environments.io/argocd-apps': `${apps.infrastructure.name},${apps.forwarder.name}`,
        'logging-environments.io/region': record.region,
        'logging-environments.io/bucket': record.bucket,
        'logging-environments.io/secret': record.secret,
        'logging-environments.io/gitops-path': record.gitopsPath,
        'logging-environments.io/requester': record.requester,
      },
    },
    spec: {
      type: 'logging-environment',
      owner: record.owner,
      system: 'logging-platform',
    },
  };
}

interface ResourceEntry {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  wave: number;
  health?: string;
  hook?: boolean;
}

/** The resources the wave plan names, per Application. */
function plannedResources(role: ApplicationRole): ResourceEntry[] {
  const ns = LOGGING_NAMESPACE;
  if (role === 'forwarder') {
    return [
      {
        group: 'observability.openshift.io',
        version: 'v1',
        kind: 'ClusterLogForwarder',
        namespace: ns,
        name: 'collector',
        wave: 30,
        health: 'Healthy',
      },
      {
        group: '',
        version: 'v1',
        kind: 'ServiceAccount',
        namespace: ns,
        name: 'logging-collector',
        wave: 30,
      },
      {
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        kind: 'ClusterRoleBinding',
        namespace: '',
        name: 'logging-collector-write-logs',
        wave: 30,
      },
    ];
  }
  return [
    {
      group: 'external-secrets.io',
      version: 'v1',
      kind: 'ExternalSecret',
      namespace: ns,
      name: 'logging-loki-s3',
      wave: 0,
      health: 'Healthy',
    },
    {
      group: 'loki.grafana.com',
      version: 'v1',
      kind: 'LokiStack',
      namespace: ns,
      name: 'logging-loki',
      wave: 10,
      health: 'Healthy',
    },
    {
      group: '',
      version: 'v1',
      kind: 'ServiceAccount',
      namespace: ns,
      name: 'logging-health-check',
      wave: 20,
    },
    {
      group: 'batch',
      version: 'v1',
      kind: 'Job',
      namespace: ns,
      name: 'logging-loki-health-check',
      wave: 20,
      hook: true,
    },
  ];
}

/** Supporting objects a real overlay adds (config, RBAC, monitoring), to pad an Application. */
const PADDING: Array<Omit<ResourceEntry, 'name' | 'namespace'>> = [
  { group: '', version: 'v1', kind: 'ConfigMap', wave: 0 },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', wave: 0 },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'RoleBinding',
    wave: 0,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    wave: 0,
  },
  {
    group: 'monitoring.coreos.com',
    version: 'v1',
    kind: 'ServiceMonitor',
    wave: 10,
    health: 'Healthy',
  },
  {
    group: 'monitoring.coreos.com',
    version: 'v1',
    kind: 'PrometheusRule',
    wave: 10,
    health: 'Healthy',
  },
];

function resourcesOf(role: ApplicationRole, count: number): ResourceEntry[] {
  const out = plannedResources(role);
  for (let i = 0; out.length < count; i++) {
    const pad = PADDING[i % PADDING.length];
    out.push({
      ...pad,
      namespace: LOGGING_NAMESPACE,
      name: `logging-${role}-${pad.kind.toLowerCase()}-${Math.floor(
        i / PADDING.length,
      )}`,
    });
  }
  return out;
}

/** A Kubernetes object as the sandbox store takes it. */
export type KubeObjectLike = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: any;
  status?: any;
  [key: string]: any;
};

/**
 * One Application of the environment: labelled as the template labels it
 * (`app.kubernetes.io/part-of=logging-environments`, the environment's
 * name), registered without automated sync.
 */
export function applicationObject(
  env: FixtureEnvironment,
  role: ApplicationRole,
): KubeObjectLike {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: applicationNames(env.name)[role],
      namespace: ARGOCD_NAMESPACE,
      labels: {
        'app.kubernetes.io/part-of': 'logging-environments',
        'logging-environments.io/environment': env.name,
        'logging-environments.io/application': role,
        'logging-environments.io/tier': env.tier,
      },
    },
    spec: {
      project: environmentLayout(env.name).project,
      source: {
        repoURL: REPO_URL,
        targetRevision: 'main',
        path: `environments/${env.name}/${role}`,
      },
      destination: {
        server: 'https://kubernetes.default.svc',
        namespace: LOGGING_NAMESPACE,
      },
      syncPolicy: { syncOptions: ['ServerSideApply=true'] },
    },
  };
}

/**
 * The status Argo CD writes for a synced, healthy Application with
 * `resources` resources; `generation` varies the reconcile time and the
 * last operation's message so a test can write a visible change.
 */
export function applicationStatus(
  env: FixtureEnvironment,
  role: ApplicationRole,
  options: { resources: number; health?: string; at?: Date },
): Record<string, any> {
  const at = (options.at ?? new Date('2026-01-01T00:00:00Z'))
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  const health = options.health ?? 'Healthy';
  const resources = resourcesOf(role, options.resources);
  const source = {
    repoURL: REPO_URL,
    targetRevision: 'main',
    path: `environments/${env.name}/${role}`,
  };
  return {
    sync: {
      status: 'Synced',
      revision: FIXTURE_REVISION,
      comparedTo: {
        source,
        destination: {
          server: 'https://kubernetes.default.svc',
          namespace: LOGGING_NAMESPACE,
        },
      },
    },
    health: { status: health, lastTransitionTime: at },
    reconciledAt: at,
    sourceType: 'Kustomize',
    controllerNamespace: ARGOCD_NAMESPACE,
    resources: resources
      .filter(r => !r.hook)
      .map(r => ({
        group: r.group,
        version: r.version,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        status: 'Synced',
        ...(r.health
          ? {
              health: {
                status: r.kind === 'LokiStack' ? health : r.health,
              },
            }
          : {}),
        ...(r.wave ? { syncWave: r.wave } : {}),
      })),
    operationState: {
      operation: {
        sync: { revision: FIXTURE_REVISION },
        initiatedBy: { username: 'user:default/approver' },
      },
      phase: 'Succeeded',
      message: 'successfully synced (all tasks run)',
      startedAt: at,
      finishedAt: at,
      syncResult: {
        revision: FIXTURE_REVISION,
        source,
        resources: resources.map(r => ({
          group: r.group,
          version: r.version,
          kind: r.kind,
          namespace: r.namespace || LOGGING_NAMESPACE,
          name: r.name,
          status: 'Synced',
          message: r.hook
            ? 'Reached expected number of succeeded pods'
            : `${r.kind.toLowerCase()}/${r.name} serverside-applied`,
          ...(r.hook ? { hookType: 'Sync' } : {}),
          hookPhase: 'Succeeded',
          syncPhase: 'Sync',
        })),
      },
    },
    history: [
      {
        id: 0,
        revision: FIXTURE_REVISION,
        deployedAt: at,
        deployStartedAt: at,
        source,
      },
    ],
    summary: {},
  };
}
