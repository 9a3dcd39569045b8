import { randomUUID } from 'node:crypto';
import { ConflictError } from '@backstage/errors';
import {
  Approval,
  ChecklistRun,
  HistoryEvent,
  SyncRunState,
} from '@internal/plugin-logging-environments-common';
import {
  LoggingEnvironmentsStore,
  StoredSyncRun,
} from '../../../database/LoggingEnvironmentsStore';

const FINAL: ReadonlySet<SyncRunState> = new Set<SyncRunState>([
  'succeeded',
  'failed',
  'blocked',
]);

/** Lets other callers run between our steps, as a database round trip would. */
const tick = () => new Promise<void>(resolve => setImmediate(resolve));

/**
 * A LoggingEnvironmentsStore in memory, for tests. It keeps the store's
 * contract: one active decision per (environment, actor, role, revision),
 * whatever the decision, checked and inserted atomically like a unique
 * index; lists newest first.
 */
export class InMemoryLoggingEnvironmentsStore
  implements LoggingEnvironmentsStore
{
  readonly checklistRuns: Array<{ environmentRef: string; run: ChecklistRun }> =
    [];
  readonly decisions: Array<{ environmentRef: string; approval: Approval }> =
    [];
  readonly history: Array<{ environmentRef: string; event: HistoryEvent }> = [];
  readonly syncRuns: StoredSyncRun[] = [];
  #clock = Date.parse('2026-11-27T10:00:00Z');

  /** Strictly increasing timestamps, so that "newest first" is well defined. */
  #now(): string {
    this.#clock += 1000;
    return new Date(this.#clock).toISOString();
  }

  async addChecklistRun(environmentRef: string, run: ChecklistRun) {
    await tick();
    this.checklistRuns.push({ environmentRef, run });
  }

  async latestChecklistRun(environmentRef: string) {
    await tick();
    return [...this.checklistRuns]
      .reverse()
      .find(r => r.environmentRef === environmentRef)?.run;
  }

  async addDecision(
    environmentRef: string,
    decision: Omit<Approval, 'id' | 'createdAt' | 'voidedReason'>,
  ) {
    await tick();
    const existing = this.decisions.find(
      d =>
        d.environmentRef === environmentRef &&
        !d.approval.voidedReason &&
        d.approval.actor === decision.actor &&
        d.approval.role === decision.role &&
        d.approval.revision === decision.revision,
    );
    if (existing) return { created: false, approval: { ...existing.approval } };
    const approval: Approval = {
      ...decision,
      id: randomUUID(),
      createdAt: this.#now(),
    };
    this.decisions.push({ environmentRef, approval });
    return { created: true, approval: { ...approval } };
  }

  async listDecisions(environmentRef: string) {
    await tick();
    return this.decisions
      .filter(d => d.environmentRef === environmentRef)
      .map(d => ({ ...d.approval }))
      .reverse();
  }

  async voidDecisionsNotFor(
    environmentRef: string,
    revision: string,
    reason: string,
  ) {
    await tick();
    const voided: Approval[] = [];
    for (const d of this.decisions) {
      if (
        d.environmentRef === environmentRef &&
        !d.approval.voidedReason &&
        d.approval.revision !== revision
      ) {
        d.approval.voidedReason = reason;
        voided.push({ ...d.approval });
      }
    }
    return voided;
  }

  async createSyncRun(
    run: Omit<
      StoredSyncRun,
      'id' | 'startedAt' | 'updatedAt' | 'stateSince' | 'state'
    >,
  ) {
    await tick();
    if (
      this.syncRuns.some(
        r => r.environmentRef === run.environmentRef && !FINAL.has(r.state),
      )
    ) {
      throw new ConflictError(`${run.environmentRef} has an active sync run`);
    }
    const now = this.#now();
    const stored: StoredSyncRun = {
      ...run,
      id: randomUUID(),
      state: 'pending',
      startedAt: now,
      updatedAt: now,
      stateSince: now,
    };
    this.syncRuns.push(stored);
    return { ...stored };
  }

  async transitionSyncRun(
    id: string,
    from: SyncRunState,
    to: SyncRunState,
    patch?: {
      message?: string;
      data?: StoredSyncRun['data'];
      rollbackTo?: number;
    },
  ) {
    await tick();
    const run = this.syncRuns.find(r => r.id === id);
    if (!run || run.state !== from) return undefined;
    const now = this.#now();
    Object.assign(run, patch ?? {}, {
      state: to,
      updatedAt: now,
      stateSince: now,
    });
    return { ...run };
  }

  async latestSyncRun(environmentRef: string) {
    await tick();
    const run = [...this.syncRuns]
      .reverse()
      .find(r => r.environmentRef === environmentRef);
    return run && { ...run };
  }

  async listActiveSyncRuns() {
    await tick();
    return this.syncRuns.filter(r => !FINAL.has(r.state)).map(r => ({ ...r }));
  }

  async addHistory(
    environmentRef: string,
    event: Omit<HistoryEvent, 'id' | 'at'> & { at?: string },
  ) {
    await tick();
    const stored: HistoryEvent = {
      ...event,
      id: randomUUID(),
      at: event.at ?? this.#now(),
    };
    this.history.push({ environmentRef, event: stored });
    return { ...stored };
  }

  async listHistory(environmentRef: string, options?: { limit?: number }) {
    await tick();
    const events = this.history
      .filter(h => h.environmentRef === environmentRef)
      .map(h => ({ ...h.event }))
      .reverse();
    return options?.limit ? events.slice(0, options.limit) : events;
  }
}
