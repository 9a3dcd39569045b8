import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';

/**
 * A decision on an environment.
 *
 * @internal
 */
export type Decision = 'approve' | 'reject';

/**
 * Why an attempt is refused, and which kind of error says so.
 *
 * @internal
 */
export interface Refusal {
  kind: 'input' | 'conflict' | 'not-allowed';
  reason: string;
}

/** A refusal of a malformed request. */
export const invalid = (reason: string): Refusal => ({ kind: 'input', reason });

/** A refusal because of the state of the gate. */
export const conflict = (reason: string): Refusal => ({
  kind: 'conflict',
  reason,
});

/** A refusal because of who asks. */
export const notAllowed = (reason: string): Refusal => ({
  kind: 'not-allowed',
  reason,
});

/**
 * The error that tells the caller about a refusal.
 *
 * @internal
 */
export function refusalError(refusal: Refusal): Error {
  if (refusal.kind === 'input') return new InputError(refusal.reason);
  if (refusal.kind === 'conflict') return new ConflictError(refusal.reason);
  return new NotAllowedError(refusal.reason);
}

/** "approved" or "rejected". */
export function pastTense(decision: Decision): string {
  return decision === 'approve' ? 'approved' : 'rejected';
}

/** "a", "a and b", "a, b and c". */
export function sentenceList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
