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
  source: string;
  /** Whether the namespace needs its own OperatorGroup (openshift-operators has one). */
  operatorGroup: boolean;
}

/**
 * The four operators of ADR-0009's step 00 (the same as
 * `manifests/operators`, a test keeps them equal).
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
 * The Namespaces, OperatorGroups and Subscriptions that install the given
 * operators (all four by default), with channel overrides.
 *
 * @public
 */
export function operatorManifests(
  options: {
    operators?: Array<keyof typeof LOGGING_OPERATORS>;
    channels?: Partial<Record<keyof typeof LOGGING_OPERATORS, string>>;
  } = {},
): KubernetesObject[] {
  const keys =
    options.operators ??
    (Object.keys(LOGGING_OPERATORS) as Array<keyof typeof LOGGING_OPERATORS>);
  const objects: KubernetesObject[] = [];
  for (const key of keys) {
    const op = LOGGING_OPERATORS[key];
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
