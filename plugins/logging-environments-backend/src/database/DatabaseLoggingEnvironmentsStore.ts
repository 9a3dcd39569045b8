import { createHash, randomUUID } from 'node:crypto';
import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  Approval,
  ChecklistRun,
  HistoryEvent,
  SyncRunState,
} from '@internal/plugin-logging-environments-common';
import { Knex } from 'knex';
import {
  LoggingEnvironmentsStore,
  StoredSyncRun,
} from './LoggingEnvironmentsStore';
import { migrateLoggingEnvironmentsDatabase } from './migrate';
import {
  DbTimestamp,
  isUniqueViolation,
  parseJson,
  parseTime,
  toIso,
} from './util';

/** States after which a run no longer holds its environment. */
const FINAL_SYNC_STATES: ReadonlySet<SyncRunState> = new Set<SyncRunState>([
  'succeeded',
  'failed',
  'blocked',
]);

const UUID_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type ChecklistRunRow = {
  id: string;
  environment_ref: string;
  status: ChecklistRun['status'];
  revision: string | null;
  items: string;
  triggered_by: string;
  started_at: DbTimestamp;
  finished_at: DbTimestamp;
};

type DecisionRow = {
  id: string;
  environment_ref: string;
  decision: Approval['decision'];
  role: string;
  actor: string;
  comment: string;
  revision: string;
  binding: string | null;
  created_at: DbTimestamp;
  voided_at: DbTimestamp | null;
  voided_reason: string | null;
  active_key: string | null;
};

type SyncRunRow = {
  id: string;
  environment_ref: string;
  state: SyncRunState;
  revision: string;
  requested_by: string;
  message: string | null;
  rollback_to: number | null;
  data: string | null;
  started_at: DbTimestamp;
  updated_at: DbTimestamp;
  state_since: DbTimestamp;
  active_key: string | null;
};

type HistoryRow = {
  id: string;
  environment_ref: string;
  type: HistoryEvent['type'];
  actor: string;
  at: DbTimestamp;
  message: string;
  details: string | null;
};

/** The key of an active decision; a hash keeps it short and unambiguous. */
function decisionKey(
  environmentRef: string,
  d: { actor: string; role: string; revision: string; binding?: string },
): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        environmentRef,
        d.actor,
        d.role,
        d.revision,
        ...(d.binding ? [d.binding] : []),
      ]),
    )
    .digest('hex');
}

function toChecklistRun(row: ChecklistRunRow): ChecklistRun {
  return {
    id: row.id,
    status: row.status,
    items: parseJson<ChecklistRun['items']>(row.items) ?? [],
    startedAt: toIso(row.started_at),
    finishedAt: toIso(row.finished_at),
    ...(row.revision !== null && { revision: row.revision }),
  };
}

function toApproval(row: DecisionRow): Approval {
  return {
    id: row.id,
    decision: row.decision,
    role: row.role,
    actor: row.actor,
    comment: row.comment,
    revision: row.revision,
    ...(row.binding ? { binding: row.binding } : {}),
    createdAt: toIso(row.created_at),
    ...(row.voided_at !== null && {
      voidedReason: row.voided_reason ?? '',
    }),
  };
}

function toSyncRun(row: SyncRunRow): StoredSyncRun {
  const data = parseJson<StoredSyncRun['data']>(row.data);
  return {
    id: row.id,
    environmentRef: row.environment_ref,
    state: row.state,
    revision: row.revision,
    requestedBy: row.requested_by,
    startedAt: toIso(row.started_at),
    updatedAt: toIso(row.updated_at),
    stateSince: toIso(row.state_since),
    ...(row.message !== null && { message: row.message }),
    ...(row.rollback_to !== null && { rollbackTo: Number(row.rollback_to) }),
    ...(data !== undefined && { data }),
  };
}

function toHistoryEvent(row: HistoryRow): HistoryEvent {
  const details = parseJson<HistoryEvent['details']>(row.details);
  return {
    id: row.id,
    type: row.type,
    actor: row.actor,
    at: toIso(row.at),
    message: row.message,
    ...(details !== undefined && { details }),
  };
}

/**
 * The Knex implementation of {@link LoggingEnvironmentsStore}, on SQLite and
 * PostgreSQL. The concurrency rules of the interface (one active decision per
 * environment, actor, role and revision; one active sync run per environment)
 * are unique indexes on nullable `active_key` columns, so they hold across
 * replicas; sync-run transitions are compare-and-set updates.
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

  async addChecklistRun(
    environmentRef: string,
    run: ChecklistRun,
    triggeredBy: string,
  ): Promise<void> {
    if (!UUID_PATTERN.test(run.id)) {
      // PostgreSQL would reject it anyway; say so on SQLite too.
      throw new InputError(`Checklist run id must be a UUID, got '${run.id}'`);
    }
    await this.db<ChecklistRunRow>('checklist_runs').insert({
      id: run.id.toLowerCase(),
      environment_ref: environmentRef,
      status: run.status,
      revision: run.revision ?? null,
      items: JSON.stringify(run.items),
      triggered_by: triggeredBy,
      started_at: parseTime(run.startedAt, 'startedAt'),
      finished_at: parseTime(run.finishedAt, 'finishedAt'),
    });
  }

  async latestChecklistRun(
    environmentRef: string,
  ): Promise<ChecklistRun | undefined> {
    const row = await this.db<ChecklistRunRow>('checklist_runs')
      .where({ environment_ref: environmentRef })
      .orderBy([
        { column: 'finished_at', order: 'desc' },
        { column: 'seq', order: 'desc' },
      ])
      .first();
    return row ? toChecklistRun(row) : undefined;
  }

  async addDecision(
    environmentRef: string,
    decision: Omit<Approval, 'id' | 'createdAt' | 'voidedReason'>,
  ): Promise<{ created: boolean; approval: Approval }> {
    const activeKey = decisionKey(environmentRef, decision);
    // A duplicate may be voided between our failed insert and our read; then
    // the insert can succeed on the next attempt.
    for (let attempt = 0; attempt < 3; attempt++) {
      const row: DecisionRow = {
        id: randomUUID(),
        environment_ref: environmentRef,
        decision: decision.decision,
        role: decision.role,
        actor: decision.actor,
        comment: decision.comment,
        revision: decision.revision,
        binding: decision.binding ?? null,
        created_at: new Date(),
        voided_at: null,
        voided_reason: null,
        active_key: activeKey,
      };
      try {
        await this.db<DecisionRow>('decisions').insert(row);
        return { created: true, approval: toApproval(row) };
      } catch (error) {
        if (!isUniqueViolation(error)) {
          throw error;
        }
      }
      const existing = await this.db<DecisionRow>('decisions')
        .where({ active_key: activeKey })
        .first();
      if (existing) {
        return { created: false, approval: toApproval(existing) };
      }
    }
    throw new ConflictError(
      `Could not record the decision of ${decision.actor} as ${decision.role} on ${environmentRef}: it kept conflicting with concurrent changes, try again`,
    );
  }

  async listDecisions(environmentRef: string): Promise<Approval[]> {
    const rows = await this.db<DecisionRow>('decisions')
      .where({ environment_ref: environmentRef })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'seq', order: 'desc' },
      ]);
    return rows.map(toApproval);
  }

  async voidDecisionsNotFor(
    environmentRef: string,
    current: { revision: string; binding: string },
    reason: (voided: Approval) => string,
  ): Promise<Approval[]> {
    return this.db.transaction(async tx => {
      const stale = await tx<DecisionRow & { seq: number }>('decisions')
        .where({ environment_ref: environmentRef })
        .whereNotNull('active_key')
        .andWhere(q =>
          q
            .whereNot({ revision: current.revision })
            .orWhereNull('binding')
            .orWhereNot({ binding: current.binding }),
        );
      const voided: Array<{
        row: DecisionRow & { seq: number };
        approval: Approval;
      }> = [];
      const now = new Date();
      for (const row of stale) {
        const why = reason(toApproval(row));
        // Only if it is still active: a concurrent call may have voided it.
        const updated = await tx('decisions')
          .where({ id: row.id })
          .whereNotNull('active_key')
          .update({ active_key: null, voided_at: now, voided_reason: why });
        if (updated > 0) {
          voided.push({
            row,
            approval: toApproval({
              ...row,
              active_key: null,
              voided_at: now,
              voided_reason: why,
            }),
          });
        }
      }
      // Newest first, like listDecisions.
      return voided
        .sort(
          (a, b) =>
            b.approval.createdAt.localeCompare(a.approval.createdAt) ||
            b.row.seq - a.row.seq,
        )
        .map(({ approval }) => approval);
    });
  }

  async createSyncRun(
    run: Omit<
      StoredSyncRun,
      'id' | 'startedAt' | 'updatedAt' | 'stateSince' | 'state'
    >,
  ): Promise<StoredSyncRun> {
    // The active run may finish between our failed insert and our read; then
    // the insert can succeed on the next attempt.
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      const row: SyncRunRow = {
        id: randomUUID(),
        environment_ref: run.environmentRef,
        state: 'pending',
        revision: run.revision,
        requested_by: run.requestedBy,
        message: run.message ?? null,
        rollback_to: run.rollbackTo ?? null,
        data: run.data === undefined ? null : JSON.stringify(run.data),
        started_at: now,
        updated_at: now,
        state_since: now,
        active_key: run.environmentRef,
      };
      try {
        await this.db<SyncRunRow>('sync_runs').insert(row);
        return toSyncRun(row);
      } catch (error) {
        if (!isUniqueViolation(error)) {
          throw error;
        }
      }
      const active = await this.db<SyncRunRow>('sync_runs')
        .where({ active_key: run.environmentRef })
        .first();
      if (active) {
        throw new ConflictError(
          `${run.environmentRef} already has a sync run in progress (run ${active.id}, state '${active.state}', revision ${active.revision}); wait for it to finish`,
        );
      }
    }
    throw new ConflictError(
      `Could not start a sync run for ${run.environmentRef}: it kept conflicting with concurrent runs, try again`,
    );
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
  ): Promise<StoredSyncRun | undefined> {
    if (!UUID_PATTERN.test(id)) {
      return undefined; // no such run; PostgreSQL would reject the literal
    }
    const now = new Date();
    const update: Record<string, unknown> = {
      state: to,
      updated_at: now,
      // Leaving a final state (a retry) claims the environment again, which
      // the unique index refuses while another run holds it.
      active_key: FINAL_SYNC_STATES.has(to)
        ? null
        : this.db.ref('environment_ref'),
    };
    // A self-transition records progress; the wait it is in keeps its start.
    if (from !== to) {
      update.state_since = now;
    }
    if (patch?.message !== undefined) {
      update.message = patch.message;
    }
    if (patch?.data !== undefined) {
      update.data = JSON.stringify(patch.data);
    }
    if (patch?.rollbackTo !== undefined) {
      update.rollback_to = patch.rollbackTo;
    }
    let rows: SyncRunRow[];
    try {
      rows = (await this.db<SyncRunRow>('sync_runs')
        .where({ id: id.toLowerCase(), state: from })
        .update(update)
        .returning('*')) as SyncRunRow[];
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          `Sync run ${id} cannot move to '${to}': its environment already has another sync run in progress`,
        );
      }
      throw error;
    }
    return rows.length > 0 ? toSyncRun(rows[0]) : undefined;
  }

  async latestSyncRun(
    environmentRef: string,
  ): Promise<StoredSyncRun | undefined> {
    const row = await this.db<SyncRunRow>('sync_runs')
      .where({ environment_ref: environmentRef })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'seq', order: 'desc' },
      ])
      .first();
    return row ? toSyncRun(row) : undefined;
  }

  async listActiveSyncRuns(): Promise<StoredSyncRun[]> {
    const rows = await this.db<SyncRunRow>('sync_runs')
      .whereNotNull('active_key')
      .orderBy([
        { column: 'started_at', order: 'asc' },
        { column: 'seq', order: 'asc' },
      ]);
    return rows.map(toSyncRun);
  }

  async addHistory(
    environmentRef: string,
    event: Omit<HistoryEvent, 'id' | 'at'> & { at?: string },
  ): Promise<HistoryEvent> {
    const row: HistoryRow = {
      id: randomUUID(),
      environment_ref: environmentRef,
      type: event.type,
      actor: event.actor,
      at: event.at === undefined ? new Date() : parseTime(event.at, 'at'),
      message: event.message,
      details:
        event.details === undefined ? null : JSON.stringify(event.details),
    };
    await this.db<HistoryRow>('history').insert(row);
    return toHistoryEvent(row);
  }

  async listHistory(
    environmentRef: string,
    options?: { limit?: number },
  ): Promise<HistoryEvent[]> {
    const query = this.db<HistoryRow>('history')
      .where({ environment_ref: environmentRef })
      .orderBy([
        { column: 'at', order: 'desc' },
        { column: 'seq', order: 'desc' },
      ]);
    if (options?.limit !== undefined) {
      if (!Number.isInteger(options.limit) || options.limit < 0) {
        throw new InputError(
          `History limit must be a non-negative integer, got ${options.limit}`,
        );
      }
      query.limit(options.limit);
    }
    return (await query).map(toHistoryEvent);
  }
}
