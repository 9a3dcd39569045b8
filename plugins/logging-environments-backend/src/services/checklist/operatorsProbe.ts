import {
  ClusterClient,
  EXTERNAL_SECRETS_CONFIGS,
  EXTERNAL_SECRETS_OPERATORS,
  ExternalSecretsFlavour,
  LOGGING_OPERATORS,
  OperatorSpec,
  kubeStatus,
  readExternalSecretsController,
  storeReadiness,
} from '@internal/plugin-logging-environments-node';
import { Environment } from '../types';
import {
  APPLICATION,
  Findings,
  Obj,
  SECRET_STORE,
} from './clusterProbeHelpers';
import { ChecklistProbe, ProbeResult } from './types';

/** The OLM packages of External Secrets, one per flavour. */
const EXTERNAL_SECRETS_PACKAGES = Object.values(EXTERNAL_SECRETS_OPERATORS).map(
  o => o.package,
);

const flavourOf = (pkg: string) =>
  (
    Object.entries(EXTERNAL_SECRETS_OPERATORS) as Array<
      [ExternalSecretsFlavour, OperatorSpec]
    >
  ).find(([, op]) => op.package === pkg)![0];

async function operatorState(
  client: ClusterClient,
  op: OperatorSpec,
  packages: string[],
  subscriptions: Obj[],
): Promise<
  | { installed: true; csv: string; pkg: string }
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
  return { installed: true, csv: csvName, pkg: sub.spec.name };
}

/**
 * The External Secrets operator installed through OLM deploys no
 * controller until its configuration object exists (an OperatorConfig for
 * the community operator, the ExternalSecretsConfig `cluster` for Red
 * Hat's), nor before it reports it deployed: a problem with its fix, or
 * the evidence that it runs.
 */
async function externalSecretsController(
  client: ClusterClient,
  pkg: string,
): Promise<{ ok: boolean; text: string }> {
  const flavour = flavourOf(pkg);
  const state = await readExternalSecretsController(client, flavour);
  if (state.ready) return { ok: true, text: state.detail };
  const config = EXTERNAL_SECRETS_CONFIGS[flavour];
  const ours = `${config.kind} ${
    config.metadata?.namespace ? `${config.metadata.namespace}/` : ''
  }${config.metadata?.name} (${config.apiVersion})`;
  const fix = state.missing
    ? `create the ${ours} as manifests/operators does, or run the operators step (logging:operators:ensure) again`
    : `see the status of ${state.config} and the operator's logs, then run the operators step (logging:operators:ensure) again`;
  return { ok: false, text: `${pkg}: ${state.detail}. Fix: ${fix}` };
}

/**
 * `operators`: the four operators of `LOGGING_OPERATORS` are installed by
 * OLM (a Subscription whose installed ClusterServiceVersion `Succeeded`;
 * External Secrets in either flavour, and then with its configuration
 * object deployed, see {@link readExternalSecretsController}). A missing
 * one fails, naming it, except OpenShift GitOps when an Argo CD already
 * reconciles the environment's Applications, and External Secrets when the
 * ClusterSecretStore is Ready (installed another way, e.g. Helm or upstream
 * Argo CD): those warn. A missing or undeployed configuration object fails
 * with its fix.
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
      const packages =
        key === 'externalSecrets' ? EXTERNAL_SECRETS_PACKAGES : [op.package];
      if (key === 'externalSecrets') {
        const subscribed = new Set(
          subscriptions
            .map(s => s.spec?.name)
            .filter(p => EXTERNAL_SECRETS_PACKAGES.includes(p)),
        );
        if (subscribed.size > 1) {
          findings.add(
            'fail',
            `two External Secrets operators are subscribed (${[
              ...subscribed,
            ].join(
              ', ',
            )}): their controllers fight over every ExternalSecret; uninstall one`,
          );
        }
      }
      const state = await operatorState(client, op, packages, subscriptions);
      if (state.installed) {
        evidence[op.package] = `${state.csv} Succeeded`;
        if (key === 'externalSecrets') {
          const controller = await externalSecretsController(client, state.pkg);
          evidence['external-secrets controller'] = controller.ok
            ? controller.text
            : 'not running';
          if (!controller.ok) findings.add('fail', controller.text);
        }
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
