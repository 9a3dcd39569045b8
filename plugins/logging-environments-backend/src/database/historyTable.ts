/**
 * The `history` table: the audit trail of an environment, appended to and
 * read newest first. Part of DatabaseLoggingEnvironmentsStore.
 */
import { randomUUID } from 'node:crypto';
import { InputError } from '@backstage/errors';
import { HistoryEvent } from '@internal/plugin-logging-environments-common';
import { Knex } from 'knex';
import { DbTimestamp, newestFirst, parseJson, parseTime, toIso } from './util';

type HistoryRow = {
  id: string;
  environment_ref: string;
  type: HistoryEvent['type'];
  actor: string;
  at: DbTimestamp;
  message: string;
  details: string | null;
};

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

/** Appends an event, at the given time or now. */
export async function addHistory(
  db: Knex,
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
    details: event.details === undefined ? null : JSON.stringify(event.details),
  };
  await db<HistoryRow>('history').insert(row);
  return toHistoryEvent(row);
}

/** The events of an environment, newest first (the later write on a tie). */
export async function listHistory(
  db: Knex,
  environmentRef: string,
  options?: { limit?: number },
): Promise<HistoryEvent[]> {
  const query = db<HistoryRow>('history')
    .where({ environment_ref: environmentRef })
    .orderBy(newestFirst('at'));
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
