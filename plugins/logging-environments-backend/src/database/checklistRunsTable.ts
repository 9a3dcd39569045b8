/**
 * The `checklist_runs` table: how a finished checklist run is stored and
 * read back. Part of DatabaseLoggingEnvironmentsStore.
 */
import { InputError } from '@backstage/errors';
import { ChecklistRun } from '@internal/plugin-logging-environments-common';
import { Knex } from 'knex';
import {
  DbTimestamp,
  isUuid,
  newestFirst,
  parseJson,
  parseTime,
  toIso,
} from './util';

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

/** Stores a finished checklist run; its id must be a UUID. */
export async function addChecklistRun(
  db: Knex,
  environmentRef: string,
  run: ChecklistRun,
  triggeredBy: string,
): Promise<void> {
  if (!isUuid(run.id)) {
    // PostgreSQL would reject it anyway; say so on SQLite too.
    throw new InputError(`Checklist run id must be a UUID, got '${run.id}'`);
  }
  await db<ChecklistRunRow>('checklist_runs').insert({
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

/** The run of an environment that finished last (the later write on a tie). */
export async function latestChecklistRun(
  db: Knex,
  environmentRef: string,
): Promise<ChecklistRun | undefined> {
  const row = await db<ChecklistRunRow>('checklist_runs')
    .where({ environment_ref: environmentRef })
    .orderBy(newestFirst('finished_at'))
    .first();
  return row ? toChecklistRun(row) : undefined;
}
