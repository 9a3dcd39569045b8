/**
 * Annotation keys that connect catalog entities to a logging environment.
 *
 * @remarks
 * An environment's catalog entity is a `kind: Resource` of
 * `spec.type: logging-environment`. The template writes these annotations
 * for people to read; the backend compares them with the environment's
 * trusted record and never acts on them. On a service, `environment` names
 * the environment its logs go to.
 *
 * @public
 */
export const LOGGING_ANNOTATIONS = {
  /** Name of the cluster (as configured in the backend) that runs the stack. */
  cluster: 'logging-environments.io/cluster',
  /** Tier of the environment: `development`, `staging` or `production`. */
  tier: 'logging-environments.io/tier',
  /** Namespace of the logging stack on the cluster (LokiStack, forwarder). */
  namespace: 'logging-environments.io/namespace',
  /** Namespace of the Argo CD instance that owns the Applications. */
  argocdNamespace: 'logging-environments.io/argocd-namespace',
  /** Comma-separated Argo CD Application names, infrastructure first. */
  argocdApps: 'logging-environments.io/argocd-apps',
  /** AWS region of the bucket and the Secrets Manager secret. */
  region: 'logging-environments.io/region',
  /** S3 bucket that holds the Loki chunks. */
  bucket: 'logging-environments.io/bucket',
  /** Name of the AWS Secrets Manager secret with Loki's S3 credentials. */
  secret: 'logging-environments.io/secret',
  /** Path of the environment's overlay in the GitOps repository. */
  gitopsPath: 'logging-environments.io/gitops-path',
  /** Entity ref of the user who requested the environment. */
  requester: 'logging-environments.io/requester',
  /**
   * On a service (Component): entity ref of the logging environment its
   * logs are forwarded to.
   */
  environment: 'logging-environments.io/environment',
} as const;

/**
 * The standard Backstage annotation naming a service's Kubernetes namespace;
 * the service health card uses it to tell whether the namespace is collected.
 *
 * @public
 */
export const KUBERNETES_NAMESPACE_ANNOTATION =
  'backstage.io/kubernetes-namespace';

/**
 * `spec.type` of the Resource entities that are logging environments.
 *
 * @public
 */
export const LOGGING_ENVIRONMENT_ENTITY_TYPE = 'logging-environment';
