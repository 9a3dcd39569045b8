import { ResourceType } from './types';

const VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function t(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    statusSubresource: false,
    verbs: VERBS,
    ...extra,
  };
}

/**
 * The built-in kinds the product uses. They have no schema: the sandbox
 * stores them as given (a real API server validates them with built-in
 * rules the product never relies on breaking), except for the workload
 * kinds of the portal's own deployment, which get the rules of
 * `workloads.ts`.
 */
export const BUILTIN_TYPES: ResourceType[] = [
  t('', 'v1', 'Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    statusSubresource: true,
  }),
  t('', 'v1', 'Secret', 'secrets', true),
  t('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  t('', 'v1', 'ServiceAccount', 'serviceaccounts', true, {
    shortNames: ['sa'],
  }),
  t('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  t('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    statusSubresource: true,
  }),
  t('batch', 'v1', 'Job', 'jobs', true, { statusSubresource: true }),
  // The portal's own deployment (deploy/): its dry run goes through them.
  t('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    statusSubresource: true,
  }),
  t('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    statusSubresource: true,
  }),
  t('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, {
    shortNames: ['pdb'],
    statusSubresource: true,
  }),
  t('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  t('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  t('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  t(
    'rbac.authorization.k8s.io',
    'v1',
    'ClusterRoleBinding',
    'clusterrolebindings',
    false,
  ),
  // OLM's ClusterServiceVersion has no CRD among the upstream copies; the
  // sandbox serves it schemaless so installed operators can be inspected.
  t(
    'operators.coreos.com',
    'v1alpha1',
    'ClusterServiceVersion',
    'clusterserviceversions',
    true,
    { shortNames: ['csv', 'csvs'], statusSubresource: true },
  ),
];

/** Namespaces that exist on a fresh sandbox cluster (OpenShift with OpenShift GitOps installed). */
export const INITIAL_NAMESPACES = [
  'default',
  'kube-system',
  'kube-public',
  'openshift-operators',
  'openshift-marketplace',
  'openshift-gitops',
];
