import {
  Approval,
  ChecklistRun,
  HistoryEvent,
  SyncRun,
  SyncRunState,
} from '@internal/plugin-logging-environments-common';
import type { LockGrant, LockOptions } from './locksTable';

export type { LockGrant, LockOptions } from './locksTable';

/**
 * A sync run as stored, with what the state machine needs to resume it
 * after a restart.
 */
export interface StoredSyncRun extends SyncRun {
  environmentRef: string;
  /** The rollback target when the tier rolls back on failure (an Argo CD history id). */
  rollbackTo?: number;
  /** When the current state was entered (ISO 8601); waits time out from here. */
  stateSince: string;
  /** Free-form, non-secret progress data of the current state. */
  data?: Record<string, string | number | boolean>;
}

/** What a sync run's transition changes besides its state. */
export interface SyncRunPatch {
  message?: string;
  /** Replaces the run's data. */
  data?: StoredSyncRun['data'];
  rollbackTo?: number;
}

/**
 * Everything the backend plugin keeps. SQL lives only in its implementation
 * (DatabaseLoggingEnvironmentsStore, Knex, SQLite and PostgreSQL); no
 * secret value is ever stored.
 */
export interface LoggingEnvironmentsStore {
  /** Stores a finished checklist run. */
  addChecklistRun(
    environmentRef: string,
    run: ChecklistRun,
    triggeredBy: string,
  ): Promise<void>;
  /** The latest checklist run of an environment. */
  latestChecklistRun(environmentRef: string): Promise<ChecklistRun | undefined>;

  /**
   * Records an approval or rejection. At most one active decision per
   * (environment, actor, role, revision): a second identical decision (two
   * clicks at once) returns `{ created: false }` with the existing one.
   */
  addDecision(
    environmentRef: string,
    decision: Omit<Approval, 'id' | 'createdAt' | 'voidedReason'>,
  ): Promise<{ created: boolean; approval: Approval }>;
  /** Every decision of an environment, newest first, voided ones included. */
  listDecisions(environmentRef: string): Promise<Approval[]>;
  /**
   * Voids every active decision made for another revision or another
   * binding than `current` (a new commit, or a change to the Applications'
   * source, project or sync policy, voids earlier decisions). Returns the
   * voided ones.
   */
  voidDecisionsNotFor(
    environmentRef: string,
    current: { revision: string; binding: string },
    reason: (voided: Approval) => string,
  ): Promise<Approval[]>;

  /**
   * Creates a sync run in state `pending`, unless the environment has an
   * active one (not succeeded, failed or blocked): then throws
   * ConflictError. Atomic: two concurrent calls create one run.
   */
  createSyncRun(
    run: Omit<
      StoredSyncRun,
      'id' | 'startedAt' | 'updatedAt' | 'stateSince' | 'state'
    >,
  ): Promise<StoredSyncRun>;
  /**
   * Moves a run to a new state if it is still in `from` (compare-and-set,
   * so two replicas never both advance it); returns the updated run, or
   * undefined when someone else moved it first.
   */
  transitionSyncRun(
    id: string,
    from: SyncRunState,
    to: SyncRunState,
    patch?: SyncRunPatch,
  ): Promise<StoredSyncRun | undefined>;
  /** The latest sync run of an environment. */
  latestSyncRun(environmentRef: string): Promise<StoredSyncRun | undefined>;
  /** Every run not in a final state (for the scheduler to drive). */
  listActiveSyncRuns(): Promise<StoredSyncRun[]>;

  /** Appends to the audit trail. */
  addHistory(
    environmentRef: string,
    event: Omit<HistoryEvent, 'id' | 'at'> & { at?: string },
  ): Promise<HistoryEvent>;
  /** The audit trail, newest first. */
  listHistory(
    environmentRef: string,
    options?: { limit?: number },
  ): Promise<HistoryEvent[]>;

  /**
   * Runs `work` while no other caller, in this process or another replica
   * on the same database, holds the lock `key`; waits for it otherwise
   * (ConflictError after `options.waitMs`). The lock is a lease that its
   * holder renews while `work` runs, so a replica that dies mid-work
   * releases it when the lease runs out.
   */
  withLock<T>(
    key: string,
    work: (grant: LockGrant) => Promise<T>,
    options?: LockOptions,
  ): Promise<T>;
}
