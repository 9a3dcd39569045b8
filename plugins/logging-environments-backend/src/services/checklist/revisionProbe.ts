import { ChecklistProbe, ProbeResult } from './types';

/**
 * `revision`: the Git revision Argo CD will sync, read after asking it for
 * a refresh: `status.sync.revision` of the infrastructure Application.
 * `unknown` while Argo CD has not compared the current spec.
 *
 * @public
 */
export const revisionProbe: ChecklistProbe = {
  id: 'revision',
  title: 'Git revision',
  target: 'cluster',
  async run({ environment, revisions, timeoutMs }) {
    // Leave time to read the result after waiting for the refresh.
    const wait = Math.max(
      0,
      Math.min(revisions.refreshTimeoutMs, timeoutMs - 2_000),
    );
    const reading = await revisions.read(environment, {
      refresh: true,
      timeoutMs: wait,
    });
    const evidence: ProbeResult['evidence'] = {
      application: environment.applications.infrastructure,
      refreshed: reading.refreshed,
    };
    if (reading.targetRevision)
      evidence.targetRevision = reading.targetRevision;
    if (reading.comparedAt) evidence.comparedAt = reading.comparedAt;
    if (reading.syncStatus) evidence.syncStatus = reading.syncStatus;
    if (!reading.registered) {
      return {
        status: 'fail',
        message: reading.note ?? 'the Application is not registered',
        evidence,
      };
    }
    if (!reading.revision) {
      return {
        status: 'unknown',
        message: reading.note ?? 'Argo CD has not compared the Application yet',
        evidence,
      };
    }
    evidence.revision = reading.revision;
    if (!reading.refreshed) {
      return {
        status: 'warn',
        message: `Argo CD would sync ${reading.revision}, but ${
          reading.note ?? 'the refresh did not finish'
        }`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Argo CD will sync ${reading.targetRevision ?? 'HEAD'} at ${
        reading.revision
      }`,
      evidence,
    };
  },
};
