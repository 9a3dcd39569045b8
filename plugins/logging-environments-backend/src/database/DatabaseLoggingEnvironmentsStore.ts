import { DatabaseService } from '@backstage/backend-plugin-api';
import {
  Approval,
  ChecklistRun,
  HistoryEvent,
  SyncRunState,
} from '@internal/plugin-logging-environments-common';
import { Knex } from 'knex';
import * as checklistRuns from './checklistRunsTable';
import * as decisions from './decisionsTable';
import * as history from './historyTable';
import * as locks from './locksTable';
import {
  LockGrant,
  LockOptions,
  LoggingEnvironmentsStore,
  StoredSyncRun,
  SyncRunPatch,
} from './LoggingEnvironmentsStore';
import { migrateLoggingEnvironmentsDatabase } from './migrate';
import * as syncRuns from './syncRunsTable';

/**
 * The Knex implementation of {@link LoggingEnvironmentsStore}, on SQLite and
 * PostgreSQL. The concurrency rules of the interface (one active decision per
 * environment, actor, role and revision; one active sync run per environment)
 * are unique indexes on nullable `active_key` columns, so they hold across
 * replicas; sync-run transitions are compare-and-set updates; `withLock`
 * leases are rows keyed by the lock's name.
 *
 * @remarks
 * Each table's SQL lives in a module of its own (`checklistRunsTable`,
 * `decisionsTable`, `syncRunsTable`, `historyTable`, `locksTable`); this class connects,
 * migrates and hands them the database.
 *
 * @internal
 */
export class DatabaseLoggingEnvironmentsStore
  implements LoggingEnvironmentsStore
{
  private constructor(private readonly db: Knex) {}

  /**
   * Connects to the plugin's database and, unless the deployment skips them,
   * runs the migrations.
   */
  static async create({
    database,
  }: {
    database: DatabaseService;
  }): Promise<DatabaseLoggingEnvironmentsStore> {
    return new DatabaseLoggingEnvironmentsStore(
      await migrateLoggingEnvironmentsDatabase(database),
    );
  }

  addChecklistRun(
    environmentRef: string,
    run: ChecklistRun,
    triggeredBy: string,
  ): Promise<void> {
    return checklistRuns.addChecklistRun(
      this.db,
      environmentRef,
      run,
      triggeredBy,
    );
  }

  latestChecklistRun(
    environmentRef: string,
  ): Promise<ChecklistRun | undefined> {
    return checklistRuns.latestChecklistRun(this.db, environmentRef);
  }

  addDecision(
    environmentRef: string,
    decision: Omit<Approval, 'id' | 'createdAt' | 'voidedReason'>,
  ): Promise<{ created: boolean; approval: Approval }> {
    return decisions.addDecision(this.db, environmentRef, decision);
  }

  listDecisions(environmentRef: string): Promise<Approval[]> {
    return decisions.listDecisions(this.db, environmentRef);
  }

  voidDecisionsNotFor(
    environmentRef: string,
    current: { revision: string; binding: string },
    reason: (voided: Approval) => string,
  ): Promise<Approval[]> {
    return decisions.voidDecisionsNotFor(
      this.db,
      environmentRef,
      current,
      reason,
    );
  }

  createSyncRun(
    run: Omit<
      StoredSyncRun,
      'id' | 'startedAt' | 'updatedAt' | 'stateSince' | 'state'
    >,
  ): Promise<StoredSyncRun> {
    return syncRuns.createSyncRun(this.db, run);
  }

  transitionSyncRun(
    id: string,
    from: SyncRunState,
    to: SyncRunState,
    patch?: SyncRunPatch,
  ): Promise<StoredSyncRun | undefined> {
    return syncRuns.transitionSyncRun(this.db, id, from, to, patch);
  }

  latestSyncRun(environmentRef: string): Promise<StoredSyncRun | undefined> {
    return syncRuns.latestSyncRun(this.db, environmentRef);
  }

  listActiveSyncRuns(): Promise<StoredSyncRun[]> {
    return syncRuns.listActiveSyncRuns(this.db);
  }

  addHistory(
    environmentRef: string,
    event: Omit<HistoryEvent, 'id' | 'at'> & { at?: string },
  ): Promise<HistoryEvent> {
    return history.addHistory(this.db, environmentRef, event);
  }

  listHistory(
    environmentRef: string,
    options?: { limit?: number },
  ): Promise<HistoryEvent[]> {
    return history.listHistory(this.db, environmentRef, options);
  }

  withLock<T>(
    key: string,
    work: (grant: LockGrant) => Promise<T>,
    options?: LockOptions,
  ): Promise<T> {
    return locks.withLock(this.db, key, work, options);
  }
}
