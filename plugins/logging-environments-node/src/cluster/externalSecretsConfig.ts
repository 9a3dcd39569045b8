/** The configuration object each External Secrets flavour's operator waits for, and how to find it on a cluster. */
import { KubernetesObject } from '@kubernetes/client-node';
import { ClusterClient, ObjectRef, notServed } from './client';
import { ExternalSecretsFlavour } from './operatorManifests';

/**
 * A Kubernetes object as read from the cluster, spec and status untyped.
 *
 * @internal
 */
export type Obj = KubernetesObject & {
  spec?: any;
  status?: any;
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
 * `Kind namespace/name` of an object, for messages.
 *
 * @internal
 */
export const describeObject = (o: {
  kind?: string;
  metadata?: KubernetesObject['metadata'];
}) =>
  `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${
    o.metadata?.name
  }`;

/**
 * The reference of an object read from, or meant for, the cluster.
 *
 * @internal
 */
export const refOf = (o: KubernetesObject): ObjectRef => ({
  apiVersion: o.apiVersion!,
  kind: o.kind!,
  name: o.metadata!.name!,
  namespace: o.metadata?.namespace,
});

/**
 * Finds the flavour's configuration object: ours, else (community) any
 * OperatorConfig, since a second one would deploy a second controller.
 * `served` is false when the kind has no CRD.
 *
 * @internal
 */
export async function findConfig(
  cluster: ClusterClient,
  flavour: ExternalSecretsFlavour,
): Promise<{ served: boolean; object?: Obj }> {
  const desired = EXTERNAL_SECRETS_CONFIGS[flavour];
  try {
    const own = await cluster.get<Obj>(refOf(desired));
    if (own || flavour === 'redhat') return { served: true, object: own };
    const all = await cluster.list<Obj>(desired.apiVersion!, desired.kind!);
    // One being deleted only if there is no other.
    const live = all.find(o => !o.metadata?.deletionTimestamp);
    return { served: true, object: live ?? all[0] };
  } catch (e) {
    if (notServed(e)) return { served: false };
    throw e;
  }
}
