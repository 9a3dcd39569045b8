import { ApplicationRole } from '@internal/plugin-logging-environments-common';
import { StoredSyncRun } from '../../database/LoggingEnvironmentsStore';
import { liveHealth } from '../health/liveHealth';
import { Environment, RevisionSource } from '../types';
import { ArgoApplication } from '../waves/applicationStatus';
import {
  ApplicationTarget,
  ArgoCdApplications,
  classifyStartError,
} from './argocd';
import {
  isActive,
  isBlockedByWindow,
  isNewSince,
  observedOperation,
  operationFingerprint,
} from './operations';
import { followedKey, followedResources, readFollowed } from './liveStatus';
import { sameRevision, short } from './revision';
import { describeTarget, readRunData, targetOf } from './runData';
import { SYSTEM } from './states';
import { RunTransitions } from './transitions';

/** How often a failing rollback is started before the run gives up. */
const MAX_ROLLBACK_ATTEMPTS = 3;

/** What the rollback stage needs. */
export interface RollbackStageOptions {
  argocd: ArgoCdApplications;
  transitions: RunTransitions;
  revisions: RevisionSource;
  getEnvironment: (entityRef: string) => Promise<Environment | undefined>;
  /**
   * How long to wait for an operator to report on a spec a sync changed
   * before trusting the status it shows (a sync stage), or before starting
   * a failed rollback again (this stage).
   */
  reactionTimeoutMs: number;
}

/**
 * The rolling-back state: a failed stage of a tier that rolls back on
 * failure goes back to the Application's last successful sync at another
 * revision, and the run fails saying how that went.
 */
export class RollbackStage {
  private readonly argocd: ArgoCdApplications;
  private readonly transitions: RunTransitions;
  private readonly revisions: RevisionSource;
  private readonly getEnvironment: (
    entityRef: string,
  ) => Promise<Environment | undefined>;
  private readonly reactionTimeoutMs: number;

  constructor(options: RollbackStageOptions) {
    this.argocd = options.argocd;
    this.transitions = options.transitions;
    this.revisions = options.revisions;
    this.getEnvironment = options.getEnvironment;
    this.reactionTimeoutMs = options.reactionTimeoutMs;
  }

  /**
   * One step of a run rolling back: once the failed operation has
   * finished, roll the Application back (recording the baseline first, as a
   * sync does) and follow the rollback to its end.
   */
  async step(run: StoredSyncRun): Promise<StoredSyncRun | undefined> {
    const data = readRunData(run);
    const failure = data.failure ?? run.message ?? 'the sync failed';
    const role = data.rollbackApplication;
    const revision = data.rollbackRevision;
    if (!role || revision === undefined) {
      // Only a run that failed into rolling-back gets here, with both.
      return this.transitions.finish(run, 'failed', {
        message: `${failure}; cannot roll back: the run recorded no rollback target`,
      });
    }
    const target = targetOf(data, role);
    const app = await this.argocd.get(target);
    if (!app) {
      return this.transitions.finish(run, 'failed', {
        message: `${failure}; cannot roll back: ${describeTarget(
          target,
        )} is no longer registered`,
      });
    }
    const op = observedOperation(app);
    const baseline = data.rollbackBaseline;
    if (
      op &&
      baseline !== undefined &&
      isNewSince(app, baseline) &&
      sameRevision(op.revision, revision)
    ) {
      if (op.phase === 'Succeeded') {
        return this.transitions.finish(run, 'failed', {
          message: `rolled back to ${short(revision)} after: ${failure}`,
          historyType: 'rollback',
          notifyType: 'rollback',
        });
      }
      if (op.phase === 'Failed' || op.phase === 'Error') {
        const attempts = data.rollbackAttempts ?? 1;
        if (attempts < MAX_ROLLBACK_ATTEMPTS) {
          // Rolling back from a failed state can fail while the operator
          // still reports the failure of the revision rolled back from
          // (Argo CD reads that stale status as Degraded): try again once
          // the operator reported on the restored spec.
          const waited = await this.awaitOperators(
            run,
            role,
            target,
            app,
            revision,
            failure,
          );
          if (waited !== 'ready') return waited;
          const saved = await this.transitions.saveData(run, {
            rollbackAttempts: attempts + 1,
          });
          if (!saved) return undefined;
          return this.start(saved, target, revision, failure, app);
        }
        return this.transitions.finish(run, 'failed', {
          message: `${failure}; the rollback to ${short(
            revision,
          )} failed too (${attempts} attempts): ${op.message ?? op.phase}`,
          historyType: 'rollback',
          notifyType: 'rollback',
        });
      }
      if (isBlockedByWindow(op)) {
        await this.transitions.terminate(target);
        return this.transitions.finish(run, 'failed', {
          message: `${failure}; a sync window blocks the rollback to ${short(
            revision,
          )}`,
          historyType: 'rollback',
          notifyType: 'rollback',
        });
      }
      return this.transitions.wait(
        run,
        `Rolling back ${target.name} to ${short(revision)}: ${
          op.message || op.phase
        }`,
        { rollbackFailure: failure, terminate: target },
      );
    }
    if (isActive(op)) {
      // The failed (or terminated) operation is still finishing.
      return this.transitions.wait(
        run,
        `Waiting for the operation on ${
          target.name
        } to finish before rolling back to ${short(revision)}`,
        { rollbackFailure: failure },
      );
    }
    return this.start(run, target, revision, failure, app);
  }

  /**
   * Whether a failed rollback may start again: once none of the
   * Application's LokiStacks and ClusterLogForwarders reads Degraded any
   * more (its operator reported on the restored spec), or
   * `reactionTimeoutMs` after the run saw the rollback fail. Until then it
   * waits (or undefined: another replica moved the run).
   */
  private async awaitOperators(
    run: StoredSyncRun,
    role: ApplicationRole,
    target: ApplicationTarget,
    app: ArgoApplication,
    revision: string,
    failure: string,
  ): Promise<'ready' | StoredSyncRun | undefined> {
    const fingerprint = operationFingerprint(app);
    let current = run;
    let seen = readRunData(run).rollbackFailureSeen;
    const cut = seen?.lastIndexOf('|') ?? -1;
    if (!seen || seen.slice(0, cut) !== fingerprint) {
      seen = `${fingerprint}|${new Date(this.transitions.now()).toISOString()}`;
      const saved = await this.transitions.saveData(run, {
        rollbackFailureSeen: seen,
      });
      if (!saved) return undefined;
      current = saved;
    }
    const since = Date.parse(seen.slice(seen.lastIndexOf('|') + 1));
    const resources = followedResources(app, role);
    const objects = await readFollowed(this.argocd, target, resources);
    const degraded = resources.flatMap(r => {
      const object = objects.get(followedKey(r));
      const health = object && liveHealth(r.group, r.kind, object);
      return health?.status === 'Degraded'
        ? [`${r.kind} ${r.name}: ${health.message}`]
        : [];
    });
    if (
      degraded.length === 0 ||
      this.transitions.now() - since >= this.reactionTimeoutMs
    ) {
      return 'ready';
    }
    return this.transitions.wait(
      current,
      `The rollback of ${target.name} to ${short(revision)} failed (${
        app.status?.operationState?.message ?? 'no message'
      }); trying again once the operators report on the restored spec, still: ${degraded.join(
        '; ',
      )}`,
      { rollbackFailure: failure },
    );
  }

  /** Starts a rollback operation, recording the baseline it is told apart by. */
  private async start(
    run: StoredSyncRun,
    target: ApplicationTarget,
    revision: string,
    failure: string,
    app: ArgoApplication,
  ) {
    const environment = await this.getEnvironment(run.environmentRef);
    const problems = environment
      ? (await this.revisions.current(environment)).problems
      : [`${run.environmentRef} has no record any more`];
    if (problems.length > 0) {
      return this.transitions.finish(run, 'failed', {
        message: `${failure}; not rolling back: ${problems.join('; ')}`,
        historyType: 'rollback',
        notifyType: 'rollback',
      });
    }
    let current: StoredSyncRun = run;
    const fingerprint = operationFingerprint(app);
    if (readRunData(run).rollbackBaseline !== fingerprint) {
      const saved = await this.transitions.saveData(run, {
        rollbackBaseline: fingerprint,
      });
      if (!saved) return undefined;
      current = saved;
    }
    try {
      await this.argocd.rollback(
        target,
        { id: Number(current.rollbackTo), revision },
        SYSTEM,
      );
    } catch (e) {
      const error = classifyStartError(e);
      if (error.reason === 'in-progress' || error.reason === 'unavailable') {
        return this.transitions.wait(
          current,
          `Could not start the rollback of ${target.name} yet: ${error.message}`,
          { rollbackFailure: failure },
        );
      }
      return this.transitions.finish(current, 'failed', {
        message: `${failure}; the rollback to ${short(revision)} ${
          error.reason === 'blocked'
            ? 'is blocked by a sync window'
            : `was refused: ${error.message}`
        }`,
        historyType: 'rollback',
        notifyType: 'rollback',
      });
    }
    return this.transitions.progress(
      current,
      `Rolling back ${target.name} to ${short(revision)} after: ${failure}`,
    );
  }
}
