/**
 * One step of a sync operation, as gitops-engine's `syncContext.Sync()`
 * performs it (`pkg/sync/sync_context.go`): build the tasks (resources,
 * hooks, prunes) in phase / wave / kind / name order, carry the results of
 * earlier steps over from `syncResult.resources`, wait while the current
 * wave's resources are not healthy or its hooks not complete, then run the
 * next wave. The controller calls it again on every reconcile until the
 * operation completes.
 */
import { ApiError, KubeObject } from '../../../kube/types';
import { OperationPhase, groupOf } from '../types';
import { applyObject, deleteObject, pruneObject } from './apply';
import { SyncResults } from './results';
import {
  completed,
  getSyncTasks,
  hasDeletePolicy,
  isPrune,
  pending,
  running,
  successful,
  taskIsHook,
  taskObj,
  taskWave,
} from './tasks';
import { SyncStepInput, SyncStepOutput, Task } from './types';

export type { SyncStepInput, SyncStepOutput } from './types';

class SyncContext {
  private phase: OperationPhase;
  private message: string;
  private readonly results: SyncResults;
  appliedWave?: SyncStepOutput['appliedWave'];

  constructor(private readonly input: SyncStepInput) {
    this.phase = input.phase;
    this.message = input.message ?? '';
    this.results = new SyncResults(input.results);
  }

  output(): SyncStepOutput {
    return {
      phase: this.phase,
      message: this.message,
      results: this.results.list(),
      appliedWave: this.appliedWave,
    };
  }

  private setPhase(phase: OperationPhase, message: string) {
    this.phase = phase;
    this.message = message;
  }

  private setRunningPhase(tasks: Task[], pendingDeletion: boolean) {
    if (tasks.length === 0) return;
    const first = tasks[0];
    let waitingFor = taskIsHook(first)
      ? 'completion of hook'
      : 'healthy state of';
    const andMore = taskIsHook(first) ? 'hooks' : 'resources';
    if (pendingDeletion) waitingFor = 'deletion of';
    const o = taskObj(first);
    let message = `waiting for ${waitingFor} ${groupOf(o.apiVersion)}/${
      o.kind
    }/${o.metadata.name}`;
    if (tasks.length > 1) message += ` and ${tasks.length - 1} more ${andMore}`;
    this.setPhase('Running', message);
  }

  /** `getOperationPhase`: a hook's phase from the health of its live object. */
  private async hookPhase(live: KubeObject): Promise<[OperationPhase, string]> {
    const h = await this.input.health(live);
    if (!h) return ['Succeeded', `${live.metadata.name} created`];
    switch (h.status) {
      case 'Unknown':
      case 'Degraded':
        return ['Failed', h.message ?? ''];
      case 'Progressing':
      case 'Suspended':
        return ['Running', h.message ?? ''];
      case 'Healthy':
        return ['Succeeded', h.message ?? ''];
      default:
        return ['Succeeded', `${live.metadata.name} created`];
    }
  }

  private deleteHooks(tasks: Task[]) {
    for (const t of tasks) {
      try {
        deleteObject(this.input.store, t.live!);
      } catch (e) {
        if ((e as ApiError).reason !== 'NotFound') {
          this.results.set(
            t,
            '',
            'Error',
            `failed to delete resource: ${(e as Error).message}`,
          );
        }
      }
    }
  }

  private setOperationFailed(syncFailedTasks: Task[], message: string) {
    const messages = [...new Set(syncFailedTasks.map(t => t.message ?? ''))];
    this.setPhase(
      'Failed',
      messages.length > 0
        ? `${message}, reason: ${messages.join(',')}`
        : message,
    );
  }

  /** `runTasks`: prune, delete hooks to recreate, apply. */
  private runTasks(tasks: Task[]): 'successful' | 'pending' | 'failed' {
    let state: 'successful' | 'pending' | 'failed' = 'successful';
    const phaseOf: Record<string, OperationPhase> = {
      Synced: 'Running',
      SyncFailed: 'Failed',
      Pruned: 'Succeeded',
      PruneSkipped: 'Succeeded',
    };
    for (const t of tasks.filter(isPrune)) {
      const [result, message] = pruneObject(this.input, t);
      if (result === 'SyncFailed') state = 'failed';
      this.results.set(t, result, phaseOf[result], message);
    }
    if (state !== 'successful') return state;

    const creates = tasks.filter(t => !isPrune(t));
    const toDelete = creates.filter(
      t =>
        Boolean(t.live) &&
        pending(t) &&
        hasDeletePolicy(t, 'BeforeHookCreation'),
    );
    for (const t of toDelete) {
      if (this.input.dryRun) continue;
      try {
        deleteObject(this.input.store, t.live!);
        if (state === 'successful') state = 'pending';
      } catch (e) {
        if ((e as ApiError).reason !== 'NotFound') {
          state = 'failed';
          this.results.set(
            t,
            '',
            'Error',
            `failed to delete resource: ${(e as Error).message}`,
          );
        }
      }
    }
    if (state !== 'successful') return state;

    for (const t of creates) {
      const [result, message] = applyObject(this.input, t);
      if (result === 'SyncFailed') state = 'failed';
      let phase = phaseOf[result];
      if (this.input.dryRun && phase === 'Running') phase = 'Succeeded';
      this.results.set(t, result, phase, message);
    }
    return state;
  }

  /** `syncContext.Terminate`. */
  async terminate() {
    const { tasks } = getSyncTasks(this.input, this.results);
    for (const t of tasks) {
      if (!taskIsHook(t) || !t.live) continue;
      const [phase, message] = await this.hookPhase(t.live);
      if (phase === 'Running') {
        try {
          deleteObject(this.input.store, t.live);
          this.results.set(t, '', 'Succeeded', 'Deleted');
        } catch (e) {
          this.results.set(
            t,
            '',
            'Failed',
            `Failed to delete: ${(e as Error).message}`,
          );
        }
      } else {
        this.results.set(t, '', phase, message);
      }
    }
    this.setPhase('Failed', 'Operation terminated');
  }

  /** `syncContext.Sync`. */
  async sync() {
    const { input } = this;
    const built = getSyncTasks(this.input, this.results);
    let tasks = built.tasks;
    const ok = built.ok;
    if (!ok) {
      this.setPhase(
        'Failed',
        'one or more synchronization tasks are not valid',
      );
      return;
    }
    if (!this.results.started) {
      // The destination namespace is created before anything else.
      const nsTask = tasks.find(
        t =>
          !t.live &&
          t.target?.kind === 'Namespace' &&
          groupOf(t.target.apiVersion) === '' &&
          t.target.metadata.name === input.destNamespace &&
          t.phase === 'PreSync',
      );
      if (nsTask && this.runTasks([nsTask]) === 'failed') {
        this.setOperationFailed([nsTask], 'the namespace failed to apply');
        return;
      }
    }

    // Update the tasks that are running from the live state.
    for (const t of tasks.filter(x => running(x) && x.live)) {
      if (taskIsHook(t)) {
        const [phase, message] = await this.hookPhase(t.live!);
        this.results.set(t, '', phase, message);
      } else {
        const h = await input.health(t.live!);
        if (!h) this.results.set(t, t.syncStatus, 'Succeeded', t.message ?? '');
        else if (h.status === 'Healthy') {
          this.results.set(t, t.syncStatus, 'Succeeded', h.message ?? '');
        } else if (h.status === 'Degraded') {
          this.results.set(t, t.syncStatus, 'Failed', h.message ?? '');
        }
      }
    }

    const multiStep =
      tasks.length > 0 &&
      (taskWave(tasks[0]) !== taskWave(tasks[tasks.length - 1]) ||
        tasks[0].phase !== tasks[tasks.length - 1].phase);
    const runningTasks = tasks.filter(
      t => (multiStep || taskIsHook(t)) && running(t),
    );
    if (runningTasks.length > 0) {
      this.setRunningPhase(runningTasks, false);
      return;
    }

    const pendingDeletionSucceeded = tasks.filter(
      t =>
        taskIsHook(t) &&
        t.live &&
        !running(t) &&
        hasDeletePolicy(t, 'HookSucceeded'),
    );
    const pendingDeletionFailed = tasks.filter(
      t =>
        taskIsHook(t) &&
        t.live &&
        !running(t) &&
        hasDeletePolicy(t, 'HookFailed'),
    );
    const syncFailTasks = tasks.filter(t => t.phase === 'SyncFail');
    tasks = tasks.filter(t => t.phase !== 'SyncFail');
    const syncFailed = tasks.filter(t => t.syncStatus === 'SyncFailed');

    if (tasks.some(t => completed(t) && !successful(t))) {
      this.deleteHooks(pendingDeletionFailed);
      await this.failWithSyncFailHooks(
        syncFailTasks,
        syncFailed,
        'one or more synchronization tasks completed unsuccessfully',
      );
      return;
    }

    tasks = tasks.filter(pending);
    if (tasks.length === 0) {
      this.deleteHooks(pendingDeletionSucceeded);
      this.setPhase('Succeeded', 'successfully synced (no more tasks)');
      return;
    }

    const phase = tasks[0].phase;
    const wave = taskWave(tasks[0]);
    const last = tasks[tasks.length - 1];
    const finalWave = phase === last.phase && wave === taskWave(last);
    const remaining = tasks.filter(
      t => t.phase !== phase || taskWave(t) !== wave || taskIsHook(t),
    );
    tasks = tasks.filter(t => t.phase === phase && taskWave(t) === wave);

    this.setPhase('Running', 'one or more tasks are running');
    const state = this.runTasks(tasks);
    if (state !== 'failed')
      this.appliedWave = { phase, wave, final: finalWave };
    if (state === 'failed') {
      this.deleteHooks(pendingDeletionFailed);
      await this.failWithSyncFailHooks(
        syncFailTasks,
        tasks.filter(t => t.syncStatus === 'SyncFailed'),
        'one or more objects failed to apply',
      );
    } else if (state === 'successful') {
      if (remaining.length === 0) {
        this.deleteHooks(pendingDeletionSucceeded);
        this.setPhase('Succeeded', 'successfully synced (all tasks run)');
      } else {
        this.setRunningPhase(remaining, false);
      }
    } else {
      this.setRunningPhase(
        tasks.filter(
          t =>
            hasDeletePolicy(t, 'HookSucceeded') ||
            hasDeletePolicy(t, 'HookFailed'),
        ),
        true,
      );
    }
  }

  /** `setOperationFailed`, starting the SyncFail hooks first if there are any. */
  private async failWithSyncFailHooks(
    syncFailTasks: Task[],
    syncFailed: Task[],
    message: string,
  ) {
    if (syncFailTasks.length === 0 || syncFailTasks.every(completed)) {
      this.setOperationFailed(syncFailed, message);
      return;
    }
    const toRun = syncFailTasks.filter(pending);
    if (toRun.length > 0 && this.runTasks(toRun) === 'failed') {
      const failedHooks = toRun.filter(t => t.syncStatus === 'SyncFailed');
      const messages = [...new Set(failedHooks.map(t => t.message ?? ''))];
      const base = syncFailed.length
        ? `${message}, reason: ${[
            ...new Set(syncFailed.map(t => t.message ?? '')),
          ].join(',')}`
        : message;
      this.setPhase(
        'Failed',
        `${base}\none or more SyncFail hooks failed${
          messages.length ? `, reason: ${messages.join(',')}` : ''
        }`,
      );
    }
  }
}

/**
 * Runs one step of a sync operation (or terminates it) and returns the new
 * phase, message and resource results.
 */
export async function syncStep(input: SyncStepInput): Promise<SyncStepOutput> {
  const ctx = new SyncContext(input);
  if (input.terminate) await ctx.terminate();
  else await ctx.sync();
  return ctx.output();
}
