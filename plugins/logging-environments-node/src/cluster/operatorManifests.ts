import { KubernetesObject } from '@kubernetes/client-node';

/**
 * An operator the stack needs, installed through OLM.
 *
 * @public
 */
export interface OperatorSpec {
  /** OLM package name. */
  package: string;
  /** Namespace of the Subscription. */
  namespace: string;
  /** Default channel. */
  channel: string;
  /** CatalogSource (in `openshift-marketplace`) that ships the package. */
  source: string;
  /** Whether the namespace needs its own OperatorGroup (openshift-operators has one). */
  operatorGroup: boolean;
}

/**
 * The four operators of ADR-0009's step 00, External Secrets in its default
 * (community) flavour: `manifests/operators` (a test keeps them equal).
 *
 * @public
 */
export const LOGGING_OPERATORS: Record<
  'loki' | 'logging' | 'externalSecrets' | 'gitops',
  OperatorSpec
> = {
  loki: {
    package: 'loki-operator',
    namespace: 'openshift-operators-redhat',
    channel: 'stable-6.2',
    source: 'redhat-operators',
    operatorGroup: true,
  },
  logging: {
    package: 'cluster-logging',
    namespace: 'openshift-logging',
    channel: 'stable-6.2',
    source: 'redhat-operators',
    operatorGroup: true,
  },
  externalSecrets: {
    package: 'external-secrets-operator',
    namespace: 'openshift-operators',
    channel: 'stable',
    source: 'community-operators',
    operatorGroup: false,
  },
  gitops: {
    package: 'openshift-gitops-operator',
    namespace: 'openshift-gitops-operator',
    channel: 'latest',
    source: 'redhat-operators',
    operatorGroup: true,
  },
};

/**
 * Which build of External Secrets a cluster installs through OLM: `community`
 * (OperatorHub's community `external-secrets-operator`, a Helm-based
 * operator configured by an `OperatorConfig`) or `redhat` (External Secrets
 * Operator for Red Hat OpenShift, configured by an `ExternalSecretsConfig`).
 *
 * @public
 */
export type ExternalSecretsFlavour = 'community' | 'redhat';

/**
 * The flavour of clusters whose configuration names none: the community
 * operator, which clusters bootstrapped before flavours existed run (switching
 * an installed cluster would install a second External Secrets).
 *
 * @public
 */
export const DEFAULT_EXTERNAL_SECRETS_FLAVOUR: ExternalSecretsFlavour =
  'community';

/**
 * The OLM package of each External Secrets flavour: the same as
 * `manifests/operators/components/external-secrets-<flavour>` (a test keeps
 * them equal).
 *
 * @public
 */
export const EXTERNAL_SECRETS_OPERATORS: Record<
  ExternalSecretsFlavour,
  OperatorSpec
> = {
  community: LOGGING_OPERATORS.externalSecrets,
  redhat: {
    package: 'openshift-external-secrets-operator',
    namespace: 'external-secrets-operator',
    channel: 'stable-v1',
    source: 'redhat-operators',
    operatorGroup: true,
  },
};

/**
 * The Namespaces, OperatorGroups and Subscriptions that install the given
 * operators (all four by default), External Secrets in the given flavour
 * (community by default), with channel overrides.
 *
 * @public
 */
export function operatorManifests(
  options: {
    operators?: Array<keyof typeof LOGGING_OPERATORS>;
    channels?: Partial<Record<keyof typeof LOGGING_OPERATORS, string>>;
    externalSecretsFlavour?: ExternalSecretsFlavour;
  } = {},
): KubernetesObject[] {
  const keys =
    options.operators ??
    (Object.keys(LOGGING_OPERATORS) as Array<keyof typeof LOGGING_OPERATORS>);
  const objects: KubernetesObject[] = [];
  for (const key of keys) {
    const op =
      key === 'externalSecrets'
        ? EXTERNAL_SECRETS_OPERATORS[
            options.externalSecretsFlavour ?? DEFAULT_EXTERNAL_SECRETS_FLAVOUR
          ]
        : LOGGING_OPERATORS[key];
    if (op.operatorGroup) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: op.namespace },
      });
      objects.push({
        apiVersion: 'operators.coreos.com/v1',
        kind: 'OperatorGroup',
        metadata: {
          name:
            op.namespace === 'openshift-logging'
              ? 'cluster-logging'
              : op.namespace,
          namespace: op.namespace,
        },
        spec: { upgradeStrategy: 'Default' },
      } as KubernetesObject);
    }
    objects.push({
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'Subscription',
      metadata: { name: op.package, namespace: op.namespace },
      spec: {
        name: op.package,
        channel: options.channels?.[key] ?? op.channel,
        source: op.source,
        sourceNamespace: 'openshift-marketplace',
        installPlanApproval: 'Automatic',
      },
    } as KubernetesObject);
  }
  return objects;
}
