import { InputError } from '@backstage/errors';

/** What a timestamp column reads back as: SQLite gives numbers or strings, pg gives Dates. */
export type DbTimestamp = Date | string | number;

/**
 * Converts what a driver returns for a timestamp column to ISO 8601.
 * PostgreSQL returns Date objects; SQLite returns what was bound (knex binds
 * a Date as epoch milliseconds), or `YYYY-MM-DD HH:MM:SS` (UTC) for values
 * SQLite wrote itself.
 */
export function toIso(value: DbTimestamp): string {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'number') {
    return new Date(value).toISOString();
  }
  if (/^\d+$/.test(value)) {
    return new Date(Number(value)).toISOString();
  }
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value)
    ? value
    : `${value.replace(' ', 'T')}Z`;
  const date = new Date(withZone);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`Unreadable timestamp from the database: ${value}`);
  }
  return date.toISOString();
}

/** Parses a JSON column; SQL NULL reads as undefined. */
export function parseJson<T>(value: string | null): T | undefined {
  return value === null || value === undefined
    ? undefined
    : (JSON.parse(value) as T);
}

/** Unique-index violations, as each supported driver reports them. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return (
    e?.code === '23505' || // PostgreSQL
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === 'ER_DUP_ENTRY' || // MySQL
    (typeof e?.message === 'string' &&
      e.message.includes('UNIQUE constraint failed'))
  );
}

/**
 * Parses an ISO 8601 string from a caller into a Date to bind, so that both
 * databases store a real point in time (SQLite would keep a string as text).
 */
export function parseTime(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new InputError(`${field} is not an ISO 8601 time: '${value}'`);
  }
  return date;
}

/**
 * The order of an environment's rows, newest first by a time column; on a
 * tie (timestamps can be equal), the later write (`seq`) first.
 */
export function newestFirst(
  column: string,
): Array<{ column: string; order: 'desc' }> {
  return [
    { column, order: 'desc' },
    { column: 'seq', order: 'desc' },
  ];
}

const UUID_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether an id is a UUID. PostgreSQL rejects anything else in a uuid
 * column; checking first makes SQLite behave the same.
 */
export function isUuid(id: string): boolean {
  return UUID_PATTERN.test(id);
}
