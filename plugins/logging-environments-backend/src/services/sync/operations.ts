import { ArgoApplication, isCompletedPhase } from '../waves/applicationStatus';
import { sameRevision } from './revision';

/** The operation an Application is running or ran last, as the sync needs it. */
export interface ObservedOperation {
  /** `Queued` (requested, not picked up yet), Running, Terminating, Succeeded, Failed, Error. */
  phase: string;
  /** The revision it syncs; empty while Argo CD has not resolved it yet. */
  revision?: string;
  message?: string;
}

/** The operation an Application is running, has queued, or ran last. */
export function observedOperation(
  app: ArgoApplication,
): ObservedOperation | undefined {
  const state = app.status?.operationState;
  const fromState = (): ObservedOperation => ({
    phase: state?.phase ?? 'Running',
    revision:
      state?.syncResult?.revision || state?.operation?.sync?.revision || '',
    message: state?.message,
  });
  if (app.operation) {
    if (state && !isCompletedPhase(state.phase)) return fromState();
    return { phase: 'Queued', revision: app.operation.sync?.revision ?? '' };
  }
  return state ? fromState() : undefined;
}

/** Whether an operation is requested or running (not final). */
export function isActive(op: ObservedOperation | undefined): boolean {
  return op !== undefined && !isCompletedPhase(op.phase);
}

/** Whether Argo CD holds the operation because a sync window forbids it now. */
export function isBlockedByWindow(op: ObservedOperation): boolean {
  return /blocked by sync window/i.test(op.message ?? '');
}

/**
 * What identifies the Application's last completed operation: the baseline
 * a stage records right before it starts its own operation, so that it
 * recognises that operation afterwards (after a restart too) as any
 * operation that differs from the baseline.
 *
 * @remarks
 * `startedAt` alone is not enough: Argo CD writes it with one-second
 * precision, and two operations often start within the same second (a
 * rollback and the next sync; a fast sync and the next one). A completed
 * `operationState` never changes until the next operation replaces it, so
 * its phase, times, revision and message together with the last history id
 * (appended by every successful sync) tell two operations apart. Baselines
 * are only taken while no operation is active.
 *
 * @public
 */
export function operationFingerprint(app: ArgoApplication): string {
  const state = app.status?.operationState;
  if (!state) return '';
  const history = app.status?.history ?? [];
  return JSON.stringify([
    state.phase ?? '',
    state.startedAt ?? '',
    state.finishedAt ?? '',
    state.syncResult?.revision ?? '',
    state.message ?? '',
    history.length ? history[history.length - 1].id : -1,
  ]);
}

/**
 * Whether the Application's operation started after the baseline was taken
 * (a missing baseline counts as "no operation before").
 */
export function isNewSince(
  app: ArgoApplication,
  baseline: string | undefined,
): boolean {
  const op = observedOperation(app);
  if (!op) return false;
  if (op.phase === 'Queued') return true;
  return operationFingerprint(app) !== (baseline ?? '');
}

/**
 * The last successful sync to roll back to: the newest history entry at a
 * revision other than the one being synced (rolling back to the failing
 * revision would fail again).
 */
export function rollbackTarget(
  app: ArgoApplication,
  revision: string,
): { id: number; revision: string } | undefined {
  const history = app.status?.history ?? [];
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i];
    if (entry.revision && !sameRevision(entry.revision, revision)) {
      return { id: entry.id, revision: entry.revision };
    }
  }
  return undefined;
}
