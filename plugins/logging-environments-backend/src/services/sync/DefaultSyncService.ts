import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import {
  ApprovalState,
  Availability,
  SyncRun,
} from '@internal/plugin-logging-environments-common';
import { ClusterRegistry } from '@internal/plugin-logging-environments-node';
import {
  LoggingEnvironmentsStore,
  StoredSyncRun,
} from '../../database/LoggingEnvironmentsStore';
import {
  ApprovalService,
  Environment,
  RevisionSource,
  SyncService,
} from '../types';
import { ArgoCdApplications, ClusterArgoCdApplications } from './argocd';
import { SyncGate } from './gate';
import { sameRevision, short } from './revision';
import { initialRunData } from './runData';
import { SyncStages } from './stages';
import { FINAL_STATES, STATE_WORDS, SYSTEM, toSyncRun } from './states';
import { RunTransitions, SyncNotification } from './transitions';

// Still importable from here, as before the split (the backend's sync test
// imports SyncNotification from this module).
export type { SyncNotification } from './transitions';

/** How many transitions one tick makes per run, at most. */
const MAX_STEPS_PER_TICK = 8;

/**
 * Options of {@link DefaultSyncService}.
 *
 * @public
 */
export interface DefaultSyncServiceOptions {
  store: LoggingEnvironmentsStore;
  /** The approval gate; the sync only reads it. */
  approvals: Pick<ApprovalService, 'state'>;
  revisions: RevisionSource;
  /** Every environment (their records), for the automatic syncs of the automatic tiers. */
  listEnvironments: () => Promise<Environment[]>;
  /**
   * One environment by entity ref, from its record (default: looked up in
   * `listEnvironments`); the gate is checked again with it right before
   * every Argo CD operation.
   */
  getEnvironment?: (entityRef: string) => Promise<Environment | undefined>;
  logger: LoggerService;
  /** The clusters; Argo CD is reached through them unless `argocd` is given. */
  clusters?: ClusterRegistry;
  /** Argo CD access (defaults to {@link ClusterArgoCdApplications} over `clusters`). */
  argocd?: ArgoCdApplications;
  /** Called on failures, blocks and rollbacks (the plugin notifies the owner). */
  notify?: (notification: SyncNotification) => Promise<void> | void;
  /** Called whenever a run of an environment changes (the plugin sends a signal). */
  onChange?: (environmentRef: string) => void;
  /** How long a run may stay in one state waiting for Argo CD (default 20 min). */
  timeoutMs?: number;
  /**
   * How long a stage waits for the Loki or Cluster Logging Operator to
   * report on a spec its sync changed before it trusts the status as the
   * operator shows it (neither operator writes `observedGeneration`), and
   * how long a failed rollback waits for them before it is started again
   * (default 30 s). A status that changes ends the wait at once.
   */
  reactionTimeoutMs?: number;
  /**
   * After how long an automatic sync a sync window blocked is tried again
   * (default 15 min); manual tiers are never retried on their own.
   */
  blockedRetryMs?: number;
  /**
   * The clock the timeouts and retries above are measured on, in ms since
   * the epoch (default `Date.now`); tests move it past a timeout instead of
   * waiting for one.
   */
  now?: () => number;
}

/**
 * The phase-3 sync orchestration: a state machine per environment,
 * persisted in the store and advanced by `tick()` (scheduled on one replica
 * at a time):
 *
 * ```
 * pending -> syncing-infrastructure -> waiting-infrastructure
 *         -> syncing-forwarder -> waiting-forwarder -> succeeded
 * any wait/sync -> failed            (or rolling-back -> failed, when the
 *                                      tier rolls back on failure)
 * syncing-* / waiting-* -> blocked   (a sync window; never forced)
 * ```
 *
 * Every transition is a compare-and-set in the store, so a second replica
 * or a restarted backend resumes instead of repeating: right before it asks
 * Argo CD for a sync (or rollback), a stage stores a baseline, the
 * fingerprint of the Application's last completed operation (see
 * {@link operationFingerprint}); after a restart it recognises an operation
 * that differs from the baseline, at the run's revision, as its own and
 * follows it instead of starting another. The forwarder Application is only
 * ever synced from `syncing-forwarder`, which only an infrastructure stage
 * that succeeded with every wave healthy leads to.
 *
 * @public
 */
export class DefaultSyncService implements SyncService {
  private readonly store: LoggingEnvironmentsStore;
  private readonly listEnvironments: () => Promise<Environment[]>;
  private readonly logger: LoggerService;
  private readonly blockedRetryMs: number;
  private readonly gate: SyncGate;
  private readonly transitions: RunTransitions;
  private readonly stages: SyncStages;

  constructor(options: DefaultSyncServiceOptions) {
    this.store = options.store;
    this.listEnvironments = options.listEnvironments;
    this.logger = options.logger;
    this.blockedRetryMs = options.blockedRetryMs ?? 15 * 60_000;
    const getEnvironment =
      options.getEnvironment ??
      (async (ref: string) =>
        (await this.listEnvironments()).find(e => e.entityRef === ref));
    let argocd: ArgoCdApplications;
    if (options.argocd) argocd = options.argocd;
    else if (options.clusters) {
      argocd = new ClusterArgoCdApplications(options.clusters);
    } else {
      throw new Error('DefaultSyncService needs either argocd or clusters');
    }
    this.gate = new SyncGate({
      approvals: options.approvals,
      revisions: options.revisions,
      getEnvironment,
    });
    this.transitions = new RunTransitions({
      store: options.store,
      logger: options.logger,
      argocd,
      notify: options.notify,
      onChange: options.onChange,
      timeoutMs: options.timeoutMs ?? 20 * 60_000,
      now: options.now,
    });
    this.stages = new SyncStages({
      argocd,
      gate: this.gate,
      transitions: this.transitions,
      revisions: options.revisions,
      getEnvironment,
      reactionTimeoutMs: options.reactionTimeoutMs ?? 30_000,
    });
  }

  async availability(
    environment: Environment,
    allowedByPermission: boolean,
    approvals?: ApprovalState,
  ): Promise<Availability> {
    if (!allowedByPermission) {
      return {
        allowed: false,
        reason: 'You do not have permission to sync logging environments',
      };
    }
    const latest = await this.store.latestSyncRun(environment.entityRef);
    if (latest && !FINAL_STATES.has(latest.state)) {
      return {
        allowed: false,
        reason: `A sync of revision ${short(latest.revision)} is in progress (${
          STATE_WORDS[latest.state]
        })`,
      };
    }
    const gate = await this.gate.check(environment, approvals);
    if (!gate.ok) return { allowed: false, reason: gate.reason };
    return { allowed: true };
  }

  async request(
    environment: Environment,
    actor: string,
    input: { revision?: string },
  ): Promise<SyncRun> {
    const latest = await this.store.latestSyncRun(environment.entityRef);
    if (latest && !FINAL_STATES.has(latest.state)) {
      throw new ConflictError(
        `A sync of ${environment.name} at revision ${short(
          latest.revision,
        )} is already in progress (${STATE_WORDS[latest.state]})`,
      );
    }
    const gate = await this.gate.check(environment);
    if (!gate.ok) {
      throw new ConflictError(
        `Cannot sync ${environment.name}: ${gate.reason}`,
      );
    }
    if (input.revision && !sameRevision(input.revision, gate.revision)) {
      throw new ConflictError(
        `Revision ${input.revision} is not the approved revision ${gate.revision} of ${environment.name}; only the approved revision can be synced`,
      );
    }
    // The store refuses a second active run atomically (two clicks, two
    // replicas): its ConflictError is the answer then.
    const run = await this.store.createSyncRun({
      environmentRef: environment.entityRef,
      revision: gate.revision,
      requestedBy: actor,
      message: 'Waiting for the scheduler to start the sync',
      data: initialRunData(environment, gate.binding),
    });
    await this.transitions.history(run, 'sync-requested', actor, {
      message: `Sync of revision ${short(run.revision)} requested`,
    });
    this.transitions.changed(run.environmentRef);
    return toSyncRun(run);
  }

  async latest(environment: Environment): Promise<SyncRun | undefined> {
    const run = await this.store.latestSyncRun(environment.entityRef);
    return run ? toSyncRun(run) : undefined;
  }

  /**
   * Advances every active run as far as Argo CD allows now, then starts the
   * automatic syncs that are due. Errors of one run or environment are
   * logged and do not stop the others.
   */
  async tick(): Promise<void> {
    const runs = await this.store.listActiveSyncRuns();
    await Promise.all(runs.map(run => this.drive(run)));
    await this.startAutomaticSyncs();
  }

  private async startAutomaticSyncs() {
    let environments: Environment[];
    try {
      environments = await this.listEnvironments();
    } catch (e) {
      this.logger.warn(
        `Cannot list environments for automatic syncs: ${(e as Error).message}`,
      );
      return;
    }
    for (const environment of environments) {
      if (environment.policy.syncMode !== 'automatic') continue;
      try {
        const latest = await this.store.latestSyncRun(environment.entityRef);
        if (latest && !FINAL_STATES.has(latest.state)) continue;
        const gate = await this.gate.check(environment);
        if (!gate.ok) continue;
        // Once per revision, as Argo CD's own automated sync: a failed run
        // is not retried on its own (that would loop); a blocked one is,
        // after a while, since the window may have closed.
        if (latest && sameRevision(latest.revision, gate.revision)) {
          const retryBlocked =
            latest.state === 'blocked' &&
            this.transitions.now() - Date.parse(latest.updatedAt) >=
              this.blockedRetryMs;
          if (!retryBlocked) continue;
        }
        const run = await this.store.createSyncRun({
          environmentRef: environment.entityRef,
          revision: gate.revision,
          requestedBy: SYSTEM,
          message: 'Automatic sync about to start',
          data: initialRunData(environment, gate.binding),
        });
        await this.transitions.history(run, 'sync-requested', SYSTEM, {
          message: `Automatic sync of revision ${short(run.revision)}: the ${
            environment.tier
          } tier syncs once its approval gate is passed`,
        });
        this.transitions.changed(run.environmentRef);
        await this.drive(run);
      } catch (e) {
        if (
          e instanceof ConflictError ||
          (e as Error)?.name === 'ConflictError'
        ) {
          continue; // another replica started it meanwhile
        }
        this.logger.warn(
          `Automatic sync of ${environment.entityRef} failed to start: ${
            (e as Error).message
          }`,
          { environment: environment.entityRef },
        );
      }
    }
  }

  private async drive(run: StoredSyncRun): Promise<void> {
    let current: StoredSyncRun | undefined = run;
    try {
      for (let i = 0; i < MAX_STEPS_PER_TICK; i++) {
        if (!current || FINAL_STATES.has(current.state)) return;
        const next: StoredSyncRun | undefined = await this.stages.step(current);
        if (!next || next.state === current.state) return;
        current = next;
      }
    } catch (e) {
      // Left in its state: the next tick tries again, until the state's
      // timeout (an unreachable cluster must not hold a run forever).
      const message = (e as Error).message;
      this.logger.warn(
        `Sync run ${run.id} of ${run.environmentRef} (${
          current?.state ?? run.state
        }): ${message}`,
        {
          environment: run.environmentRef,
          run: run.id,
          state: current?.state ?? run.state,
        },
      );
      if (
        current &&
        !FINAL_STATES.has(current.state) &&
        this.transitions.now() - Date.parse(current.stateSince) >=
          this.transitions.timeoutMs
      ) {
        await this.transitions
          .finish(current, 'failed', {
            message: this.transitions.timedOut(current.state, message),
          })
          .catch(() => undefined);
      }
    }
  }
}
