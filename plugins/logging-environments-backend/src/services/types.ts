import { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { AuditStarter } from './approvals/audit';
import type { CurrentRevision } from './revision/binding';
import {
  ApplicationRole,
  ApplicationStatus,
  ApprovalState,
  Availability,
  ChecklistRun,
  EnvironmentRecordState,
  SyncRun,
  Tier,
  TierPolicy,
} from '@internal/plugin-logging-environments-common';

/**
 * An environment as the services see it: its trusted record (see
 * DefaultEnvironmentRecordService), with the tier policy in force and the
 * GitOps repository its Applications must read. Nothing here comes from a
 * catalog entity but the title.
 */
export interface Environment {
  entityRef: string;
  name: string;
  title?: string;
  tier: Tier;
  cluster: string;
  namespace: string;
  argocdNamespace: string;
  project: string;
  applications: Record<ApplicationRole, string>;
  /** The Applications' uids the bootstrap bound; a re-created one differs. */
  applicationUids: Partial<Record<ApplicationRole, string>>;
  region: string;
  bucket: string;
  secret: string;
  gitopsPath: string;
  owner: string;
  requester: string;
  policy: TierPolicy;
  /** Extra approver groups by role (only extendable roles count). */
  extraApprovers: Record<string, string[]>;
  state: EnvironmentRecordState;
  /** The configured GitOps repository and branch. */
  gitops: { repoUrl: string; branch: string };
}

/**
 * The environments: trusted records, seen through their catalog entities
 * (read with the caller's credentials, so the catalog's permissions apply).
 */
export interface EnvironmentCatalog {
  /**
   * One environment: NotFoundError for an unknown or non-environment entity
   * or one without a record; ConflictError for an entity whose annotations
   * disagree with its record.
   */
  get(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Environment>;
  /** Every environment the credentials may see. */
  list(
    credentials: BackstageCredentials,
    filter?: { owner?: string; tier?: string },
  ): Promise<Environment[]>;
  /**
   * One page of the environments the credentials may see, in entity ref
   * order, paged by the catalog itself (a request costs the same whatever
   * the number of environments), with how many there are in all.
   */
  page(
    credentials: BackstageCredentials,
    filter: { owner?: string; tier?: string },
    page: { limit: number; offset: number },
  ): Promise<{ items: Environment[]; totalItems: number }>;
  /** Every environment whose Applications are bound (state `registered`), for the scheduler. */
  registered(): Promise<Environment[]>;
  /** One environment whose Applications are bound, from its record alone (the scheduler's view of it). */
  registeredOne(entityRef: string): Promise<Environment | undefined>;
  /** Environments by entity ref from their records alone (undefined without one), for permission conditions. */
  byRefs(entityRefs: string[]): Promise<Array<Environment | undefined>>;
  /** The environment a service (Component) sends its logs to, if it names one. */
  forService(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<{
    service: { entityRef: string; namespace?: string };
    environment?: Environment;
  }>;
}

/** Phase 2: the checklist. */
export interface ChecklistService {
  /**
   * Runs every probe in parallel, each with a timeout; a failing or
   * unreachable probe becomes an item (`fail` or `unknown` with the cause),
   * never a failed request. Stores the run and records history.
   */
  run(environment: Environment, actor: string): Promise<ChecklistRun>;
}

/** The Git revision the environment's Applications would sync now, and what an approval binds to. */
export interface RevisionSource {
  /**
   * The commit `targetRevision` resolves to (undefined when unknown), the
   * binding of both Applications (commit, source, project, sync policy),
   * and what is wrong with them against the environment's record.
   */
  current(environment: Environment): Promise<CurrentRevision>;
}

/** The caller, as approval rules need it. */
export interface Caller {
  userEntityRef: string;
  ownershipEntityRefs: string[];
}

/**
 * Who an environment waits for at its current revision (the roles still
 * missing, their groups, and the users who may not give them), or why it
 * waits for nobody.
 */
export type PendingReview =
  | {
      waiting: true;
      revision: string;
      roles: Array<{ role: string; title: string; groups: string[] }>;
      exclude: string[];
    }
  | { waiting: false; reason: string };

/** The gate, and whether the caller may approve / reject now. */
export interface ApprovalView {
  state: ApprovalState;
  approve: Availability;
  reject: Availability;
}

/** Phase 2: the approval gate. */
export interface ApprovalService {
  /**
   * The gate for the current revision. A query: it writes nothing; decisions
   * bound to another revision or binding read as void before
   * {@link ApprovalService.voidStale} records it.
   */
  state(environment: Environment): Promise<ApprovalState>;
  /** Whether the caller may approve / reject now, and why not (a query). */
  availability(
    environment: Environment,
    caller: Caller,
    allowedByPermission: boolean,
  ): Promise<{ approve: Availability; reject: Availability }>;
  /**
   * {@link ApprovalService.state} and {@link ApprovalService.availability}
   * from one read of the decisions (a query): what the environment page
   * shows of the gate.
   */
  view(
    environment: Environment,
    caller: Caller,
    allowedByPermission: boolean,
  ): Promise<ApprovalView>;
  /**
   * Whether approvers can act on the current revision now: a passing
   * checklist, an incomplete gate, no standing rejection (a query).
   */
  pendingReview(environment: Environment): Promise<PendingReview>;
  /**
   * Voids the decisions bound to another revision or binding than the
   * current one, with one history entry; idempotent (a second call finds
   * nothing to void and writes nothing). Call it when the revision changes.
   * Returns how many it voided and the current revision, when known.
   */
  voidStale(
    environment: Environment,
  ): Promise<{ voided: number; revision?: string }>;
  /**
   * Records a decision after checking: the permission (done by the router,
   * passed in), the role's group membership, four-eyes and tier rules, a
   * passing checklist, and the revision. Throws NotAllowedError /
   * ConflictError / InputError with the reason. Every recorded decision and
   * every refused attempt is audited through `options.audit`; a repeated
   * decision is not.
   */
  decide(
    environment: Environment,
    caller: Caller,
    input: {
      decision: 'approve' | 'reject';
      role?: string;
      comment: string;
      revision?: string;
    },
    options: { audit: AuditStarter },
  ): Promise<ApprovalState>;
}

/** Phase 3: the sync orchestration. */
export interface SyncService {
  /**
   * Whether the caller may start a sync now, and why not. `approvals` is the
   * gate the request has read already ({@link ApprovalService.state}), so it
   * is not read again; without it the approval service is asked.
   */
  availability(
    environment: Environment,
    allowedByPermission: boolean,
    approvals?: ApprovalState,
  ): Promise<Availability>;
  /**
   * Starts a sync run at the approved revision (production: on request
   * only). ConflictError when one is running or the gate is not passed.
   */
  request(
    environment: Environment,
    actor: string,
    input: { revision?: string },
  ): Promise<SyncRun>;
  /** Called on a schedule: advances every active run one step, and starts automatic syncs (development, staging after approval). */
  tick(): Promise<void>;
  /** The latest run. */
  latest(environment: Environment): Promise<SyncRun | undefined>;
}

/** Wave status from the watch cache. */
export interface WaveStatusService {
  /** Per Application of the environment, its waves, from the cache (no request to the cluster). */
  applications(environment: Environment): ApplicationStatus[];
  /** Subscribes to changes of an environment's Applications, LokiStacks or forwarders. */
  onChange(listener: (environmentRef: string) => void): () => void;
  /** Reads a LokiStack or ClusterLogForwarder from the cache. */
  object(
    cluster: string,
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Record<string, any> | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}
