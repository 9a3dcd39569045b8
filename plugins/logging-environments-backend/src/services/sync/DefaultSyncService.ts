import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import {
  ApplicationRole,
  Availability,
  HistoryEvent,
  SyncRun,
  SyncRunState,
  wavesOf,
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
import {
  ArgoApplication,
  buildApplicationStatus,
  isCompletedPhase,
} from '../waves/applicationStatus';
import {
  ApplicationTarget,
  ArgoCdApplications,
  ClusterArgoCdApplications,
  classifyStartError,
} from './argocd';

/** States in which a run no longer holds its environment. */
const FINAL_STATES: ReadonlySet<SyncRunState> = new Set<SyncRunState>([
  'succeeded',
  'failed',
  'blocked',
]);

/** The actor of what the scheduler does. */
const SYSTEM = 'system';

/** How many transitions one tick makes per run, at most. */
const MAX_STEPS_PER_TICK = 8;

/** How often a failing rollback is started before the run gives up. */
const MAX_ROLLBACK_ATTEMPTS = 3;

type RunData = NonNullable<StoredSyncRun['data']>;

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

/**
 * Options of {@link DefaultSyncService}.
 *
 * @public
 */
export interface DefaultSyncServiceOptions {
  store: LoggingEnvironmentsStore;
  approvals: ApprovalService;
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
   * After how long an automatic sync a sync window blocked is tried again
   * (default 15 min); manual tiers are never retried on their own.
   */
  blockedRetryMs?: number;
}

/** Whether two revisions name the same commit (a full SHA and its abbreviation match). */
export function sameRevision(
  a: string | undefined,
  b: string | undefined,
): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  const sha = /^[0-9a-f]{7,40}$/i;
  return (
    sha.test(a) &&
    sha.test(b) &&
    (a.toLowerCase().startsWith(b.toLowerCase()) ||
      b.toLowerCase().startsWith(a.toLowerCase()))
  );
}

function duration(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  if (ms >= 1_000) return `${Math.round(ms / 1_000)} s`;
  return `${ms} ms`;
}

function short(revision: string | undefined): string {
  if (!revision) return 'unknown';
  return /^[0-9a-f]{40}$/i.test(revision) ? revision.slice(0, 7) : revision;
}

/** The operation an Application is running or ran last, as the sync needs it. */
interface ObservedOperation {
  /** `Queued` (requested, not picked up yet), Running, Terminating, Succeeded, Failed, Error. */
  phase: string;
  /** The revision it syncs; empty while Argo CD has not resolved it yet. */
  revision?: string;
  message?: string;
}

function observedOperation(
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
function isActive(op: ObservedOperation | undefined): boolean {
  return op !== undefined && !isCompletedPhase(op.phase);
}

/** Whether Argo CD holds the operation because a sync window forbids it now. */
function isBlockedByWindow(op: ObservedOperation): boolean {
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

/** Whether the Application's operation started after the baseline was taken. */
function isNewSince(app: ArgoApplication, baseline: unknown): boolean {
  const op = observedOperation(app);
  if (!op) return false;
  if (op.phase === 'Queued') return true;
  return operationFingerprint(app) !== String(baseline ?? '');
}

/**
 * The last successful sync to roll back to: the newest history entry at a
 * revision other than the one being synced (rolling back to the failing
 * revision would fail again).
 */
function rollbackTarget(
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

function toSyncRun(run: StoredSyncRun): SyncRun {
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

const STATE_WORDS: Record<SyncRunState, string> = {
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
  private readonly approvals: ApprovalService;
  private readonly revisions: RevisionSource;
  private readonly listEnvironments: () => Promise<Environment[]>;
  private readonly getEnvironment: (
    entityRef: string,
  ) => Promise<Environment | undefined>;
  private readonly logger: LoggerService;
  private readonly argocd: ArgoCdApplications;
  private readonly notifyFn?: DefaultSyncServiceOptions['notify'];
  private readonly onChangeFn?: DefaultSyncServiceOptions['onChange'];
  private readonly timeoutMs: number;
  private readonly blockedRetryMs: number;

  constructor(options: DefaultSyncServiceOptions) {
    this.store = options.store;
    this.approvals = options.approvals;
    this.revisions = options.revisions;
    this.listEnvironments = options.listEnvironments;
    this.getEnvironment =
      options.getEnvironment ??
      (async ref =>
        (await this.listEnvironments()).find(e => e.entityRef === ref));
    this.logger = options.logger;
    if (options.argocd) this.argocd = options.argocd;
    else if (options.clusters) {
      this.argocd = new ClusterArgoCdApplications(options.clusters);
    } else {
      throw new Error('DefaultSyncService needs either argocd or clusters');
    }
    this.notifyFn = options.notify;
    this.onChangeFn = options.onChange;
    this.timeoutMs = options.timeoutMs ?? 20 * 60_000;
    this.blockedRetryMs = options.blockedRetryMs ?? 15 * 60_000;
  }

  async availability(
    environment: Environment,
    allowedByPermission: boolean,
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
    const gate = await this.gate(environment);
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
    const gate = await this.gate(environment);
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
      data: { ...this.runData(environment), binding: gate.binding },
    });
    await this.history(run, 'sync-requested', actor, {
      message: `Sync of revision ${short(run.revision)} requested`,
    });
    this.changed(run.environmentRef);
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

  // ---------------------------------------------------------------------
  // The gate

  private async gate(
    environment: Environment,
  ): Promise<
    | { ok: true; revision: string; binding: string }
    | { ok: false; reason: string }
  > {
    const current = await this.revisions.current(environment);
    if (current.problems.length > 0) {
      return {
        ok: false,
        reason: `The Applications do not match the environment's record: ${current.problems.join(
          '; ',
        )}`,
      };
    }
    const state = await this.approvals.state(environment);
    if (state.rejected) {
      const r = state.rejected;
      return {
        ok: false,
        reason: `Revision ${short(r.revision)} was rejected by ${r.actor}${
          r.comment ? `: ${r.comment}` : ''
        }`,
      };
    }
    if (!state.revision) {
      return {
        ok: false,
        reason:
          'The revision to sync is not known yet: Argo CD has not compared the Applications with Git',
      };
    }
    if (!state.complete) {
      const missing = state.required.filter(r => !r.approval).map(r => r.title);
      return {
        ok: false,
        reason: missing.length
          ? `Revision ${short(state.revision)} still needs: ${missing.join(
              ', ',
            )}`
          : `The approval gate of revision ${short(
              state.revision,
            )} is not complete`,
      };
    }
    if (!current.revision) {
      return {
        ok: false,
        reason: 'The current revision of the Applications cannot be read',
      };
    }
    if (!sameRevision(current.revision, state.revision)) {
      return {
        ok: false,
        reason: `The approvals are for revision ${short(
          state.revision,
        )}, but the Applications now track ${short(
          current.revision,
        )}: that revision needs approval`,
      };
    }
    return { ok: true, revision: state.revision, binding: current.binding };
  }

  /**
   * Why the run may not start an Argo CD operation now, or undefined when
   * it may: the environment's record is gone, the gate no longer passes
   * (a rejection, voided approvals, Applications that do not match the
   * record), or the approved revision or binding changed since the run was
   * requested.
   */
  private async recheck(run: StoredSyncRun): Promise<string | undefined> {
    const environment = await this.getEnvironment(run.environmentRef);
    if (!environment) {
      return `${run.environmentRef} has no registered record any more`;
    }
    const gate = await this.gate(environment);
    if (!gate.ok) return gate.reason;
    if (!sameRevision(gate.revision, run.revision)) {
      return `the approved revision is now ${short(gate.revision)}, not ${short(
        run.revision,
      )}`;
    }
    const binding = run.data?.binding;
    if (typeof binding === 'string' && binding !== gate.binding) {
      return "the Applications' source, project or sync policy changed since the sync was requested";
    }
    return undefined;
  }

  private runData(environment: Environment): RunData {
    return {
      cluster: environment.cluster,
      argocdNamespace: environment.argocdNamespace,
      infrastructureApp: environment.applications.infrastructure,
      forwarderApp: environment.applications.forwarder,
      tier: environment.tier,
      rollbackOnFailure: environment.policy.rollbackOnFailure,
    };
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
        const gate = await this.gate(environment);
        if (!gate.ok) continue;
        // Once per revision, as Argo CD's own automated sync: a failed run
        // is not retried on its own (that would loop); a blocked one is,
        // after a while, since the window may have closed.
        if (latest && sameRevision(latest.revision, gate.revision)) {
          const retryBlocked =
            latest.state === 'blocked' &&
            Date.now() - Date.parse(latest.updatedAt) >= this.blockedRetryMs;
          if (!retryBlocked) continue;
        }
        const run = await this.store.createSyncRun({
          environmentRef: environment.entityRef,
          revision: gate.revision,
          requestedBy: SYSTEM,
          message: 'Automatic sync about to start',
          data: { ...this.runData(environment), binding: gate.binding },
        });
        await this.history(run, 'sync-requested', SYSTEM, {
          message: `Automatic sync of revision ${short(run.revision)}: the ${
            environment.tier
          } tier syncs once its approval gate is passed`,
        });
        this.changed(run.environmentRef);
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
        );
      }
    }
  }

  // ---------------------------------------------------------------------
  // The state machine

  private async drive(run: StoredSyncRun): Promise<void> {
    let current: StoredSyncRun | undefined = run;
    try {
      for (let i = 0; i < MAX_STEPS_PER_TICK; i++) {
        if (!current || FINAL_STATES.has(current.state)) return;
        const next: StoredSyncRun | undefined = await this.step(current);
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
      );
      if (
        current &&
        !FINAL_STATES.has(current.state) &&
        Date.now() - Date.parse(current.stateSince) >= this.timeoutMs
      ) {
        await this.finish(current, 'failed', {
          message: `Timed out after ${duration(this.timeoutMs)} (${
            STATE_WORDS[current.state]
          }): ${message}`,
        }).catch(() => undefined);
      }
    }
  }

  private step(run: StoredSyncRun): Promise<StoredSyncRun | undefined> {
    switch (run.state) {
      case 'pending':
        return this.begin(run);
      case 'syncing-infrastructure':
        return this.startSync(run, 'infrastructure');
      case 'waiting-infrastructure':
        return this.awaitSync(run, 'infrastructure');
      case 'syncing-forwarder':
        return this.startSync(run, 'forwarder');
      case 'waiting-forwarder':
        return this.awaitSync(run, 'forwarder');
      case 'rolling-back':
        return this.rollBack(run);
      default:
        return Promise.resolve(undefined);
    }
  }

  private target(run: StoredSyncRun, role: ApplicationRole): ApplicationTarget {
    const data = run.data ?? {};
    return {
      cluster: String(data.cluster),
      namespace: String(data.argocdNamespace),
      name: String(
        role === 'infrastructure' ? data.infrastructureApp : data.forwarderApp,
      ),
    };
  }

  private describe(target: ApplicationTarget): string {
    return `Application ${target.namespace}/${target.name}`;
  }

  /** pending: check both Applications exist, then start with the infrastructure. */
  private async begin(run: StoredSyncRun) {
    for (const role of ['infrastructure', 'forwarder'] as const) {
      const target = this.target(run, role);
      if (!(await this.argocd.get(target))) {
        return this.finish(run, 'failed', {
          message: `${this.describe(target)} is not registered on cluster "${
            target.cluster
          }"`,
        });
      }
    }
    const target = this.target(run, 'infrastructure');
    return this.transition(run, 'syncing-infrastructure', {
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
    const target = this.target(run, role);
    if (role === 'forwarder' && !run.data?.infrastructureSucceededAt) {
      // Cannot happen through the transitions; refuse rather than trust it.
      return this.finish(run, 'failed', {
        message: `Refusing to sync ${target.name}: the infrastructure sync of this run has not succeeded`,
      });
    }
    const app = await this.argocd.get(target);
    if (!app) {
      return this.fail(run, `${this.describe(target)} is no longer registered`);
    }
    const waiting: SyncRunState =
      role === 'infrastructure'
        ? 'waiting-infrastructure'
        : 'waiting-forwarder';
    const baseline = run.data?.[`${role}Baseline`];
    const op = observedOperation(app);
    if (
      op &&
      typeof baseline === 'string' &&
      isNewSince(app, baseline) &&
      sameRevision(op.revision, run.revision)
    ) {
      // Started by this stage before a restart (or by another replica).
      return this.transition(run, waiting, {
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
      return this.wait(
        run,
        `Waiting for another operation on ${target.name}${
          op!.revision ? ` (revision ${short(op!.revision)})` : ''
        } to finish before syncing`,
      );
    }

    // Nothing runs: this is "before" for the stage. Recorded before the
    // sync is asked for, so that a restart in between recognises it.
    const data: RunData = { [`${role}Baseline`]: operationFingerprint(app) };
    const rollback = rollbackTarget(app, run.revision);
    if (rollback) {
      data[`${role}RollbackId`] = rollback.id;
      data[`${role}RollbackRevision`] = rollback.revision;
    }
    let current: StoredSyncRun = run;
    if (Object.entries(data).some(([k, v]) => run.data?.[k] !== v)) {
      const saved = await this.saveData(run, data);
      if (!saved) return undefined;
      current = saved;
    }

    // The whole gate again, right before Argo CD is asked: a rejection
    // filed, an approval voided or the Applications changed since the run
    // was requested stop it here.
    const still = await this.recheck(current);
    if (still) {
      return this.finish(current, 'failed', {
        message: `Stopped before syncing ${target.name}: ${still}`,
      });
    }
    let method: 'api' | 'operation';
    try {
      method = await this.argocd.sync(target, {
        revision: current.revision,
        initiatedBy: current.requestedBy,
      });
    } catch (e) {
      const error = classifyStartError(e);
      if (error.reason === 'blocked') {
        return this.finish(current, 'blocked', {
          message: `A sync window of Argo CD blocks syncing ${target.name} now: ${error.message}`,
        });
      }
      if (error.reason === 'in-progress' || error.reason === 'unavailable') {
        // Nothing of this stage changed yet: a timeout here fails without
        // a rollback.
        return this.wait(
          current,
          `Could not start the sync of ${target.name} yet: ${error.message}`,
        );
      }
      return this.fail(
        current,
        `Argo CD refused to sync ${target.name}: ${error.message}`,
      );
    }
    return this.transition(current, waiting, {
      message: `Argo CD is syncing ${target.name} at ${short(
        current.revision,
      )}`,
      data: { [`${role}Method`]: method },
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

  /** waiting-*: follow the operation until it succeeded and every wave is healthy. */
  private async awaitSync(run: StoredSyncRun, role: ApplicationRole) {
    const target = this.target(run, role);
    const app = await this.argocd.get(target);
    if (!app) {
      return this.fail(run, `${this.describe(target)} is no longer registered`);
    }
    const op = observedOperation(app);
    if (!op || !isNewSince(app, run.data?.[`${role}Baseline`])) {
      return this.wait(
        run,
        `Waiting for Argo CD to start the sync of ${target.name}`,
        { role },
      );
    }
    if (op.phase === 'Queued' || (!op.revision && isActive(op))) {
      // Requested, not picked up (or its revision not resolved) yet.
      return this.wait(
        run,
        `Waiting for Argo CD to start the sync of ${target.name}`,
        { role, terminate: target },
      );
    }
    // An operation that errored before resolving its revision is this
    // stage's (it is new since the baseline) and reports below.
    if (op.revision && !sameRevision(op.revision, run.revision)) {
      if (isActive(op)) await this.terminate(target);
      return this.fail(
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
    if (isActive(op)) {
      if (isBlockedByWindow(op)) {
        // The controller would hold it until the window opens and then run
        // it unattended: withdraw it and report.
        await this.terminate(target);
        return this.finish(run, 'blocked', {
          message: `A sync window of Argo CD blocks syncing ${target.name} now: ${op.message}`,
        });
      }
      return this.wait(
        run,
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
    });
    if (op.phase !== 'Succeeded') {
      // Argo CD's message names the failed task only when it failed to
      // apply; the waves say which resource was unhealthy and why.
      const problems = status.waves
        .filter(w => w.state === 'failed' || w.state === 'degraded')
        .flatMap(w =>
          w.resources
            .filter(r => r.health === 'Degraded' || r.message)
            .map(
              r =>
                `${r.kind} ${r.name}${r.health ? ` ${r.health}` : ''}${
                  r.message ? `: ${r.message}` : ''
                }`,
            ),
        );
      return this.fail(
        run,
        `The sync of ${target.name} at ${short(run.revision)} ${
          op.phase === 'Error' ? 'errored' : 'failed'
        }: ${op.message ?? op.phase}${
          problems.length ? ` (${problems.join('; ')})` : ''
        }`,
        role,
      );
    }

    const notReady = wavesOf(role)
      .map(step => ({
        step,
        wave: status.waves.find(w => w.wave === step.wave),
      }))
      .filter(({ wave }) => wave?.state !== 'healthy');
    if (notReady.length > 0) {
      const what = notReady
        .map(
          ({ step, wave }) =>
            `${step.title} (wave ${step.wave}: ${wave?.state ?? 'pending'})`,
        )
        .join(', ');
      return this.wait(
        run,
        `Argo CD finished the sync of ${target.name}; waiting for ${what} to be synced and healthy`,
        { role },
      );
    }

    if (role === 'infrastructure') {
      const forwarder = this.target(run, 'forwarder');
      return this.transition(run, 'syncing-forwarder', {
        message: `Infrastructure healthy; starting the sync of ${forwarder.name}`,
        data: { infrastructureSucceededAt: new Date().toISOString() },
        history: {
          type: 'sync-progress',
          message: `${target.name} synced at ${short(
            run.revision,
          )}: ExternalSecret, LokiStack and the health check are healthy`,
        },
      });
    }
    return this.finish(run, 'succeeded', {
      message: `Revision ${short(
        run.revision,
      )} synced: infrastructure and forwarder are healthy`,
    });
  }

  /**
   * rolling-back: once the failed operation has finished, roll the
   * Application back (recording the baseline first, as a sync does) and
   * follow the rollback to its end.
   */
  private async rollBack(run: StoredSyncRun) {
    const data = run.data ?? {};
    const role = data.rollbackApplication as ApplicationRole;
    const target = this.target(run, role);
    const revision = String(data.rollbackRevision);
    const failure = String(data.failure ?? run.message ?? 'the sync failed');
    const app = await this.argocd.get(target);
    if (!app) {
      return this.finish(run, 'failed', {
        message: `${failure}; cannot roll back: ${this.describe(
          target,
        )} is no longer registered`,
      });
    }
    const op = observedOperation(app);
    const baseline = data.rollbackBaseline;
    if (
      op &&
      typeof baseline === 'string' &&
      isNewSince(app, baseline) &&
      sameRevision(op.revision, revision)
    ) {
      if (op.phase === 'Succeeded') {
        return this.finish(run, 'failed', {
          message: `rolled back to ${short(revision)} after: ${failure}`,
          historyType: 'rollback',
          notifyType: 'rollback',
        });
      }
      if (op.phase === 'Failed' || op.phase === 'Error') {
        const attempts = Number(data.rollbackAttempts ?? 1);
        if (attempts < MAX_ROLLBACK_ATTEMPTS) {
          // Rolling back from a failed state can fail while the operator
          // still reports the failure of the revision rolled back from
          // (Argo CD reads that stale status as Degraded): try again.
          const saved = await this.saveData(run, {
            rollbackAttempts: attempts + 1,
          });
          if (!saved) return undefined;
          return this.startRollback(saved, target, revision, failure, app);
        }
        return this.finish(run, 'failed', {
          message: `${failure}; the rollback to ${short(
            revision,
          )} failed too (${attempts} attempts): ${op.message ?? op.phase}`,
          historyType: 'rollback',
          notifyType: 'rollback',
        });
      }
      if (isBlockedByWindow(op)) {
        await this.terminate(target);
        return this.finish(run, 'failed', {
          message: `${failure}; a sync window blocks the rollback to ${short(
            revision,
          )}`,
          historyType: 'rollback',
          notifyType: 'rollback',
        });
      }
      return this.wait(
        run,
        `Rolling back ${target.name} to ${short(revision)}: ${
          op.message || op.phase
        }`,
        { rollbackFailure: failure, terminate: target },
      );
    }
    if (isActive(op)) {
      // The failed (or terminated) operation is still finishing.
      return this.wait(
        run,
        `Waiting for the operation on ${
          target.name
        } to finish before rolling back to ${short(revision)}`,
        { rollbackFailure: failure },
      );
    }
    return this.startRollback(run, target, revision, failure, app);
  }

  /** Starts a rollback operation, recording the baseline it is told apart by. */
  private async startRollback(
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
      return this.finish(run, 'failed', {
        message: `${failure}; not rolling back: ${problems.join('; ')}`,
        historyType: 'rollback',
        notifyType: 'rollback',
      });
    }
    let current: StoredSyncRun = run;
    const baseline = run.data?.rollbackBaseline;
    const fingerprint = operationFingerprint(app);
    if (baseline !== fingerprint) {
      const saved = await this.saveData(run, { rollbackBaseline: fingerprint });
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
        return this.wait(
          current,
          `Could not start the rollback of ${target.name} yet: ${error.message}`,
          { rollbackFailure: failure },
        );
      }
      return this.finish(current, 'failed', {
        message: `${failure}; the rollback to ${short(revision)} ${
          error.reason === 'blocked'
            ? 'is blocked by a sync window'
            : `was refused: ${error.message}`
        }`,
        historyType: 'rollback',
        notifyType: 'rollback',
      });
    }
    return this.progress(
      current,
      `Rolling back ${target.name} to ${short(revision)} after: ${failure}`,
    );
  }

  // ---------------------------------------------------------------------
  // Transitions

  /**
   * A failure of a stage: rolls the failed Application back when the tier
   * says so and a successful sync before the run exists, else fails.
   */
  private async fail(
    run: StoredSyncRun,
    message: string,
    role?: ApplicationRole,
  ): Promise<StoredSyncRun | undefined> {
    const data = run.data ?? {};
    if (data.rollbackOnFailure === true && role) {
      const target = this.target(run, role);
      const id = data[`${role}RollbackId`];
      const revision = data[`${role}RollbackRevision`];
      if (typeof id === 'number' && typeof revision === 'string') {
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
  private finish(
    run: StoredSyncRun,
    to: 'succeeded' | 'failed' | 'blocked',
    options: {
      message: string;
      historyType?: HistoryEvent['type'];
      notifyType?: SyncNotification['type'];
    },
  ) {
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
  private async wait(
    run: StoredSyncRun,
    message: string,
    options: {
      role?: ApplicationRole;
      terminate?: ApplicationTarget;
      rollbackFailure?: string;
    } = {},
  ): Promise<StoredSyncRun | undefined> {
    const waited = Date.now() - Date.parse(run.stateSince);
    if (waited < this.timeoutMs) return this.progress(run, message);
    if (options.terminate) await this.terminate(options.terminate);
    const timedOut = `Timed out after ${duration(this.timeoutMs)} (${
      STATE_WORDS[run.state]
    }): ${message}`;
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
  private async saveData(run: StoredSyncRun, data: RunData) {
    const next = await this.store.transitionSyncRun(
      run.id,
      run.state,
      run.state,
      { data: { ...(run.data ?? {}), ...data } },
    );
    if (!next) {
      this.logger.debug(
        `Sync run ${run.id} left ${run.state} before this replica moved it`,
      );
    }
    return next;
  }

  /** Records progress within a state (the store keeps when the state began). */
  private async progress(run: StoredSyncRun, message: string) {
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

  private async terminate(target: ApplicationTarget) {
    try {
      await this.argocd.terminate(target);
    } catch (e) {
      this.logger.warn(
        `Cannot terminate the operation of ${this.describe(target)}: ${
          (e as Error).message
        }`,
      );
    }
  }

  private async transition(
    run: StoredSyncRun,
    to: SyncRunState,
    options: {
      message: string;
      data?: RunData;
      rollbackTo?: number;
      history?: { type: HistoryEvent['type']; message: string };
      notifyType?: SyncNotification['type'];
    },
  ): Promise<StoredSyncRun | undefined> {
    const next = await this.store.transitionSyncRun(run.id, run.state, to, {
      message: options.message,
      // The whole data every time: the store replaces it.
      data: { ...(run.data ?? {}), ...(options.data ?? {}) },
      ...(options.rollbackTo !== undefined
        ? { rollbackTo: options.rollbackTo }
        : {}),
    });
    if (!next) {
      // Another replica (or a restarted one) moved it first: its turn.
      this.logger.debug(
        `Sync run ${run.id} left ${run.state} before this replica moved it`,
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

  private async history(
    run: StoredSyncRun,
    type: HistoryEvent['type'],
    actor: string,
    options: { message: string; from?: SyncRunState },
  ) {
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
      );
    }
  }

  private changed(environmentRef: string) {
    try {
      this.onChangeFn?.(environmentRef);
    } catch (e) {
      this.logger.warn(
        `onChange failed for ${environmentRef}: ${(e as Error).message}`,
      );
    }
  }
}
