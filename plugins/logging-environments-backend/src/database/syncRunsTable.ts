/**
 * The `sync_runs` table: the persisted state machine of the sync. At most
 * one active run per environment (a unique index on the nullable
 * `active_key`, cleared by a final state) and compare-and-set transitions,
 * so two replicas never both advance a run. Part of
 * DatabaseLoggingEnvironmentsStore.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '@backstage/errors';
import { SyncRunState } from '@internal/plugin-logging-environments-common';
import { Knex } from 'knex';
import { StoredSyncRun, SyncRunPatch } from './LoggingEnvironmentsStore';
import {
  DbTimestamp,
  isUniqueViolation,
  isUuid,
  newestFirst,
  parseJson,
  toIso,
} from './util';

/** States after which a run no longer holds its environment. */
const FINAL_SYNC_STATES: ReadonlySet<SyncRunState> = new Set<SyncRunState>([
  'succeeded',
  'failed',
  'blocked',
]);

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

/**
 * Creates a run in state `pending`; ConflictError while the environment
 * has an active one.
 */
export async function createSyncRun(
  db: Knex,
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
      await db<SyncRunRow>('sync_runs').insert(row);
      return toSyncRun(row);
    } catch (error) {
      if (!isUniqueViolation(error)) {
        throw error;
      }
    }
    const active = await db<SyncRunRow>('sync_runs')
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

/**
 * Moves a run from `from` to `to` if it is still in `from`; undefined when
 * it is not (or there is no such run).
 */
export async function transitionSyncRun(
  db: Knex,
  id: string,
  from: SyncRunState,
  to: SyncRunState,
  patch?: SyncRunPatch,
): Promise<StoredSyncRun | undefined> {
  if (!isUuid(id)) {
    return undefined; // no such run; PostgreSQL would reject the literal
  }
  const now = new Date();
  const update: Record<string, unknown> = {
    state: to,
    updated_at: now,
    // Leaving a final state (a retry) claims the environment again, which
    // the unique index refuses while another run holds it.
    active_key: FINAL_SYNC_STATES.has(to) ? null : db.ref('environment_ref'),
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
    rows = (await db<SyncRunRow>('sync_runs')
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

/** The run of an environment that started last. */
export async function latestSyncRun(
  db: Knex,
  environmentRef: string,
): Promise<StoredSyncRun | undefined> {
  const row = await db<SyncRunRow>('sync_runs')
    .where({ environment_ref: environmentRef })
    .orderBy(newestFirst('started_at'))
    .first();
  return row ? toSyncRun(row) : undefined;
}

/** Every run not in a final state, oldest first. */
export async function listActiveSyncRuns(db: Knex): Promise<StoredSyncRun[]> {
  const rows = await db<SyncRunRow>('sync_runs')
    .whereNotNull('active_key')
    .orderBy([
      { column: 'started_at', order: 'asc' },
      { column: 'seq', order: 'asc' },
    ]);
  return rows.map(toSyncRun);
}
