import { Tier } from './tiers';
import { ApplicationRole, applicationNames } from './wavePlan';

/**
 * Where an environment's trusted record stands.
 *
 * - `bootstrapping`: the bootstrap claimed the name and the cluster; its
 *   Argo CD Applications are not bound yet, so nothing syncs.
 * - `registered`: the bootstrap registered the Applications and the backend
 *   bound their uids; the gate and the sync act on it.
 *
 * @public
 */
export type EnvironmentRecordState = 'bootstrapping' | 'registered';

/**
 * One of an environment's Argo CD Applications, as its record binds it.
 *
 * @public
 */
export interface RecordedApplication {
  name: string;
  /** `metadata.uid` when the bootstrap registered it; a re-created Application has another. */
  uid?: string;
}

/**
 * The trusted record of a logging environment: the facts every decision
 * (who may approve, which policy applies, what gets synced, what the
 * checklist checks) stands on.
 *
 * @remarks
 * Written only by the bootstrap, through the backend with the caller's
 * identity checked, and changed afterwards only by a platform administrator.
 * The catalog entity of the same ref is a view of it: its annotations are
 * compared with the record and never acted on.
 *
 * @public
 */
export interface EnvironmentRecord {
  /** `resource:default/<name>`. */
  entityRef: string;
  name: string;
  tier: Tier;
  /** The configured cluster that runs the stack (one environment per cluster). */
  cluster: string;
  /** Namespace of the logging stack. */
  namespace: string;
  /** Namespace of the Argo CD instance holding the Applications. */
  argocdNamespace: string;
  /** The Argo CD AppProject confining the Applications. */
  project: string;
  applications: Record<ApplicationRole, RecordedApplication>;
  /** Entity ref of the owning group. */
  owner: string;
  /** Entity ref of the user who requested the environment. */
  requester: string;
  region: string;
  bucket: string;
  /** The Secrets Manager secret holding Loki's S3 key. */
  secret: string;
  /** Path of the environment in the GitOps repository. */
  gitopsPath: string;
  /**
   * Extra approver groups by role, given at creation; only roles that
   * configuration marks `extendable` ever count.
   */
  extraApprovers: Record<string, string[]>;
  state: EnvironmentRecordState;
  createdAt: string;
  updatedAt: string;
  /** Who wrote the record last (a user entity ref). */
  updatedBy: string;
}

/**
 * The names of the Argo CD Applications a record binds, by role.
 *
 * @public
 */
export function recordedApplicationNames(
  record: Pick<EnvironmentRecord, 'applications'>,
): Record<ApplicationRole, string> {
  return {
    infrastructure: record.applications.infrastructure.name,
    forwarder: record.applications.forwarder.name,
  };
}

/**
 * What a bootstrap asks the backend to record: the template's choices.
 * Everything else in the record is derived from the name or from the
 * caller's identity.
 *
 * @public
 */
export interface BootstrapRequest {
  name: string;
  tier: string;
  cluster: string;
  /** Entity ref of the owning group. */
  owner: string;
  region: string;
  bucket: string;
  /** Groups to add to the tier's extendable approval roles. */
  approverGroups?: string[];
}

/**
 * The names and places every environment derives from its name: its
 * Applications, AppProject, GitOps path and namespaces. The bootstrap
 * renders them and the backend checks against them.
 *
 * @public
 */
export function environmentLayout(name: string): {
  entityRef: string;
  project: string;
  applications: Record<ApplicationRole, string>;
  gitopsPath: string;
  namespace: string;
  argocdNamespace: string;
} {
  return {
    entityRef: `resource:default/${name}`,
    project: `${name}-logging`,
    applications: applicationNames(name),
    gitopsPath: `environments/${name}`,
    namespace: 'openshift-logging',
    argocdNamespace: 'openshift-gitops',
  };
}

/**
 * The label every object of an environment carries on the cluster (its
 * Applications, AppProject and ClusterSecretStore), valued with its name.
 *
 * @public
 */
export const ENVIRONMENT_LABEL = 'logging-environments.io/environment';

/**
 * What a bootstrap step asks the backend to check before it acts: the
 * action, the facts of its input the record decides, the objects it is
 * about to apply (Argo CD objects, the ClusterSecretStore), and whether it
 * replaces credentials (a rotation).
 *
 * @public
 */
export interface BootstrapStepCheck {
  /** The action id, e.g. `logging:iam:ensure`. */
  action: string;
  facts?: {
    cluster?: string;
    region?: string;
    bucket?: string;
    secretName?: string;
  };
  /** The objects the step applies, as rendered. */
  manifests?: object[];
  /** The step replaces credentials already there. */
  rotate?: boolean;
}
