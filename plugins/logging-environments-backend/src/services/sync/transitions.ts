import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ApplicationRole,
  HistoryEvent,
  SyncRun,
  SyncRunState,
} from '@internal/plugin-logging-environments-common';
import {
  LoggingEnvironmentsStore,
  StoredSyncRun,
} from '../../database/LoggingEnvironmentsStore';
import { ApplicationTarget, ArgoCdApplications } from './argocd';
import { short } from './revision';
import {
  SyncRunData,
  describeTarget,
  readRunData,
  stageOf,
  targetOf,
  withRunData,
} from './runData';
import { STATE_WORDS, SYSTEM, toSyncRun } from './states';

/**
 * Something the owner of an environment should hear about: a failed sync,
 * a sync a sync window blocked, a rollback.
 *
 * @public
 */
export interface SyncNotification {
  type: 'sync-failed' | 'sync-blocked' | 'rollback';
  environmentRef: string;
  run: SyncRun;
  message: string;
}

function duration(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  if (ms >= 1_000) return `${Math.round(ms / 1_000)} s`;
  return `${ms} ms`;
}

/**
 * The moves of a run from state to state, each a compare-and-set in the
 * store, with what goes with them: the history event, the notification of
 * the owner and the change signal. A move another replica made first
 * returns undefined: its turn.
 */
export class RunTransitions {
  private readonly store: LoggingEnvironmentsStore;
  private readonly logger: LoggerService;
  private readonly argocd: ArgoCdApplications;
  private readonly notifyFn?: (
    notification: SyncNotification,
  ) => Promise<void> | void;
  private readonly onChangeFn?: (environmentRef: string) => void;
  /** How long a run may stay in one state waiting for Argo CD. */
  readonly timeoutMs: number;
  /** The clock every wait of a run is measured on, in ms since the epoch. */
  readonly now: () => number;

  constructor(options: {
    store: LoggingEnvironmentsStore;
    logger: LoggerService;
    argocd: ArgoCdApplications;
    notify?: (notification: SyncNotification) => Promise<void> | void;
    onChange?: (environmentRef: string) => void;
    timeoutMs: number;
    now?: () => number;
  }) {
    this.store = options.store;
    this.logger = options.logger;
    this.argocd = options.argocd;
    this.notifyFn = options.notify;
    this.onChangeFn = options.onChange;
    this.timeoutMs = options.timeoutMs;
    this.now = options.now ?? Date.now;
  }

  /** The message of a run that waited in `state` past the timeout. */
  timedOut(state: SyncRunState, message: string): string {
    return `Timed out after ${duration(this.timeoutMs)} (${
      STATE_WORDS[state]
    }): ${message}`;
  }

  /**
   * A failure of a stage: rolls the failed Application back when the tier
   * says so and a successful sync before the run exists, else fails.
   */
  async fail(
    run: StoredSyncRun,
    message: string,
    role?: ApplicationRole,
  ): Promise<StoredSyncRun | undefined> {
    const data = readRunData(run);
    if (data.rollbackOnFailure && role) {
      const target = targetOf(data, role);
      const { rollbackId: id, rollbackRevision: revision } = stageOf(
        data,
        role,
      );
      if (id !== undefined && revision !== undefined) {
        return this.transition(run, 'rolling-back', {
          message: `${message}; rolling back ${target.name} to ${short(
            revision,
          )}`,
          rollbackTo: id,
          data: {
            failure: message,
            rollbackApplication: role,
            rollbackRevision: revision,
          },
          history: {
            type: 'sync-failed',
            message: `${message}; rolling back ${target.name} to ${short(
              revision,
            )}, its last successful sync`,
          },
          notifyType: 'sync-failed',
        });
      }
      return this.finish(run, 'failed', {
        message: `${message}; ${target.name} has no earlier successful sync to roll back to`,
      });
    }
    return this.finish(run, 'failed', { message });
  }

  /** Into a final state, with its history event and notification. */
  finish(
    run: StoredSyncRun,
    to: 'succeeded' | 'failed' | 'blocked',
    options: {
      message: string;
      historyType?: HistoryEvent['type'];
      notifyType?: SyncNotification['type'];
    },
  ): Promise<StoredSyncRun | undefined> {
    const defaults: Record<
      typeof to,
      { history: HistoryEvent['type']; notify?: SyncNotification['type'] }
    > = {
      succeeded: { history: 'sync-succeeded' },
      failed: { history: 'sync-failed', notify: 'sync-failed' },
      blocked: { history: 'sync-blocked', notify: 'sync-blocked' },
    };
    return this.transition(run, to, {
      message: options.message,
      history: {
        type: options.historyType ?? defaults[to].history,
        message: options.message,
      },
      notifyType: options.notifyType ?? defaults[to].notify,
    });
  }

  /**
   * Stays in the state, recording what it waits for, until the state's
   * timeout: then terminates the operation being waited for and fails.
   */
  async wait(
    run: StoredSyncRun,
    message: string,
    options: {
      role?: ApplicationRole;
      terminate?: ApplicationTarget;
      rollbackFailure?: string;
    } = {},
  ): Promise<StoredSyncRun | undefined> {
    const waited = this.now() - Date.parse(run.stateSince);
    if (waited < this.timeoutMs) return this.progress(run, message);
    if (options.terminate) await this.terminate(options.terminate);
    const timedOut = this.timedOut(run.state, message);
    if (options.rollbackFailure !== undefined) {
      return this.finish(run, 'failed', {
        message: `${options.rollbackFailure}; the rollback did not finish: ${timedOut}`,
        historyType: 'rollback',
        notifyType: 'rollback',
      });
    }
    return this.fail(run, timedOut, options.role);
  }

  /** Saves progress data within a state (the store keeps when the state began). */
  async saveData(
    run: StoredSyncRun,
    data: Partial<SyncRunData>,
  ): Promise<StoredSyncRun | undefined> {
    const next = await this.store.transitionSyncRun(
      run.id,
      run.state,
      run.state,
      { data: withRunData(run, data) },
    );
    if (!next) {
      this.logger.debug(
        `Sync run ${run.id} left ${run.state} before this replica moved it`,
        { environment: run.environmentRef, run: run.id, state: run.state },
      );
    }
    return next;
  }

  /** Records progress within a state (the store keeps when the state began). */
  async progress(
    run: StoredSyncRun,
    message: string,
  ): Promise<StoredSyncRun | undefined> {
    if (run.message === message) return undefined;
    const next = await this.store.transitionSyncRun(
      run.id,
      run.state,
      run.state,
      { message },
    );
    if (next) this.changed(run.environmentRef);
    return next;
  }

  /** Asks Argo CD to terminate the Application's operation; a failure is only logged. */
  async terminate(target: ApplicationTarget): Promise<void> {
    try {
      await this.argocd.terminate(target);
    } catch (e) {
      this.logger.warn(
        `Cannot terminate the operation of ${describeTarget(target)}: ${
          (e as Error).message
        }`,
        { application: describeTarget(target) },
      );
    }
  }

  /** Moves the run to `to` (compare-and-set), merging `data` into what it persists. */
  async transition(
    run: StoredSyncRun,
    to: SyncRunState,
    options: {
      message: string;
      data?: Partial<SyncRunData>;
      rollbackTo?: number;
      history?: { type: HistoryEvent['type']; message: string };
      notifyType?: SyncNotification['type'];
    },
  ): Promise<StoredSyncRun | undefined> {
    const next = await this.store.transitionSyncRun(run.id, run.state, to, {
      message: options.message,
      // The whole data every time: the store replaces it.
      data: withRunData(run, options.data),
      ...(options.rollbackTo !== undefined
        ? { rollbackTo: options.rollbackTo }
        : {}),
    });
    if (!next) {
      // Another replica (or a restarted one) moved it first: its turn.
      this.logger.debug(
        `Sync run ${run.id} left ${run.state} before this replica moved it`,
        { environment: run.environmentRef, run: run.id, state: run.state },
      );
      return undefined;
    }
    if (options.history) {
      await this.history(next, options.history.type, SYSTEM, {
        message: options.history.message,
        from: run.state,
      });
    }
    if (options.notifyType) {
      await this.notify({
        type: options.notifyType,
        environmentRef: next.environmentRef,
        run: toSyncRun(next),
        message: options.message,
      });
    }
    this.changed(next.environmentRef);
    return next;
  }

  /** Appends to the environment's audit trail; a failure is only logged. */
  async history(
    run: StoredSyncRun,
    type: HistoryEvent['type'],
    actor: string,
    options: { message: string; from?: SyncRunState },
  ): Promise<void> {
    try {
      await this.store.addHistory(run.environmentRef, {
        type,
        actor,
        message: options.message,
        details: {
          runId: run.id,
          revision: run.revision,
          state: run.state,
          ...(options.from ? { from: options.from } : {}),
        },
      });
    } catch (e) {
      this.logger.warn(
        `Cannot record ${type} of ${run.environmentRef}: ${
          (e as Error).message
        }`,
        { environment: run.environmentRef, run: run.id, event: type },
      );
    }
  }

  /** Tells whoever listens that a run of the environment changed. */
  changed(environmentRef: string): void {
    try {
      this.onChangeFn?.(environmentRef);
    } catch (e) {
      this.logger.warn(
        `onChange failed for ${environmentRef}: ${(e as Error).message}`,
        { environment: environmentRef },
      );
    }
  }

  private async notify(notification: SyncNotification) {
    if (!this.notifyFn) return;
    try {
      await this.notifyFn(notification);
    } catch (e) {
      this.logger.warn(
        `Cannot notify about ${notification.type} of ${
          notification.environmentRef
        }: ${(e as Error).message}`,
        { environment: notification.environmentRef, notice: notification.type },
      );
    }
  }
}
