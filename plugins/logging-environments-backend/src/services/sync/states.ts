import {
  SyncRun,
  SyncRunState,
} from '@internal/plugin-logging-environments-common';
import { StoredSyncRun } from '../../database/LoggingEnvironmentsStore';

/** States in which a run no longer holds its environment. */
export const FINAL_STATES: ReadonlySet<SyncRunState> = new Set<SyncRunState>([
  'succeeded',
  'failed',
  'blocked',
]);

/** The actor of what the scheduler does. */
export const SYSTEM = 'system';

/** Each state as messages describe it. */
export const STATE_WORDS: Record<SyncRunState, string> = {
  pending: 'about to start',
  'syncing-infrastructure': 'starting the infrastructure sync',
  'waiting-infrastructure': 'waiting for the infrastructure waves',
  'syncing-forwarder': 'starting the forwarder sync',
  'waiting-forwarder': 'waiting for the forwarder',
  'rolling-back': 'rolling back',
  succeeded: 'succeeded',
  failed: 'failed',
  blocked: 'blocked',
};

/** A stored run as the API shows it. */
export function toSyncRun(run: StoredSyncRun): SyncRun {
  return {
    id: run.id,
    state: run.state,
    revision: run.revision,
    requestedBy: run.requestedBy,
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
    ...(run.message ? { message: run.message } : {}),
  };
}
