/**
 * The `locks` table: leases that let one replica at a time run the work of a
 * key. Part of DatabaseLoggingEnvironmentsStore.
 *
 * A lease is a row: the key is the primary key, so of two replicas inserting
 * it at once one wins on SQLite and PostgreSQL alike. The holder renews it
 * while its work runs; a holder that dies stops renewing, and once the lease
 * expires another replica takes it over with a compare-and-set update.
 */
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from './util';

/** How long a lease lasts without renewal. */
export const DEFAULT_LEASE_MS = 30_000;
/** How long a caller waits for a held lease by default. */
export const DEFAULT_LOCK_WAIT_MS = 60_000;
const POLL_MS = 50;

/** What {@link withLock} tells the work it runs. */
export interface LockGrant {
  /** True when another holder had the lease when this caller asked. */
  waited: boolean;
}

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Lease length; it is renewed every third of it while the work runs. */
  leaseMs?: number;
  /** How long to wait for a held lease before a ConflictError. */
  waitMs?: number;
}

async function tryAcquire(
  db: Knex,
  key: string,
  holder: string,
  leaseMs: number,
): Promise<boolean> {
  const now = Date.now();
  try {
    await db('locks').insert({ key, holder, expires_at: now + leaseMs });
    return true;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  // Held: take it over only if its lease ran out (the holder died).
  const taken = await db('locks')
    .where({ key })
    .andWhere('expires_at', '<', now)
    .update({ holder, expires_at: now + leaseMs });
  return taken > 0;
}

/**
 * Runs `work` while holding the lease on `key`, waiting (polling) while
 * another caller, in this process or another replica, holds it. Throws a
 * ConflictError when the lease stays held for `waitMs`.
 */
export async function withLock<T>(
  db: Knex,
  key: string,
  work: (grant: LockGrant) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_LOCK_WAIT_MS);
  const holder = randomUUID();
  let waited = false;
  while (!(await tryAcquire(db, key, holder, leaseMs))) {
    waited = true;
    if (Date.now() >= deadline) {
      throw new ConflictError(`${key} is busy with another request; try again`);
    }
    // Jitter keeps replicas that poll together from colliding in step.
    await new Promise(r => setTimeout(r, POLL_MS + Math.random() * POLL_MS));
  }
  const renewal = setInterval(() => {
    db('locks')
      .where({ key, holder })
      .update({ expires_at: Date.now() + leaseMs })
      .catch(() => {
        // A missed renewal only shortens the lease; the next one retries.
      });
  }, leaseMs / 3);
  renewal.unref();
  try {
    return await work({ waited });
  } finally {
    clearInterval(renewal);
    await db('locks').where({ key, holder }).delete();
  }
}
