import { KubernetesObject } from '@kubernetes/client-node';
import { EnsureError } from '../aws/errors';
import { EnsureOptions, EnsureResult } from '../aws/types';
import {
  ClusterClient,
  FIELD_MANAGER,
  ObjectRef,
  kubeStatus,
  waitFor,
} from './client';
import {
  EXTERNAL_SECRETS_OPERATORS,
  ExternalSecretsFlavour,
} from './operatorManifests';
import { kubeStep } from './step';

type Obj = KubernetesObject & {
  spec?: any;
  status?: any;
};

type Condition = {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
};

/**
 * The configuration object an External Secrets flavour's operator waits for
 * before it deploys an External Secrets controller: the same as
 * `manifests/operators/components/external-secrets-<flavour>` (a test keeps
 * them equal).
 *
 * - `community`: the Helm-based operator of
 *   external-secrets/external-secrets-helm-operator (`watches.yaml`) installs
 *   the External Secrets chart for each `OperatorConfig`, its spec as the
 *   chart's values and its name as the release name; `installCRDs: false` as
 *   its sample says for OLM (the CRDs come from the bundle).
 * - `redhat`: openshift/external-secrets-operator installs External Secrets
 *   into the namespace `external-secrets` for the cluster-scoped singleton
 *   `ExternalSecretsConfig` `cluster` (`api/v1alpha1/
 *   external_secrets_config_types.go`). It isolates the controller with
 *   deny-all NetworkPolicies and opens only the API server, DNS and a
 *   configured proxy ("If this field is not provided, external-secrets
 *   components will be isolated with deny-all network policies, which will
 *   prevent proper operation"): the object opens HTTPS for AWS Secrets
 *   Manager.
 *
 * @public
 */
export const EXTERNAL_SECRETS_CONFIGS: Record<
  ExternalSecretsFlavour,
  KubernetesObject & { spec: Record<string, unknown> }
> = {
  community: {
    apiVersion: 'operator.external-secrets.io/v1alpha1',
    kind: 'OperatorConfig',
    metadata: { name: 'cluster', namespace: 'openshift-operators' },
    spec: { installCRDs: false },
  },
  redhat: {
    apiVersion: 'operator.openshift.io/v1alpha1',
    kind: 'ExternalSecretsConfig',
    metadata: { name: 'cluster' },
    spec: {
      controllerConfig: {
        networkPolicies: [
          {
            name: 'allow-aws-secrets-manager',
            componentName: 'ExternalSecretsCoreController',
            egress: [{ ports: [{ protocol: 'TCP', port: 443 }] }],
          },
        ],
      },
    },
  },
};

/**
 * Whether the External Secrets controller of a cluster runs, as its
 * operator's configuration object (and the controller's Deployment, where
 * the cluster shows it) say.
 *
 * @public
 */
export interface ExternalSecretsControllerState {
  /** The configuration object the state is read from, e.g. `OperatorConfig openshift-operators/cluster`. */
  config?: string;
  /** Reference of that object. */
  ref?: ObjectRef;
  /** True when the object says the controller is deployed (and its Deployment, when readable, is available). */
  ready: boolean;
  /** True when there is no configuration object (or its CRD is not installed). */
  missing: boolean;
  /** True when the operator gave up (Red Hat's `Degraded`): waiting will not help. */
  failed: boolean;
  /** What says it runs, or what is missing, in words. */
  detail: string;
}

const describe = (o: {
  kind?: string;
  metadata?: KubernetesObject['metadata'];
}) =>
  `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${
    o.metadata?.name
  }`;

const refOf = (o: KubernetesObject): ObjectRef => ({
  apiVersion: o.apiVersion!,
  kind: o.kind!,
  name: o.metadata!.name!,
  namespace: o.metadata?.namespace,
});

const conditionOf = (o: Obj, type: string): Condition | undefined =>
  (o.status?.conditions ?? []).find((c: Condition) => c.type === type);

const because = (c: Condition) =>
  `${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`;

/**
 * A kind the API server does not serve: no CRD yet. client-node answers
 * 404 for an unknown group version, and "Unrecognized API version and kind"
 * for an unknown kind of a served one (on OpenShift, operator.openshift.io
 * is served without Red Hat's External Secrets).
 */
function notServed(error: unknown): boolean {
  return (
    kubeStatus(error).code === 404 ||
    /Unrecognized API version and kind/.test(String((error as Error)?.message))
  );
}

/**
 * Finds the flavour's configuration object: ours, else (community) any
 * OperatorConfig, since a second one would deploy a second controller.
 * `served` is false when the kind has no CRD.
 */
async function findConfig(
  cluster: ClusterClient,
  flavour: ExternalSecretsFlavour,
): Promise<{ served: boolean; object?: Obj }> {
  const desired = EXTERNAL_SECRETS_CONFIGS[flavour];
  try {
    const own = await cluster.get<Obj>(refOf(desired));
    if (own || flavour === 'redhat') return { served: true, object: own };
    const all = await cluster.list<Obj>(desired.apiVersion!, desired.kind!);
    return { served: true, object: all[0] };
  } catch (e) {
    if (notServed(e)) return { served: false };
    throw e;
  }
}

/**
 * What the operator says of its configuration object, read from the
 * conditions each operator writes:
 *
 * - community, operator-framework/operator-sdk's Helm operator
 *   (`internal/helm/internal/types/types.go`, `internal/helm/controller/
 *   reconcile.go`): `Deployed` True (`InstallSuccessful`,
 *   `UpgradeSuccessful`) once the chart's release is installed;
 *   `ReleaseFailed` or `Irreconcilable` True while it fails (retried).
 * - redhat, openshift/external-secrets-operator (`api/v1alpha1/
 *   conditions.go`, `pkg/controller/external_secrets/controller.go`):
 *   `Ready` True (`Ready`, "reconciliation successful") for the observed
 *   generation once every resource of the operand is applied; `Ready` False
 *   (`Progressing`) while a retried step fails; `Degraded` True (`Failed`)
 *   on an error it does not retry.
 *
 * Neither waits for the controller's pods (the Helm operator installs
 * without `--wait`; Red Hat's applies the Deployment and returns), hence
 * the Deployment check in {@link readExternalSecretsController}.
 */
function configReadiness(
  flavour: ExternalSecretsFlavour,
  config: Obj,
): { ready: boolean; failed: boolean; detail: string } {
  const what = describe(config);
  if (!config.status?.conditions?.length) {
    return {
      ready: false,
      failed: false,
      detail: `${what} has no status: its operator has not processed it (is the operator running?)`,
    };
  }
  if (flavour === 'community') {
    for (const type of ['Irreconcilable', 'ReleaseFailed']) {
      const c = conditionOf(config, type);
      if (c?.status === 'True') {
        return {
          ready: false,
          failed: false,
          detail: `${what} is ${type}${because(c)}`,
        };
      }
    }
    const deployed = conditionOf(config, 'Deployed');
    if (deployed?.status === 'True') {
      return {
        ready: true,
        failed: false,
        detail: `${what} Deployed${
          deployed.reason ? ` (${deployed.reason})` : ''
        }`,
      };
    }
    return {
      ready: false,
      failed: false,
      detail: `${what} is not Deployed yet${deployed ? because(deployed) : ''}`,
    };
  }
  const degraded = conditionOf(config, 'Degraded');
  if (degraded?.status === 'True') {
    return {
      ready: false,
      failed: true,
      detail: `${what} is Degraded${because(degraded)}`,
    };
  }
  const ready = conditionOf(config, 'Ready');
  const generation = config.metadata?.generation;
  if (
    ready?.status === 'True' &&
    (ready.observedGeneration === undefined ||
      generation === undefined ||
      ready.observedGeneration >= generation)
  ) {
    return { ready: true, failed: false, detail: `${what} Ready` };
  }
  let why = ready ? because(ready) : '';
  if (ready?.status === 'True') why = ` for generation ${generation} yet`;
  return { ready: false, failed: false, detail: `${what} is not Ready${why}` };
}

/**
 * The controller Deployment the operator makes of its configuration object:
 * Red Hat's `external-secrets` in `external-secrets` (`bindata/
 * external-secrets/resources/deployment_external-secrets.yml`); the Helm
 * chart's fullname for the community one, `<release>-external-secrets`
 * (the release name alone when it already holds the chart's name, or
 * `fullnameOverride`), in the OperatorConfig's namespace.
 */
function controllerDeployment(
  flavour: ExternalSecretsFlavour,
  config: Obj,
): ObjectRef {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment' };
  if (flavour === 'redhat') {
    return {
      ...deployment,
      namespace: 'external-secrets',
      name: 'external-secrets',
    };
  }
  const release = config.metadata!.name!;
  const override = config.spec?.fullnameOverride;
  let name = `${release}-external-secrets`;
  if (typeof override === 'string' && override) name = override;
  else if (release.includes('external-secrets')) name = release;
  return {
    ...deployment,
    namespace: config.metadata?.namespace,
    name: name.slice(0, 63).replace(/-+$/, ''),
  };
}

/**
 * Reads whether the External Secrets controller of a flavour runs: its
 * configuration object exists and its operator reports it deployed (see
 * {@link EXTERNAL_SECRETS_CONFIGS}); then, where the cluster serves the
 * controller's Deployment, the Deployment is `Available`. A Deployment
 * that cannot be read (another name, no Deployments API, not allowed)
 * leaves the operator's word standing. Read only.
 *
 * @public
 */
export async function readExternalSecretsController(
  cluster: ClusterClient,
  flavour: ExternalSecretsFlavour,
  config?: ObjectRef,
): Promise<ExternalSecretsControllerState> {
  const desired = EXTERNAL_SECRETS_CONFIGS[flavour];
  const pkg = EXTERNAL_SECRETS_OPERATORS[flavour].package;
  let found: { served: boolean; object?: Obj };
  if (config) {
    try {
      found = { served: true, object: await cluster.get<Obj>(config) };
    } catch (e) {
      if (!notServed(e)) throw e;
      found = { served: false };
    }
  } else {
    found = await findConfig(cluster, flavour);
  }
  if (!found.object) {
    return {
      ready: false,
      missing: true,
      failed: false,
      detail: found.served
        ? `no ${desired.kind}: ${pkg} deploys no External Secrets controller until one exists`
        : `the ${desired.kind} CRD (${desired.apiVersion}) is not installed: is ${pkg} installed?`,
    };
  }
  const object = found.object;
  const base = { config: describe(object), ref: refOf(object), missing: false };
  const readiness = configReadiness(flavour, object);
  if (!readiness.ready) return { ...base, ...readiness };

  const ref = controllerDeployment(flavour, object);
  let deployment: Obj | undefined;
  try {
    deployment = await cluster.get<Obj>(ref);
  } catch (e) {
    // A portal allowed no Deployments: the operator's word stands.
    if (kubeStatus(e).code !== 403) throw e;
  }
  if (!deployment) return { ...base, ...readiness };
  const available = conditionOf(deployment, 'Available');
  const where = `Deployment ${ref.namespace}/${ref.name}`;
  if (available?.status !== 'True') {
    return {
      ...base,
      ready: false,
      failed: false,
      detail: `${readiness.detail}, but ${where} is not Available${
        available
          ? because(available)
          : ` (${deployment.status?.availableReplicas ?? 0} of ${
              deployment.spec?.replicas ?? 1
            } replicas available)`
      }`,
    };
  }
  return {
    ...base,
    ...readiness,
    detail: `${readiness.detail}; ${where} Available`,
  };
}

/** Whether `have` holds, at least, everything `want` says (deeply). */
function contains(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) {
    return (
      Array.isArray(have) &&
      have.length === want.length &&
      want.every((w, i) => contains(have[i], w))
    );
  }
  if (want && typeof want === 'object') {
    return (
      !!have &&
      typeof have === 'object' &&
      Object.entries(want).every(([k, v]) =>
        contains((have as Record<string, unknown>)[k], v),
      )
    );
  }
  return have === want;
}

const duration = (ms: number) =>
  ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;

const managedByUs = (o: Obj) =>
  (o.metadata?.managedFields ?? []).some(f => f.manager === FIELD_MANAGER);

/**
 * Refuses to install one External Secrets flavour where the other one's
 * OLM Subscription exists: two controllers would reconcile every
 * ExternalSecret (Red Hat: "Do not attempt to use more than one External
 * Secrets Operator in your cluster"). Read only.
 *
 * @public
 */
export async function assertExternalSecretsFlavour(
  cluster: ClusterClient,
  flavour: ExternalSecretsFlavour,
): Promise<void> {
  const resource = `External Secrets (${flavour})`;
  const subscriptions = await kubeStep(
    resource,
    'list the OLM Subscriptions',
    [],
    async () => {
      try {
        return await cluster.list<Obj>(
          'operators.coreos.com/v1alpha1',
          'Subscription',
        );
      } catch (e) {
        // No OLM: nothing is installed through it.
        if (kubeStatus(e).code === 404) return [];
        throw e;
      }
    },
  );
  for (const [other, op] of Object.entries(EXTERNAL_SECRETS_OPERATORS)) {
    if (other === flavour) continue;
    const sub = subscriptions.find(s => s.spec?.name === op.package);
    if (sub) {
      throw new EnsureError(
        resource,
        'check the installed External Secrets',
        'Conflict',
        [],
        undefined,
        `the cluster already subscribes to ${op.package} (${describe(
          sub,
        )}, the "${other}" flavour); two External Secrets controllers would fight over every ExternalSecret. Set the cluster's externalSecretsFlavour to "${other}", or uninstall ${
          op.package
        } first`,
      );
    }
  }
}

/**
 * Ensures the configuration object the External Secrets operator of the
 * flavour waits for (see {@link EXTERNAL_SECRETS_CONFIGS}), then waits,
 * bounded, until the operator reports the controller deployed (see
 * {@link readExternalSecretsController}). Run it once the operator's
 * ClusterServiceVersion has Succeeded: the object's CRD comes with it.
 *
 * Created with server-side apply when missing, and applied again when ours
 * (our field manager) but changed; an object someone else made, or
 * (community) another OperatorConfig, is adopted as it is: a second
 * OperatorConfig would deploy a second controller. A dry run only reports.
 * The timeout names what is missing.
 *
 * @public
 */
export async function ensureExternalSecretsConfig(
  cluster: ClusterClient,
  flavour: ExternalSecretsFlavour,
  options: EnsureOptions & { timeoutMs?: number; pollMs?: number } = {},
): Promise<EnsureResult> {
  const desired = EXTERNAL_SECRETS_CONFIGS[flavour];
  const pkg = EXTERNAL_SECRETS_OPERATORS[flavour].package;
  let resource = describe(desired);
  const done: string[] = [];
  const found = await kubeStep(resource, 'read', done, () =>
    findConfig(cluster, flavour),
  );
  let result: EnsureResult;
  const existing = found.object;
  if (!found.served && !options.dryRun) {
    throw new EnsureError(
      resource,
      'read',
      'NotFound',
      done,
      undefined,
      `the ${desired.kind} CRD (${desired.apiVersion}) is not installed: install ${pkg} first (the operators step with externalSecrets)`,
    );
  }
  if (!existing) {
    if (!options.dryRun) {
      await kubeStep(resource, 'apply', done, () => cluster.apply(desired));
      done.push(`applied ${resource}`);
    }
    result = {
      resource,
      action: options.dryRun ? 'would-create' : 'created',
      changes: found.served
        ? []
        : [`after ${pkg} installs the ${desired.kind} CRD`],
    };
  } else if (
    describe(existing) === resource &&
    managedByUs(existing) &&
    !contains(existing.spec, desired.spec)
  ) {
    if (!options.dryRun) {
      await kubeStep(resource, 'apply', done, () => cluster.apply(desired));
      done.push(`applied ${resource}`);
    }
    result = {
      resource,
      action: options.dryRun ? 'would-update' : 'updated',
      changes: ["spec set back to the bootstrap's"],
    };
  } else {
    resource = describe(existing);
    result = {
      resource,
      action: managedByUs(existing) ? 'unchanged' : 'adopted',
      changes: [],
    };
  }
  if (options.dryRun) return result;

  let last: ExternalSecretsControllerState | undefined;
  const state = await waitFor(
    async () => {
      last = await kubeStep(resource, 'read', done, () =>
        readExternalSecretsController(
          cluster,
          flavour,
          refOf(existing ?? desired),
        ),
      );
      return last.ready || last.failed ? last : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 600_000,
      intervalMs: options.pollMs ?? 500,
    },
  );
  if (!state?.ready) {
    throw new EnsureError(
      resource,
      'wait for the External Secrets controller',
      state ? 'Degraded' : 'Timeout',
      done,
      undefined,
      state
        ? `${pkg} reports: ${state.detail}`
        : `not running after ${duration(options.timeoutMs ?? 600_000)}: ${
            last?.detail ?? 'nothing read'
          }`,
    );
  }
  result.changes.push(`controller running: ${state.detail}`);
  return result;
}
