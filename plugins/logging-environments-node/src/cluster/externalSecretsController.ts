/** Reads whether the External Secrets controller of a flavour runs, from its operator's configuration object and Deployment. */
import { ClusterClient, ObjectRef, kubeStatus, notServed } from './client';
import {
  EXTERNAL_SECRETS_CONFIGS,
  Obj,
  describeObject,
  findConfig,
  refOf,
} from './externalSecretsConfig';
import {
  EXTERNAL_SECRETS_OPERATORS,
  ExternalSecretsFlavour,
} from './operatorManifests';

type Condition = {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
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

const conditionOf = (o: Obj, type: string): Condition | undefined =>
  (o.status?.conditions ?? []).find((c: Condition) => c.type === type);

const because = (c: Condition) =>
  `${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`;

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
 * An object being deleted (`metadata.deletionTimestamp`; the operators hold
 * it with their finalizers while they uninstall) is not ready, whatever
 * its conditions still say.
 *
 * Neither waits for the controller's pods (the Helm operator installs
 * without `--wait`; Red Hat's applies the Deployment and returns), hence
 * the Deployment check in {@link readExternalSecretsController}.
 */
function configReadiness(
  flavour: ExternalSecretsFlavour,
  config: Obj,
): { ready: boolean; failed: boolean; detail: string } {
  const what = describeObject(config);
  // Deleted objects stay, with a deletionTimestamp, until their operator
  // removed the controller and then its finalizer; whatever the status still
  // says, the controller is going away.
  if (config.metadata?.deletionTimestamp) {
    return {
      ready: false,
      failed: false,
      detail: `${what} is being deleted: its operator is removing the External Secrets controller`,
    };
  }
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
  const base = {
    config: describeObject(object),
    ref: refOf(object),
    missing: false,
  };
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
