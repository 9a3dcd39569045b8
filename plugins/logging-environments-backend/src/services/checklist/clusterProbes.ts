import { ApplicationRole } from '@internal/plugin-logging-environments-common';
import {
  CLUSTER_CREDENTIALS,
  CLUSTER_SECRET_STORE_NAME,
  ClusterClient,
  LOGGING_OPERATORS,
  OperatorSpec,
  kubeStatus,
  storeReadiness,
} from '@internal/plugin-logging-environments-node';
import { Environment } from '../types';
import { ChecklistProbe, ProbeResult } from './types';

type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
  status?: any;
  operation?: unknown;
  data?: Record<string, string>;
  type?: string;
};

type Level = 'fail' | 'warn';

/** Collects problems and turns them into one result. */
class Findings {
  private readonly items: Array<{ level: Level; text: string }> = [];

  add(level: Level, text: string) {
    this.items.push({ level, text });
  }

  get empty() {
    return this.items.length === 0;
  }

  result(
    evidence: ProbeResult['evidence'],
    passMessage: string,
    prefix = '',
  ): ProbeResult {
    if (this.items.length === 0) {
      return { status: 'pass', message: passMessage, evidence };
    }
    const failed = this.items.some(i => i.level === 'fail');
    // Failures first: they are what blocks the gate.
    const texts = [
      ...this.items.filter(i => i.level === 'fail'),
      ...this.items.filter(i => i.level === 'warn'),
    ].map(i => i.text);
    return {
      status: failed ? 'fail' : 'warn',
      message: `${prefix}${texts.join('; ')}`,
      evidence,
    };
  }
}

const SECRET_STORE = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
  name: CLUSTER_SECRET_STORE_NAME,
};
const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' };

/**
 * `cluster-credentials`: the `aws-credentials` Secret External Secrets
 * authenticates with exists in `external-secrets-system` with both keys,
 * non-empty. Only the presence of the keys is reported, never a value.
 *
 * @public
 */
export const clusterCredentialsProbe: ChecklistProbe = {
  id: 'cluster-credentials',
  title: 'Cluster credentials for External Secrets',
  target: 'cluster',
  async run({ cluster, secret }) {
    const { namespace, name, accessKeyIdKey, secretAccessKeyKey } =
      CLUSTER_CREDENTIALS;
    const found = await cluster().get<
      Obj & { apiVersion: string; kind: string }
    >({ apiVersion: 'v1', kind: 'Secret', name, namespace });
    const evidence: ProbeResult['evidence'] = {
      secret: `${namespace}/${name}`,
    };
    if (!found) {
      return {
        status: 'fail',
        message: `Secret ${namespace}/${name} does not exist: External Secrets cannot authenticate to AWS`,
        evidence,
      };
    }
    const data = found.data ?? {};
    for (const value of Object.values(data)) {
      secret(value);
      secret(Buffer.from(value, 'base64').toString('utf8'));
    }
    const presence = (key: string) => {
      if (!(key in data)) return 'missing';
      return Buffer.from(data[key], 'base64').toString('utf8').trim()
        ? 'present'
        : 'empty';
    };
    evidence.type = found.type ?? '(none)';
    evidence[accessKeyIdKey] = presence(accessKeyIdKey);
    evidence[secretAccessKeyKey] = presence(secretAccessKeyKey);
    const bad = [accessKeyIdKey, secretAccessKeyKey].filter(
      k => evidence[k] !== 'present',
    );
    if (bad.length) {
      return {
        status: 'fail',
        message: `Secret ${namespace}/${name}: ${bad
          .map(k => `key ${k} is ${evidence[k]}`)
          .join('; ')}`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Secret ${namespace}/${name} holds both keys (values not shown)`,
      evidence,
    };
  },
};

/**
 * `secret-store`: the `aws-secrets-manager` ClusterSecretStore is Ready
 * (External Secrets' reason and message when not), reads Secrets Manager
 * in the environment's region, and its `spec.conditions` limit it to
 * exactly the logging namespace, in every tier: anyone who can create a
 * namespace the store serves (a regex, a selector, another name, or no
 * conditions at all) can read whatever its credentials can, so anything
 * broader fails.
 *
 * @public
 */
export const secretStoreProbe: ChecklistProbe = {
  id: 'secret-store',
  title: 'ClusterSecretStore',
  target: 'cluster',
  async run({ environment, cluster }) {
    const store = await cluster().get<
      Obj & { apiVersion: string; kind: string }
    >(SECRET_STORE);
    const evidence: ProbeResult['evidence'] = { store: SECRET_STORE.name };
    if (!store) {
      return {
        status: 'fail',
        message: `ClusterSecretStore ${SECRET_STORE.name} does not exist`,
        evidence,
      };
    }
    const readiness = storeReadiness(store as any);
    const aws = store.spec?.provider?.aws ?? {};
    const ref = aws.auth?.secretRef?.accessKeyIDSecretRef;
    const conditions: Array<{
      namespaces?: string[];
      namespaceRegexes?: string[];
      namespaceSelector?: unknown;
    }> = store.spec?.conditions ?? [];
    Object.assign(evidence, {
      ready: readiness.ready,
      ...(readiness.reason ? { reason: readiness.reason } : {}),
      service: aws.service ?? '(none)',
      region: aws.region ?? '(none)',
      credentials: ref
        ? `${ref.namespace ?? '?'}/${ref.name ?? '?'}`
        : '(none)',
      namespaces:
        conditions.flatMap(c => c.namespaces ?? []).join(', ') || '(any)',
    });
    const regexes = conditions.flatMap(c => c.namespaceRegexes ?? []);
    if (regexes.length) evidence.namespaceRegexes = regexes.join(', ');

    const findings = new Findings();
    if (!readiness.ready) {
      const detail =
        readiness.reason || readiness.message
          ? `${readiness.reason ?? 'NotReady'}: ${
              readiness.message ?? ''
            }`.trim()
          : 'External Secrets has not reported its status (is the operator running?)';
      findings.add('fail', `not Ready (${detail})`);
    }
    if (aws.service !== 'SecretsManager') {
      findings.add(
        'fail',
        `reads ${aws.service ?? 'no AWS service'}, not SecretsManager`,
      );
    }
    if (environment.region && aws.region !== environment.region) {
      findings.add(
        'fail',
        `reads region ${
          aws.region ?? '(none)'
        }, but the environment's secret is in ${environment.region}`,
      );
    }
    if (
      ref &&
      (ref.namespace !== CLUSTER_CREDENTIALS.namespace ||
        ref.name !== CLUSTER_CREDENTIALS.name)
    ) {
      findings.add(
        'warn',
        `authenticates with Secret ${ref.namespace}/${ref.name}, not ${CLUSTER_CREDENTIALS.namespace}/${CLUSTER_CREDENTIALS.name}`,
      );
    }
    if (conditions.length === 0) {
      findings.add(
        'fail',
        `has no spec.conditions: every namespace may read Secrets Manager through it (the bootstrap limits it to ${environment.namespace})`,
      );
    } else {
      const broader: string[] = [];
      for (const c of conditions) {
        for (const ns of c.namespaces ?? []) {
          if (ns !== environment.namespace) broader.push(`namespace ${ns}`);
        }
        for (const re of c.namespaceRegexes ?? []) {
          broader.push(`namespaces matching ${re}`);
        }
        if (c.namespaceSelector) broader.push('a namespaceSelector');
      }
      const serves = conditions.some(c =>
        (c.namespaces ?? []).includes(environment.namespace),
      );
      if (broader.length) {
        findings.add(
          'fail',
          `may be used beyond ${
            environment.namespace
          }, by whoever can create such a namespace: ${broader.join(', ')}`,
        );
      } else if (!serves) {
        findings.add(
          'fail',
          `does not serve ${environment.namespace} (its spec.conditions name no namespace)`,
        );
      }
    }
    return findings.result(
      evidence,
      `ClusterSecretStore ${SECRET_STORE.name} is Ready, reads Secrets Manager in ${aws.region} and serves only ${environment.namespace}`,
      `ClusterSecretStore ${SECRET_STORE.name}: `,
    );
  },
};

/** Other OLM packages that install the same operator. */
const ALTERNATIVE_PACKAGES: Partial<
  Record<keyof typeof LOGGING_OPERATORS, string[]>
> = {
  // Red Hat's build of External Secrets.
  externalSecrets: ['openshift-external-secrets-operator'],
};

async function operatorState(
  client: ClusterClient,
  op: OperatorSpec,
  packages: string[],
  subscriptions: Obj[],
): Promise<
  | { installed: true; csv: string }
  | { installed: false; missing: boolean; problem: string }
> {
  const candidates = subscriptions.filter(s => packages.includes(s.spec?.name));
  const sub =
    candidates.find(s => s.metadata?.namespace === op.namespace) ??
    candidates[0];
  if (!sub) {
    return { installed: false, missing: true, problem: 'no Subscription' };
  }
  const where = `${sub.metadata?.namespace}/${sub.metadata?.name}`;
  const failed = (sub.status?.conditions ?? []).find(
    (c: any) => c.type === 'ResolutionFailed' && c.status === 'True',
  );
  if (failed) {
    return {
      installed: false,
      missing: false,
      problem: `Subscription ${where}: ${failed.reason}: ${failed.message}`,
    };
  }
  const csvName = sub.status?.installedCSV;
  if (!csvName) {
    return {
      installed: false,
      missing: false,
      problem: `Subscription ${where} has no installed ClusterServiceVersion yet (state ${
        sub.status?.state ?? 'unknown'
      })`,
    };
  }
  const csv = await client.get<Obj & { apiVersion: string; kind: string }>({
    apiVersion: 'operators.coreos.com/v1alpha1',
    kind: 'ClusterServiceVersion',
    name: csvName,
    namespace: sub.metadata?.namespace,
  });
  if (!csv) {
    return {
      installed: false,
      missing: false,
      problem: `ClusterServiceVersion ${csvName} of Subscription ${where} does not exist`,
    };
  }
  if (csv.status?.phase !== 'Succeeded') {
    return {
      installed: false,
      missing: false,
      problem: `${csvName} is ${csv.status?.phase ?? 'without a phase'}${
        csv.status?.reason
          ? ` (${csv.status.reason}: ${csv.status.message ?? ''})`
          : ''
      }`,
    };
  }
  return { installed: true, csv: csvName };
}

/**
 * `operators`: the four operators of `LOGGING_OPERATORS` are installed by
 * OLM (a Subscription whose installed ClusterServiceVersion `Succeeded`).
 * A missing one fails, naming it, except OpenShift GitOps when an Argo CD
 * already reconciles the environment's Applications, and External Secrets
 * when the ClusterSecretStore is Ready (installed another way, e.g. Helm or
 * upstream Argo CD): those warn.
 *
 * @public
 */
export const operatorsProbe: ChecklistProbe = {
  id: 'operators',
  title: 'Operators',
  target: 'cluster',
  async run({ environment, cluster }) {
    const client = cluster();
    let subscriptions: Obj[];
    let olm = true;
    try {
      subscriptions = await client.list<any>(
        'operators.coreos.com/v1alpha1',
        'Subscription',
      );
    } catch (e) {
      // No OLM on the cluster: no operator is installed through it.
      if (kubeStatus(e).code !== 404) throw e;
      subscriptions = [];
      olm = false;
    }
    const evidence: ProbeResult['evidence'] = {};
    const findings = new Findings();
    const missing: string[] = [];
    for (const [key, op] of Object.entries(LOGGING_OPERATORS) as Array<
      [keyof typeof LOGGING_OPERATORS, OperatorSpec]
    >) {
      const packages = [op.package, ...(ALTERNATIVE_PACKAGES[key] ?? [])];
      const state = await operatorState(client, op, packages, subscriptions);
      if (state.installed) {
        evidence[op.package] = `${state.csv} Succeeded`;
        continue;
      }
      evidence[op.package] = state.missing ? 'not installed' : 'not ready';
      if (!state.missing) {
        findings.add('fail', `${op.package}: ${state.problem}`);
        continue;
      }
      let alternative: string | undefined;
      if (key === 'gitops') {
        alternative = await argoCdRuns(client, environment);
      } else if (key === 'externalSecrets') {
        alternative = await externalSecretsRuns(client);
      }
      if (alternative) {
        evidence[op.package] = `not installed through OLM; ${alternative}`;
        findings.add(
          'warn',
          `${op.package} is not installed through OLM, but ${alternative}`,
        );
      } else {
        missing.push(op.package);
      }
    }
    if (missing.length) {
      findings.add(
        'fail',
        `not installed: ${missing.join(', ')}${
          olm ? '' : ' (OLM is not installed on the cluster)'
        }`,
      );
    }
    return findings.result(
      evidence,
      `All four operators are installed: ${Object.values(LOGGING_OPERATORS)
        .map(o => o.package)
        .join(', ')}`,
    );
  },
};

async function argoCdRuns(
  client: ClusterClient,
  environment: Environment,
): Promise<string | undefined> {
  const app = await client.get<Obj & { apiVersion: string; kind: string }>({
    ...APPLICATION,
    name: environment.applications.infrastructure,
    namespace: environment.argocdNamespace,
  });
  return app?.status?.reconciledAt
    ? `an Argo CD reconciles the environment's Applications (last at ${app.status.reconciledAt})`
    : undefined;
}

async function externalSecretsRuns(
  client: ClusterClient,
): Promise<string | undefined> {
  const store = await client.get<Obj & { apiVersion: string; kind: string }>(
    SECRET_STORE,
  );
  return storeReadiness(store as any).ready
    ? `External Secrets runs (ClusterSecretStore ${SECRET_STORE.name} is Ready)`
    : undefined;
}

const normalizePath = (p?: string) =>
  (p ?? '').replace(/^\.\//, '').replace(/\/+$/, '');
const normalizeRepo = (u?: string) =>
  (u ?? '')
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');

/**
 * `applications`: both Applications are registered, read the configured
 * GitOps repository at `<gitops-path>/{infrastructure,forwarder}`, belong to
 * a project, and Argo CD reports no error on them. Staging and production
 * Applications must not sync on their own (`syncPolicy.automated` fails),
 * and a sync that already happened (or is running) warns: the gate governs
 * the next sync.
 *
 * @public
 */
export const applicationsProbe: ChecklistProbe = {
  id: 'applications',
  title: 'Argo CD Applications',
  target: 'cluster',
  async run({ environment, cluster, gitops }) {
    const client = cluster();
    const evidence: ProbeResult['evidence'] = {};
    const findings = new Findings();
    const base = normalizePath(
      environment.gitopsPath ?? `environments/${environment.name}`,
    );
    const guarded = environment.tier !== 'development';
    if (!gitops.repoUrl) {
      findings.add(
        'warn',
        'loggingEnvironments.gitops.repoUrl is not configured, so the repository the Applications read was not checked',
      );
    }
    for (const role of ['infrastructure', 'forwarder'] as ApplicationRole[]) {
      const name = environment.applications[role];
      const where = `Application ${environment.argocdNamespace}/${name}`;
      const app = await client.get<Obj & { apiVersion: string; kind: string }>({
        ...APPLICATION,
        name,
        namespace: environment.argocdNamespace,
      });
      evidence[`${role}.name`] = name;
      if (!app) {
        findings.add('fail', `${where} is not registered`);
        continue;
      }
      const source = app.spec?.source;
      const automated = Boolean(app.spec?.syncPolicy?.automated);
      const state = app.status?.operationState;
      const history: any[] = app.status?.history ?? [];
      const last = history[history.length - 1];
      Object.assign(evidence, {
        [`${role}.project`]: app.spec?.project ?? '(none)',
        [`${role}.path`]: source?.path ?? '(none)',
        [`${role}.syncStatus`]: app.status?.sync?.status ?? 'unknown',
        [`${role}.revision`]: app.status?.sync?.revision ?? '(not compared)',
        [`${role}.health`]: app.status?.health?.status ?? 'unknown',
        [`${role}.automated`]: automated,
        [`${role}.lastSync`]: state
          ? `${state.phase}${
              state.finishedAt ? ` at ${state.finishedAt}` : ''
            }${
              state.syncResult?.revision
                ? ` (${state.syncResult.revision})`
                : ''
            }`
          : 'never',
      });
      if (!source) {
        findings.add(
          'fail',
          `${where} has no single spec.source (multi-source Applications are not what the bootstrap registers)`,
        );
      } else {
        if (
          gitops.repoUrl &&
          normalizeRepo(source.repoURL) !== normalizeRepo(gitops.repoUrl)
        ) {
          findings.add(
            'fail',
            `${where} reads ${source.repoURL}, not the GitOps repository ${gitops.repoUrl}`,
          );
        }
        if (normalizePath(source.path) !== `${base}/${role}`) {
          findings.add(
            'fail',
            `${where} reads path ${
              source.path ?? '(none)'
            }, not ${base}/${role}`,
          );
        }
      }
      const project = app.spec?.project;
      if (!project) {
        findings.add('fail', `${where} has no project`);
      } else if (project === 'default') {
        findings.add(
          'warn',
          `${where} is in the "default" project, which does not confine its repository, destinations or kinds`,
        );
      }
      if (guarded && automated) {
        findings.add(
          'fail',
          `${where} has syncPolicy.automated: a ${environment.tier} Application must sync only after approval`,
        );
      }
      for (const c of app.status?.conditions ?? []) {
        if (/Error$/.test(c.type)) {
          findings.add(
            'fail',
            `${where}: Argo CD reports ${c.type}: ${c.message}`,
          );
        } else if (/Warning$/.test(c.type)) {
          findings.add(
            'warn',
            `${where}: Argo CD reports ${c.type}: ${c.message}`,
          );
        }
      }
      if (guarded) {
        if (app.operation || state?.phase === 'Running') {
          findings.add('warn', `${where} is syncing right now`);
        } else if (state || last) {
          const revision = state?.syncResult?.revision ?? last?.revision;
          findings.add(
            'warn',
            `${where} was already synced${
              revision ? ` (at ${revision})` : ''
            }; the approval governs the next sync`,
          );
        }
      }
    }
    return findings.result(
      evidence,
      guarded
        ? `Both Applications are registered from ${base}, not automated and not yet synced`
        : `Both Applications are registered from ${base}`,
    );
  },
};

/**
 * `revision`: the Git revision Argo CD will sync, read after asking it for
 * a refresh: `status.sync.revision` of the infrastructure Application.
 * `unknown` while Argo CD has not compared the current spec.
 *
 * @public
 */
export const revisionProbe: ChecklistProbe = {
  id: 'revision',
  title: 'Git revision',
  target: 'cluster',
  async run({ environment, revisions, timeoutMs }) {
    // Leave time to read the result after waiting for the refresh.
    const wait = Math.max(
      0,
      Math.min(revisions.refreshTimeoutMs, timeoutMs - 2_000),
    );
    const reading = await revisions.read(environment, {
      refresh: true,
      timeoutMs: wait,
    });
    const evidence: ProbeResult['evidence'] = {
      application: environment.applications.infrastructure,
      refreshed: reading.refreshed,
    };
    if (reading.targetRevision)
      evidence.targetRevision = reading.targetRevision;
    if (reading.comparedAt) evidence.comparedAt = reading.comparedAt;
    if (reading.syncStatus) evidence.syncStatus = reading.syncStatus;
    if (!reading.registered) {
      return {
        status: 'fail',
        message: reading.note ?? 'the Application is not registered',
        evidence,
      };
    }
    if (!reading.revision) {
      return {
        status: 'unknown',
        message: reading.note ?? 'Argo CD has not compared the Application yet',
        evidence,
      };
    }
    evidence.revision = reading.revision;
    if (!reading.refreshed) {
      return {
        status: 'warn',
        message: `Argo CD would sync ${reading.revision}, but ${
          reading.note ?? 'the refresh did not finish'
        }`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Argo CD will sync ${reading.targetRevision ?? 'HEAD'} at ${
        reading.revision
      }`,
      evidence,
    };
  },
};
