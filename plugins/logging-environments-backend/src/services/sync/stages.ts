import {
  ApplicationRole,
  SyncRunState,
} from '@internal/plugin-logging-environments-common';
import { StoredSyncRun } from '../../database/LoggingEnvironmentsStore';
import {
  ArgoApplication,
  buildApplicationStatus,
} from '../waves/applicationStatus';
import { HealthEvidence } from '../waves/resourceHealth';
import {
  ApplicationTarget,
  ArgoCdApplications,
  classifyStartError,
} from './argocd';
import { SyncGate } from './gate';
import {
  followStatuses,
  followedKey,
  followedResources,
  generationsBefore,
  parseFollowed,
  readFollowed,
} from './liveStatus';
import {
  isActive,
  isBlockedByWindow,
  isNewSince,
  observedOperation,
  operationFingerprint,
  rollbackTarget,
} from './operations';
import { sameRevision, short } from './revision';
import { judgeStage } from './verdict';
import { RollbackStage, RollbackStageOptions } from './rollback';
import {
  SyncMethod,
  changes,
  describeTarget,
  readRunData,
  stageOf,
  stagePatch,
  targetOf,
} from './runData';
import { RunTransitions } from './transitions';

/** A run as a step moved it, or undefined when it stayed. */
type Moved = StoredSyncRun | undefined;

/** What the stages of a run need. */
export interface SyncStagesOptions extends RollbackStageOptions {
  argocd: ArgoCdApplications;
  gate: SyncGate;
  transitions: RunTransitions;
}

/**
 * The handler of each active state: one step of a run from what Argo CD
 * reports now. Each returns the run as it moved, or undefined when it
 * stayed (or another replica moved it).
 */
export class SyncStages {
  private readonly argocd: ArgoCdApplications;
  private readonly gate: SyncGate;
  private readonly transitions: RunTransitions;
  private readonly rollback: RollbackStage;
  private readonly reactionTimeoutMs: number;

  constructor(options: SyncStagesOptions) {
    this.argocd = options.argocd;
    this.gate = options.gate;
    this.transitions = options.transitions;
    this.rollback = new RollbackStage(options);
    this.reactionTimeoutMs = options.reactionTimeoutMs;
  }

  /** One step of the run in its current state. */
  step(run: StoredSyncRun): Promise<StoredSyncRun | undefined> {
    const handlers: Partial<Record<SyncRunState, () => Promise<Moved>>> = {
      pending: () => this.begin(run),
      'syncing-infrastructure': () => this.startSync(run, 'infrastructure'),
      'waiting-infrastructure': () => this.awaitSync(run, 'infrastructure'),
      'syncing-forwarder': () => this.startSync(run, 'forwarder'),
      'waiting-forwarder': () => this.awaitSync(run, 'forwarder'),
      'rolling-back': () => this.rollback.step(run),
    };
    return handlers[run.state]?.() ?? Promise.resolve(undefined);
  }

  /** pending: check both Applications exist, then start with the infrastructure. */
  private async begin(run: StoredSyncRun) {
    const data = readRunData(run);
    for (const role of ['infrastructure', 'forwarder'] as const) {
      const target = targetOf(data, role);
      if (!(await this.argocd.get(target))) {
        return this.transitions.finish(run, 'failed', {
          message: `${describeTarget(target)} is not registered on cluster "${
            target.cluster
          }"`,
        });
      }
    }
    const target = targetOf(data, 'infrastructure');
    return this.transitions.transition(run, 'syncing-infrastructure', {
      message: `Starting the sync of ${target.name} at ${short(run.revision)}`,
      history: {
        type: 'sync-progress',
        message: `Sync of revision ${short(
          run.revision,
        )} started: infrastructure first (ExternalSecret, LokiStack, health check), then the forwarder`,
      },
    });
  }

  /**
   * syncing-*: start the Application's sync, unless this stage already
   * started it (before a restart): first record the baseline (the last
   * completed operation) and the rollback target, then ask Argo CD.
   */
  private async startSync(run: StoredSyncRun, role: ApplicationRole) {
    const data = readRunData(run);
    const target = targetOf(data, role);
    if (role === 'forwarder' && !data.infrastructureSucceededAt) {
      // Cannot happen through the transitions; refuse rather than trust it.
      return this.transitions.finish(run, 'failed', {
        message: `Refusing to sync ${target.name}: the infrastructure sync of this run has not succeeded`,
      });
    }
    const live = await this.liveApplication(run, target, 'not syncing it');
    if (!live.app) return live.moved;
    const app = live.app;
    const waiting: SyncRunState =
      role === 'infrastructure'
        ? 'waiting-infrastructure'
        : 'waiting-forwarder';
    const baseline = stageOf(data, role).baseline;
    const op = observedOperation(app);
    if (
      op &&
      baseline !== undefined &&
      isNewSince(app, baseline) &&
      sameRevision(op.revision, run.revision)
    ) {
      // Started by this stage before a restart (or by another replica).
      return this.transitions.transition(run, waiting, {
        message: `Argo CD is syncing ${target.name} at ${short(run.revision)}`,
        history: {
          type: 'sync-progress',
          message: `The sync of ${target.name} at ${short(
            run.revision,
          )} is already under way; following it`,
        },
      });
    }
    if (isActive(op)) {
      return this.transitions.wait(
        run,
        `Waiting for another operation on ${target.name}${
          op!.revision ? ` (revision ${short(op!.revision)})` : ''
        } to finish before syncing`,
      );
    }

    // Nothing runs: this is "before" for the stage. Recorded before the
    // sync is asked for, so that a restart in between recognises it; with
    // the generations of its LokiStacks and ClusterLogForwarders, to tell a
    // status written for the old spec from one for the new.
    const rollback = rollbackTarget(app, run.revision);
    const followed = followedResources(app, role);
    const patch = stagePatch(role, {
      baseline: operationFingerprint(app),
      rollbackId: rollback?.id,
      rollbackRevision: rollback?.revision,
      followed: JSON.stringify(
        generationsBefore(
          followed,
          await readFollowed(this.argocd, target, followed),
        ),
      ),
    });
    let current: StoredSyncRun = run;
    if (changes(data, patch)) {
      const saved = await this.transitions.saveData(run, patch);
      if (!saved) return undefined;
      current = saved;
    }

    // The whole gate again, right before Argo CD is asked: a rejection
    // filed, an approval voided or the Applications changed since the run
    // was requested stop it here.
    const still = await this.gate.recheck(current);
    if (still) {
      return this.transitions.finish(current, 'failed', {
        message: `Stopped before syncing ${target.name}: ${still}`,
      });
    }
    let method: SyncMethod;
    try {
      method = await this.argocd.sync(target, {
        revision: current.revision,
        initiatedBy: current.requestedBy,
      });
    } catch (e) {
      const error = classifyStartError(e);
      if (error.reason === 'blocked') {
        return this.transitions.finish(current, 'blocked', {
          message: `A sync window of Argo CD blocks syncing ${target.name} now: ${error.message}`,
        });
      }
      if (error.reason === 'in-progress' || error.reason === 'unavailable') {
        // Nothing of this stage changed yet: a timeout here fails without
        // a rollback.
        return this.transitions.wait(
          current,
          `Could not start the sync of ${target.name} yet: ${error.message}`,
        );
      }
      return this.transitions.fail(
        current,
        `Argo CD refused to sync ${target.name}: ${error.message}`,
      );
    }
    return this.transitions.transition(current, waiting, {
      message: `Argo CD is syncing ${target.name} at ${short(
        current.revision,
      )}`,
      data: stagePatch(role, { method }),
      history: {
        type: 'sync-progress',
        message: `Started the sync of ${target.name} at ${short(
          current.revision,
        )} ${
          method === 'api'
            ? 'through the Argo CD API'
            : "by setting the Application's operation"
        }`,
      },
    });
  }

  /**
   * The Application as Argo CD has it now; when it is gone or being deleted,
   * the run fails instead (saying what cannot happen now) and `moved` is
   * the run as it moved.
   */
  private async liveApplication(
    run: StoredSyncRun,
    target: ApplicationTarget,
    whatCannotHappen: string,
  ): Promise<
    | { app: ArgoApplication; moved?: undefined }
    | { app?: undefined; moved: Awaited<ReturnType<RunTransitions['fail']>> }
  > {
    const app = await this.argocd.get(target);
    if (!app) {
      return {
        moved: await this.transitions.fail(
          run,
          `${describeTarget(target)} is no longer registered`,
        ),
      };
    }
    if (app.metadata.deletionTimestamp) {
      return {
        moved: await this.transitions.fail(
          run,
          `${describeTarget(target)} is being deleted (since ${
            app.metadata.deletionTimestamp
          }): ${whatCannotHappen}`,
        ),
      };
    }
    return { app };
  }

  /**
   * waiting-*: follow the operation until it succeeded and every wave is
   * healthy, with each resource's health read where Argo CD keeps it and a
   * LokiStack's or ClusterLogForwarder's status trusted only once its
   * operator reported on what the sync changed (see `followStatuses`).
   */
  private async awaitSync(run: StoredSyncRun, role: ApplicationRole) {
    const data = readRunData(run);
    const target = targetOf(data, role);
    const live = await this.liveApplication(
      run,
      target,
      `the sync of ${target.name} at ${short(run.revision)} cannot finish`,
    );
    if (!live.app) return live.moved;
    const app = live.app;
    const op = observedOperation(app);
    if (!op || !isNewSince(app, stageOf(data, role).baseline)) {
      return this.transitions.wait(
        run,
        `Waiting for Argo CD to start the sync of ${target.name}`,
        { role },
      );
    }
    if (op.phase === 'Queued' || (!op.revision && isActive(op))) {
      // Requested, not picked up (or its revision not resolved) yet.
      return this.transitions.wait(
        run,
        `Waiting for Argo CD to start the sync of ${target.name}`,
        { role, terminate: target },
      );
    }
    // An operation that errored before resolving its revision is this
    // stage's (it is new since the baseline) and reports below.
    if (op.revision && !sameRevision(op.revision, run.revision)) {
      if (isActive(op)) await this.transitions.terminate(target);
      return this.transitions.fail(
        run,
        `Argo CD ${isActive(op) ? 'started' : 'ran'} an operation on ${
          target.name
        } at revision ${short(op.revision)} instead of the approved ${short(
          run.revision,
        )}${
          app.spec?.syncPolicy?.automated
            ? ' (the Application syncs automatically to its targetRevision)'
            : ''
        }`,
        role,
      );
    }

    // From the operation's start on, every tick: whether the operators
    // reported on what it changed.
    const followed = await this.follow(run, role, target, app);
    if (!followed) return undefined;
    const current = followed.run;

    if (isActive(op)) {
      if (isBlockedByWindow(op)) {
        // The controller would hold it until the window opens and then run
        // it unattended: withdraw it and report.
        await this.transitions.terminate(target);
        return this.transitions.finish(current, 'blocked', {
          message: `A sync window of Argo CD blocks syncing ${target.name} now: ${op.message}`,
        });
      }
      return this.transitions.wait(
        current,
        `Argo CD is syncing ${target.name}: ${op.message || op.phase}`,
        { role, terminate: target },
      );
    }
    const status = buildApplicationStatus({
      role,
      name: target.name,
      app,
      namespace: target.namespace,
      operationResultsAreSynced: true,
      evidence: {
        ...followed.evidence,
        ...(app.status?.resourceHealthSource === 'appTree'
          ? { tree: await this.argocd.resourceTree(target) }
          : {}),
      },
    });
    const verdict = judgeStage({
      role,
      name: target.name,
      revision: run.revision,
      operation: op,
      status,
      stale: followed.stale,
    });
    if (verdict.kind === 'fail') {
      return this.transitions.fail(current, verdict.message, role);
    }
    if (verdict.kind === 'wait') {
      return this.transitions.wait(current, verdict.message, { role });
    }

    if (role === 'infrastructure') {
      const forwarder = targetOf(data, 'forwarder');
      return this.transitions.transition(current, 'syncing-forwarder', {
        message: `Infrastructure healthy; starting the sync of ${forwarder.name}`,
        data: {
          infrastructureSucceededAt: new Date(
            this.transitions.now(),
          ).toISOString(),
        },
        history: {
          type: 'sync-progress',
          message: `${target.name} synced at ${short(
            run.revision,
          )}: ExternalSecret, LokiStack and the health check are healthy`,
        },
      });
    }
    return this.transitions.finish(current, 'succeeded', {
      message: `Revision ${short(
        run.revision,
      )} synced: infrastructure and forwarder are healthy`,
    });
  }

  /**
   * Reads the stage's LokiStacks and ClusterLogForwarders, records what is
   * new about them (saving the run; undefined when another replica moved
   * it), and gives the evidence for their health: the live objects, and
   * which statuses predate the change the sync made.
   */
  private async follow(
    run: StoredSyncRun,
    role: ApplicationRole,
    target: ApplicationTarget,
    app: ArgoApplication,
  ): Promise<
    | { run: StoredSyncRun; evidence: HealthEvidence; stale: string[] }
    | undefined
  > {
    const stage = stageOf(readRunData(run), role);
    const objects = await readFollowed(
      this.argocd,
      target,
      followedResources(app, role),
    );
    const before = parseFollowed(stage.followed);
    let stale = new Map<string, string>();
    let current = run;
    if (before) {
      const followed = followStatuses(before, objects, {
        now: this.transitions.now(),
        reactionMs: this.reactionTimeoutMs,
      });
      stale = followed.stale;
      const text = JSON.stringify(followed.data);
      if (text !== stage.followed) {
        const saved = await this.transitions.saveData(
          run,
          stagePatch(role, { followed: text }),
        );
        if (!saved) return undefined;
        current = saved;
      }
    }
    return {
      run: current,
      stale: [...stale.values()],
      evidence: {
        live: ref => objects.get(followedKey(ref)),
        stale: ref => stale.get(followedKey(ref)),
      },
    };
  }
}
