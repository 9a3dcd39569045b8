import { ApplicationRole, WaveStep } from './wavePlan';
import { Tier, TierPolicy } from './tiers';

/**
 * The three phases of ADR-0009.
 *
 * @public
 */
export type Phase = 'bootstrap' | 'verify' | 'sync' | 'live';

/**
 * Outcome of one checklist probe. `unknown` means the probe could not reach
 * what it checks; the message says why.
 *
 * @public
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'unknown';

/**
 * One item of the phase-2 checklist.
 *
 * @public
 */
export interface ChecklistItem {
  id: string;
  title: string;
  status: CheckStatus;
  message: string;
  /** Non-secret facts the probe saw, for people to verify. */
  evidence: Record<string, string | number | boolean>;
  /** ISO 8601 time of the check. */
  checkedAt: string;
}

/**
 * A stored run of the checklist.
 *
 * @public
 */
export interface ChecklistRun {
  id: string;
  items: ChecklistItem[];
  /** `pass` only when no item failed or is unknown. */
  status: CheckStatus;
  startedAt: string;
  finishedAt: string;
  /** Git revision the Applications would sync, when it could be read. */
  revision?: string;
}

/**
 * A decision recorded at the phase-2 gate.
 *
 * @public
 */
export interface Approval {
  id: string;
  decision: 'approve' | 'reject';
  role: string;
  /** Entity ref of the user who decided. */
  actor: string;
  comment: string;
  /** The Git revision the decision was made for. */
  revision: string;
  /**
   * Fingerprint of what the decision approved besides the commit: both
   * Applications' source, project and sync policy. A change voids it.
   */
  binding?: string;
  createdAt: string;
  /** Set when a newer revision or a failing check voided the decision. */
  voidedReason?: string;
}

/**
 * State of a phase-3 sync run.
 *
 * @public
 */
export type SyncRunState =
  | 'pending'
  | 'syncing-infrastructure'
  | 'waiting-infrastructure'
  | 'syncing-forwarder'
  | 'waiting-forwarder'
  | 'rolling-back'
  | 'succeeded'
  | 'failed'
  | 'blocked';

/**
 * A phase-3 sync run.
 *
 * @public
 */
export interface SyncRun {
  id: string;
  state: SyncRunState;
  revision: string;
  requestedBy: string;
  startedAt: string;
  updatedAt: string;
  message?: string;
}

/**
 * State of one wave of one Application. `unknown`: synced, but the health
 * of a resource cannot be told (never counted as healthy).
 *
 * @public
 */
export type WaveState =
  | 'pending'
  | 'running'
  | 'unknown'
  | 'healthy'
  | 'degraded'
  | 'failed';

/**
 * Where the health of a resource was read:
 * - `application`: `status.resources[].health` of the Application (Argo CD
 *   2.x, or 3.x with `controller.resource.health.persist`);
 * - `resource-tree`: the resource tree of the Argo CD API (Argo CD 3.x,
 *   `status.resourceHealthSource: appTree`);
 * - `live`: evaluated by the portal from the live object, with the rules of
 *   the Argo CD health checks it ships (LokiStack, ClusterLogForwarder);
 * - `application-health`: inferred from the Application's own health: a
 *   Healthy Application has no live resource worse than Healthy.
 *
 * @public
 */
export type ResourceHealthSource =
  | 'application'
  | 'resource-tree'
  | 'live'
  | 'application-health';

/**
 * One resource Argo CD reports for an Application.
 *
 * @public
 */
export interface WaveResource {
  kind: string;
  name: string;
  namespace?: string;
  syncStatus?: string;
  /**
   * Its Argo CD health (`Unknown` when it cannot be told); absent for a
   * resource Argo CD assesses no health for (RBAC, ServiceAccounts).
   */
  health?: string;
  /** Where `health` was read. */
  healthSource?: ResourceHealthSource;
  message?: string;
}

/**
 * Something wrong with an Application as a whole, in Argo CD's words: one
 * of its conditions (`type` as Argo CD names it: `ComparisonError`,
 * `OrphanedResourceWarning`, ...; `severity` from the suffix, as Argo CD's
 * `ApplicationCondition.IsError` tells them apart), its deletion
 * (`Deleting`), or a Degraded health without any resource to explain it
 * (`DegradedWithoutResources`).
 *
 * @public
 */
export interface ApplicationProblem {
  type: string;
  severity: 'error' | 'warning';
  message: string;
}

/**
 * One wave of an Application, with its resources.
 *
 * @public
 */
export interface WaveStatus {
  wave: number;
  step?: WaveStep;
  state: WaveState;
  resources: WaveResource[];
}

/**
 * What Argo CD reports for one of the environment's Applications.
 *
 * @public
 */
export interface ApplicationStatus {
  role: ApplicationRole;
  name: string;
  syncStatus?: string;
  health?: string;
  /** The commit compared or synced (of the first source, for several sources). */
  revision?: string;
  /** One commit per source, in the order of `spec.sources`, for an Application with several. */
  revisions?: string[];
  operationPhase?: string;
  operationMessage?: string;
  /** Errors and warnings of the Application as a whole, with Argo CD's message. */
  problems?: ApplicationProblem[];
  waves: WaveStatus[];
  /** Link to the Application in the Argo CD UI, when one is configured. */
  url?: string;
}

/**
 * An environment as the backend reports it.
 *
 * @public
 */
export interface EnvironmentSummary {
  entityRef: string;
  name: string;
  title?: string;
  owner?: string;
  tier: Tier;
  cluster: string;
  phase: Phase;
  policy: TierPolicy;
}

/**
 * Whether the caller may do something now, and if not, why (shown next to
 * the disabled button).
 *
 * @public
 */
export interface Availability {
  allowed: boolean;
  /** Why not, in words, when not allowed. */
  reason?: string;
}

/**
 * One approval a tier requires, and the approval that fulfils it, if any.
 *
 * @public
 */
export interface RequiredApprovalStatus {
  role: string;
  title: string;
  /** Entity refs of the groups whose members may give it. */
  groups: string[];
  /** The valid approval that fulfils it, for the current revision. */
  approval?: Approval;
}

/**
 * The phase-2 gate of an environment.
 *
 * @public
 */
export interface ApprovalState {
  /** The Git revision approvals are bound to (what the Applications will sync). */
  revision?: string;
  required: RequiredApprovalStatus[];
  /** Every decision recorded, newest first, voided ones included. */
  decisions: Approval[];
  /** All required approvals are given for the current revision, and no rejection stands. */
  complete: boolean;
  /** A standing rejection for the current revision, if any. */
  rejected?: Approval;
}

/**
 * One entry of an environment's audit trail.
 *
 * @public
 */
export interface HistoryEvent {
  id: string;
  type:
    | 'bootstrap'
    | 'checklist'
    | 'approval'
    | 'rejection'
    | 'approvals-voided'
    | 'sync-requested'
    | 'sync-progress'
    | 'sync-succeeded'
    | 'sync-failed'
    | 'sync-blocked'
    | 'rollback';
  /** Entity ref of who did it, or `system`. */
  actor: string;
  /** ISO 8601. */
  at: string;
  message: string;
  /** Non-secret details (revision, role, state...). */
  details?: Record<string, string | number | boolean>;
}

/**
 * Everything the environment page shows.
 *
 * @public
 */
export interface EnvironmentDetails extends EnvironmentSummary {
  namespace: string;
  requester?: string;
  /** Facts of the environment's trusted record, for people to see. */
  record?: {
    state: 'bootstrapping' | 'registered';
    argocdNamespace: string;
    applications: { infrastructure: string; forwarder: string };
    region: string;
    bucket: string;
    secret: string;
    gitopsPath: string;
    /** Extra approver groups by role (only extendable roles count). */
    extraApprovers: Record<string, string[]>;
  };
  /** The last checklist run. */
  checklist?: ChecklistRun;
  approvals: ApprovalState;
  /** The latest sync run. */
  sync?: SyncRun;
  applications: ApplicationStatus[];
  /** What the caller may do now. */
  can: {
    runChecklist: Availability;
    approve: Availability;
    reject: Availability;
    sync: Availability;
  };
}

/**
 * The logging health of one service.
 *
 * @public
 */
export interface ServiceHealth {
  entityRef: string;
  environment?: {
    entityRef: string;
    name: string;
    tier: Tier;
    cluster: string;
  };
  /** The service's Kubernetes namespace, from its annotation. */
  namespace?: string;
  /** Whether the forwarder collects that namespace's logs. */
  collected: 'yes' | 'no' | 'unknown';
  lokiStack: { health: string; message?: string };
  forwarder: { health: string; message?: string };
  lastSync?: { revision?: string; phase?: string; finishedAt?: string };
  links: { environment?: string; logs?: string };
}
