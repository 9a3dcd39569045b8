import {
  ApplicationRole,
  ENVIRONMENT_LABEL,
  Tier,
} from '@internal/plugin-logging-environments-common';

/** The in-cluster API server, the only destination the stack deploys to. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/**
 * The cluster-scoped objects an environment's Applications may create: the
 * collector's ClusterRoleBindings, by name (any other ClusterRoleBinding,
 * e.g. one to cluster-admin, would give a service account more than the
 * logging namespace). Production also collects audit logs.
 *
 * @public
 */
export function allowedClusterRoleBindings(tier: Tier): string[] {
  return [
    'logging-collector-write-logs',
    'logging-collector-collect-application-logs',
    'logging-collector-collect-infrastructure-logs',
    ...(tier === 'production' ? ['logging-collector-collect-audit-logs'] : []),
  ];
}

/**
 * The namespaced kinds the stack uses, the only ones an environment's
 * AppProject may allow.
 *
 * @public
 */
export const ALLOWED_NAMESPACED_KINDS: ReadonlyArray<{
  group: string;
  kind: string;
}> = [
  { group: 'external-secrets.io', kind: 'ExternalSecret' },
  { group: 'loki.grafana.com', kind: 'LokiStack' },
  { group: 'batch', kind: 'Job' },
  { group: '', kind: 'ServiceAccount' },
  { group: 'rbac.authorization.k8s.io', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
  { group: 'observability.openshift.io', kind: 'ClusterLogForwarder' },
];

/**
 * What an environment's Argo CD objects must be, from its record and the
 * configured GitOps repository.
 *
 * @public
 */
export interface ExpectedArgoShape {
  name: string;
  tier: Tier;
  /** Namespace of the logging stack. */
  namespace: string;
  argocdNamespace: string;
  project: string;
  applications: Record<ApplicationRole, string>;
  gitopsPath: string;
  repoUrl: string;
  branch: string;
}

type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
  };
  spec?: any;
  operation?: unknown;
};

/** Repository URLs compare without a trailing slash or `.git`. */
export function sameRepoUrl(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) =>
    typeof v === 'string'
      ? v
          .trim()
          .replace(/\/+$/, '')
          .replace(/\.git$/, '')
      : '';
  return norm(a) !== '' && norm(a) === norm(b);
}

/** The keys of `value` (at `path`, e.g. `spec.source`) that are not allowed. */
function extraKeysProblems(
  what: string,
  path: string,
  value: Record<string, unknown> | undefined,
  allowed: string[],
  why?: string,
): string[] {
  const extra = Object.keys(value ?? {}).filter(k => !allowed.includes(k));
  if (extra.length === 0) return [];
  return [
    `${what}: ${path}.${extra.join(`, ${path}.`)} ${
      extra.length === 1 ? 'is' : 'are'
    } not allowed${why ? ` (${why})` : ''}`,
  ];
}

/** Why the object is not an argoproj.io `kind`, if it is not. */
function wrongKind(o: Obj, kind: string, what: string): string | undefined {
  return o.apiVersion === 'argoproj.io/v1alpha1' && o.kind === kind
    ? undefined
    : `${what}: must be an argoproj.io/v1alpha1 ${kind}`;
}

/**
 * What is wrong with an object's metadata: it must be named `name`, in the
 * Argo CD namespace, with the environment's label.
 */
function metadataProblems(
  o: Obj,
  name: string,
  shape: ExpectedArgoShape,
  what: string,
): string[] {
  const problems: string[] = [];
  if (o.metadata?.name !== name) {
    problems.push(`${what}: metadata.name must be "${name}"`);
  }
  if (o.metadata?.namespace !== shape.argocdNamespace) {
    problems.push(
      `${what}: metadata.namespace must be "${shape.argocdNamespace}"`,
    );
  }
  const label = o.metadata?.labels?.[ENVIRONMENT_LABEL];
  if (label !== shape.name) {
    problems.push(
      `${what}: metadata.labels["${ENVIRONMENT_LABEL}"] must be "${
        shape.name
      }"${label === undefined ? '' : `, not "${label}"`}`,
    );
  }
  return problems;
}

/**
 * What is wrong with an environment's AppProject, field by field, against
 * what the template renders for it: one source repository (the GitOps
 * repository), one destination (the logging namespace of the local
 * cluster), only the stack's kinds, cluster-scoped only the collector's
 * ClusterRoleBindings by name, no project roles (their tokens could sync),
 * no other source namespaces. Empty when it is right.
 *
 * @public
 */
export function appProjectProblems(
  project: Obj,
  shape: ExpectedArgoShape,
): string[] {
  const what = `AppProject ${shape.argocdNamespace}/${shape.project}`;
  const kind = wrongKind(project, 'AppProject', what);
  if (kind) return [kind];
  const problems = metadataProblems(project, shape.project, shape, what);
  const spec = project.spec ?? {};
  problems.push(
    ...extraKeysProblems(
      what,
      'spec',
      spec,
      [
        'description',
        'sourceRepos',
        'destinations',
        'clusterResourceWhitelist',
        'namespaceResourceWhitelist',
        'syncWindows',
        'signatureKeys',
      ],
      'project roles, source namespaces and blacklists are not part of a logging environment',
    ),
  );
  const repos: unknown[] = Array.isArray(spec.sourceRepos)
    ? spec.sourceRepos
    : [];
  if (repos.length !== 1 || !sameRepoUrl(repos[0], shape.repoUrl)) {
    problems.push(
      `${what}: spec.sourceRepos must be exactly the GitOps repository ${shape.repoUrl}`,
    );
  }
  const destinations: any[] = Array.isArray(spec.destinations)
    ? spec.destinations
    : [];
  if (
    destinations.length !== 1 ||
    destinations[0]?.server !== IN_CLUSTER_SERVER ||
    destinations[0]?.namespace !== shape.namespace ||
    destinations[0]?.name !== undefined
  ) {
    problems.push(
      `${what}: spec.destinations must be exactly the namespace ${shape.namespace} of ${IN_CLUSTER_SERVER}`,
    );
  }
  const bindings = allowedClusterRoleBindings(shape.tier);
  const cluster: any[] = Array.isArray(spec.clusterResourceWhitelist)
    ? spec.clusterResourceWhitelist
    : [];
  cluster.forEach((entry, i) => {
    if (
      entry?.group !== 'rbac.authorization.k8s.io' ||
      entry?.kind !== 'ClusterRoleBinding' ||
      !bindings.includes(entry?.name)
    ) {
      problems.push(
        `${what}: spec.clusterResourceWhitelist[${i}] must name one of the collector's ClusterRoleBindings (${bindings.join(
          ', ',
        )})`,
      );
    }
  });
  const namespaced: any[] = Array.isArray(spec.namespaceResourceWhitelist)
    ? spec.namespaceResourceWhitelist
    : [];
  namespaced.forEach((entry, i) => {
    if (
      !ALLOWED_NAMESPACED_KINDS.some(
        k => k.group === entry?.group && k.kind === entry?.kind,
      ) ||
      entry?.name !== undefined
    ) {
      problems.push(
        `${what}: spec.namespaceResourceWhitelist[${i}] (${entry?.group}/${entry?.kind}) is not a kind of the logging stack`,
      );
    }
  });
  return problems;
}

/**
 * What is wrong with one of an environment's Applications against what the
 * template renders for it: its name and namespace, the environment label,
 * the environment's project, one source (the GitOps repository at the
 * environment's path and the configured branch, without overrides), the
 * logging namespace of the local cluster, and an automated sync policy only
 * for a development infrastructure Application. Empty when it is right.
 *
 * @public
 */
export function applicationProblems(
  app: Obj,
  role: ApplicationRole,
  shape: ExpectedArgoShape,
): string[] {
  const name = shape.applications[role];
  const what = `Application ${shape.argocdNamespace}/${name}`;
  const kind = wrongKind(app, 'Application', what);
  if (kind) return [kind];
  const problems = metadataProblems(app, name, shape, what);
  const spec = app.spec ?? {};
  problems.push(
    ...extraKeysProblems(what, 'spec', spec, [
      'project',
      'source',
      'destination',
      'syncPolicy',
      'revisionHistoryLimit',
      'info',
    ]),
  );
  if (spec.project !== shape.project) {
    problems.push(`${what}: spec.project must be "${shape.project}"`);
  }
  const source = spec.source ?? {};
  const path = `${shape.gitopsPath}/${role}`;
  if (!sameRepoUrl(source.repoURL, shape.repoUrl)) {
    problems.push(
      `${what}: spec.source.repoURL must be the GitOps repository ${shape.repoUrl}`,
    );
  }
  if (String(source.path ?? '').replace(/\/+$/, '') !== path) {
    problems.push(`${what}: spec.source.path must be "${path}"`);
  }
  if (source.targetRevision !== shape.branch) {
    problems.push(
      `${what}: spec.source.targetRevision must be the branch "${shape.branch}"`,
    );
  }
  problems.push(
    ...extraKeysProblems(
      what,
      'spec.source',
      source,
      ['repoURL', 'path', 'targetRevision'],
      'what is deployed comes from Git alone',
    ),
  );
  const destination = spec.destination ?? {};
  if (
    destination.server !== IN_CLUSTER_SERVER ||
    destination.namespace !== shape.namespace ||
    destination.name !== undefined
  ) {
    problems.push(
      `${what}: spec.destination must be the namespace ${shape.namespace} of ${IN_CLUSTER_SERVER}`,
    );
  }
  const policy = spec.syncPolicy ?? {};
  problems.push(
    ...extraKeysProblems(what, 'spec.syncPolicy', policy, [
      'automated',
      'syncOptions',
      'retry',
    ]),
  );
  const mayAutomate = shape.tier === 'development' && role === 'infrastructure';
  if (policy.automated && !mayAutomate) {
    problems.push(
      `${what}: spec.syncPolicy.automated is not allowed: ${
        shape.tier === 'development'
          ? 'the forwarder is synced by the portal only after the health check passed'
          : `a ${shape.tier} Application is synced only after approval`
      }`,
    );
  }
  if (app.operation !== undefined) {
    problems.push(
      `${what}: operation must not be set (registration never syncs)`,
    );
  }
  return problems;
}

/**
 * The parts of an environment's two Applications an approval binds to
 * besides the commit: each one's source, project and whether it syncs
 * automatically. Any change to them voids the decisions taken before.
 *
 * @public
 */
export function applicationBinding(
  apps: Record<ApplicationRole, Obj | undefined>,
): string {
  const part = (app: Obj | undefined) => {
    const source = app?.spec?.source ?? {};
    return [
      app?.metadata?.uid ?? '',
      app?.spec?.project ?? '',
      String(source.repoURL ?? '')
        .replace(/\/+$/, '')
        .replace(/\.git$/, ''),
      String(source.path ?? '').replace(/\/+$/, ''),
      source.targetRevision ?? '',
      Boolean(app?.spec?.syncPolicy?.automated),
    ];
  };
  return JSON.stringify([part(apps.infrastructure), part(apps.forwarder)]);
}

/**
 * What is wrong with a bootstrap's rendered Argo CD objects against the
 * environment's shape: exactly its AppProject and its two Applications,
 * each as the template renders it (see {@link appProjectProblems} and
 * {@link applicationProblems}), and nothing else.
 *
 * @public
 */
export function argoManifestProblems(
  objects: Obj[],
  shape: ExpectedArgoShape,
): string[] {
  const roles: ApplicationRole[] = ['infrastructure', 'forwarder'];
  const problems: string[] = [];
  for (const o of objects.filter(
    x => x?.kind !== 'AppProject' && x?.kind !== 'Application',
  )) {
    problems.push(
      `${o?.kind ?? 'an object without a kind'} ${
        o?.metadata?.name ?? ''
      } is not an Argo CD AppProject or Application`,
    );
  }
  const projects = objects.filter(o => o?.kind === 'AppProject');
  if (projects.length !== 1) {
    problems.push(
      `there must be exactly one AppProject (${shape.project}), not ${projects.length}`,
    );
  } else {
    problems.push(...appProjectProblems(projects[0], shape));
  }
  for (const role of roles) {
    const name = shape.applications[role];
    const apps = objects.filter(
      o => o?.kind === 'Application' && o?.metadata?.name === name,
    );
    if (apps.length !== 1) {
      problems.push(`there must be exactly one Application ${name}`);
    } else {
      problems.push(...applicationProblems(apps[0], role, shape));
    }
  }
  for (const o of objects.filter(
    x =>
      x?.kind === 'Application' &&
      !roles.some(r => shape.applications[r] === x?.metadata?.name),
  )) {
    problems.push(
      `Application ${o?.metadata?.name} is not one of ${shape.name}'s Applications`,
    );
  }
  return problems;
}
