import {
  ApplicationStatus,
  Phase,
  SyncRun,
} from '@internal/plugin-logging-environments-common';

/**
 * Which of the three phases of ADR-0009 an environment is in, from what the
 * backend knows without asking anyone:
 *
 * - `bootstrap`: an Application is not registered in Argo CD yet, or Argo
 *   CD has not compared it yet (phase 1 has not finished); Argo CD's own
 *   `Missing` health of a registered Application (its resources are not
 *   applied yet) does not count;
 * - `sync`: a sync run is active, or the latest one failed or was blocked;
 * - `live`: the latest sync run succeeded, or, without a run of ours (a
 *   development environment Argo CD synced itself), every wave of both
 *   Applications is healthy;
 * - `verify`: otherwise (registered, waiting for the checklist, approvals
 *   and the sync).
 *
 * @public
 */
export function environmentPhase(
  applications: ApplicationStatus[],
  latestRun: SyncRun | undefined,
): Phase {
  if (applications.some(notRegistered)) return 'bootstrap';
  if (latestRun) {
    return latestRun.state === 'succeeded' ? 'live' : 'sync';
  }
  const allHealthy =
    applications.length > 0 &&
    applications.every(
      app =>
        app.waves.length > 0 &&
        app.waves.every(wave => wave.state === 'healthy'),
    );
  return allHealthy ? 'live' : 'verify';
}

/** The wave cache does not hold it (then it has no sync status). */
function notRegistered(app: ApplicationStatus): boolean {
  return app.health === 'Missing' && !app.syncStatus;
}
