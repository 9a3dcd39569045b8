import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  Approval,
  ChecklistRun,
  HistoryEvent,
  SyncRunState,
} from '@internal/plugin-logging-environments-common';
import { randomUUID } from 'node:crypto';
import {
  LoggingEnvironmentsStore,
  StoredSyncRun,
} from '../../database/LoggingEnvironmentsStore';

const FINAL: ReadonlySet<SyncRunState> = new Set<SyncRunState>([
  'succeeded',
  'failed',
  'blocked',
]);

const clone = <T>(value: T): T => structuredClone(value);

/**
 * An in-memory {@link LoggingEnvironmentsStore} for service tests: the same
 * contract as the database store (newest first, one active sync run per
 * environment, compare-and-set transitions, idempotent decisions), no SQL.
 * Values are copied in and out, as a database would.
 */
export class MemoryLoggingEnvironmentsStore
  implements LoggingEnvironmentsStore
{
  readonly checklistRuns: Array<{
    environmentRef: string;
    run: ChecklistRun;
    triggeredBy: string;
  }> = [];
  readonly decisions: Array<{ environmentRef: string; approval: Approval }> =
    [];
  readonly syncRuns: StoredSyncRun[] = [];
  readonly history: Array<{ environmentRef: string; event: HistoryEvent }> = [];

  async addChecklistRun(
    environmentRef: string,
    run: ChecklistRun,
    triggeredBy: string,
  ): Promise<void> {
    this.checklistRuns.push({ environmentRef, run: clone(run), triggeredBy });
  }

  async latestChecklistRun(
    environmentRef: string,
  ): Promise<ChecklistRun | undefined> {
    const runs = this.checklistRuns.filter(
      r => r.environmentRef === environmentRef,
    );
    const last = runs[runs.length - 1];
    return last ? clone(last.run) : undefined;
  }

  async addDecision(
    environmentRef: string,
    decision: Omit<Approval, 'id' | 'createdAt' | 'voidedReason'>,
  ): Promise<{ created: boolean; approval: Approval }> {
    const existing = this.decisions.find(
      d =>
        d.environmentRef === environmentRef &&
        !d.approval.voidedReason &&
        d.approval.actor === decision.actor &&
        d.approval.role === decision.role &&
        d.approval.revision === decision.revision,
    );
    if (existing) return { created: false, approval: clone(existing.approval) };
    const approval: Approval = {
      ...decision,
      id: randomUUID(),
      createdAt: new Date().toISOString(),
    };
    this.decisions.push({ environmentRef, approval });
    return { created: true, approval: clone(approval) };
  }

  async listDecisions(environmentRef: string): Promise<Approval[]> {
    return this.decisions
      .filter(d => d.environmentRef === environmentRef)
      .map(d => clone(d.approval))
      .reverse();
  }

  async voidDecisionsNotFor(
    environmentRef: string,
    revision: string,
    reason: string,
  ): Promise<Approval[]> {
    const voided: Approval[] = [];
    for (const d of this.decisions) {
      if (
        d.environmentRef === environmentRef &&
        !d.approval.voidedReason &&
        d.approval.revision !== revision
      ) {
        d.approval.voidedReason = reason;
        voided.push(clone(d.approval));
      }
    }
    return voided;
  }

  async createSyncRun(
    run: Omit<
      StoredSyncRun,
      'id' | 'startedAt' | 'updatedAt' | 'stateSince' | 'state'
    >,
  ): Promise<StoredSyncRun> {
    const active = this.syncRuns.find(
      r => r.environmentRef === run.environmentRef && !FINAL.has(r.state),
    );
    if (active) {
      throw new ConflictError(
        `A sync of ${run.environmentRef} is already running (${active.state})`,
      );
    }
    const now = new Date().toISOString();
    const stored: StoredSyncRun = {
      ...clone(run),
      id: randomUUID(),
      state: 'pending',
      startedAt: now,
      updatedAt: now,
      stateSince: now,
    };
    this.syncRuns.push(stored);
    return clone(stored);
  }

  async transitionSyncRun(
    id: string,
    from: SyncRunState,
    to: SyncRunState,
    patch: {
      message?: string;
      data?: StoredSyncRun['data'];
      rollbackTo?: number;
    } = {},
  ): Promise<StoredSyncRun | undefined> {
    const run = this.syncRuns.find(r => r.id === id);
    if (!run) throw new NotFoundError(`No sync run ${id}`);
    if (run.state !== from) return undefined;
    const now = new Date().toISOString();
    run.state = to;
    run.updatedAt = now;
    // As the database store: a self-transition keeps the wait's start.
    if (from !== to) run.stateSince = now;
    if (patch.message !== undefined) run.message = patch.message;
    if (patch.data !== undefined) run.data = clone(patch.data);
    if (patch.rollbackTo !== undefined) run.rollbackTo = patch.rollbackTo;
    return clone(run);
  }

  async latestSyncRun(
    environmentRef: string,
  ): Promise<StoredSyncRun | undefined> {
    const runs = this.syncRuns.filter(r => r.environmentRef === environmentRef);
    const last = runs[runs.length - 1];
    return last ? clone(last) : undefined;
  }

  async listActiveSyncRuns(): Promise<StoredSyncRun[]> {
    return this.syncRuns.filter(r => !FINAL.has(r.state)).map(clone);
  }

  async addHistory(
    environmentRef: string,
    event: Omit<HistoryEvent, 'id' | 'at'> & { at?: string },
  ): Promise<HistoryEvent> {
    const stored: HistoryEvent = {
      ...clone(event),
      id: randomUUID(),
      at: event.at ?? new Date().toISOString(),
    };
    this.history.push({ environmentRef, event: stored });
    return clone(stored);
  }

  async listHistory(
    environmentRef: string,
    options: { limit?: number } = {},
  ): Promise<HistoryEvent[]> {
    const events = this.history
      .filter(h => h.environmentRef === environmentRef)
      .map(h => clone(h.event))
      .reverse();
    return options.limit !== undefined
      ? events.slice(0, options.limit)
      : events;
  }
}
