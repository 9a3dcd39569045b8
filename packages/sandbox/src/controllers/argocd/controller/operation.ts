/**
 * Operations (`processRequestedAppOperation` and `SyncAppState` of Argo
 * CD's controller): progress `.operation.sync` one step per reconcile
 * through phases and waves (see `../sync`), record
 * `status.operationState`, retry per the retry strategy, append
 * `status.history` on success and clear `.operation` when done.
 */
import { compareAppState } from '../compare';
import { readHealthOverrides, resourceHealth } from '../health';
import {
  canSync,
  destinationCluster,
  matchingWindows,
  parseGoDuration,
  validatePermissions,
} from '../project';
import { syncStep } from '../sync';
import {
  Application,
  ApplicationCondition,
  ApplicationSource,
  AppProject,
  OperationState,
  RetryStrategy,
  isCompleted,
  now,
  sourceOf,
} from '../types';
import { AppControllerRuntime, AppState } from './runtime';

/** `FormatAppConditions`. */
function formatConditions(conditions: ApplicationCondition[]): string {
  return conditions.map(c => `${c.type}: ${c.message}`).join(';');
}

/** Parses a retry duration: whole seconds or a Go duration. */
function retryDurationMs(text: string | undefined, fallback: number): number {
  if (!text) return fallback;
  if (/^\d+$/.test(text)) return parseInt(text, 10) * 1000;
  return parseGoDuration(text);
}

/** Go's `time.Kitchen` (`3:04PM`), in UTC. */
function kitchen(d: Date): string {
  const h = d.getUTCHours();
  const m = String(d.getUTCMinutes()).padStart(2, '0');
  return `${h % 12 || 12}:${m}${h < 12 ? 'AM' : 'PM'}`;
}

/** `RetryStrategy.NextRetryAt`, scaled to the profile. */
function nextRetryAt(
  rt: AppControllerRuntime,
  from: number,
  retryCount: number,
  retry: RetryStrategy | undefined,
) {
  const duration = retryDurationMs(retry?.backoff?.duration, 5000);
  const max = retryDurationMs(retry?.backoff?.maxDuration, 180_000);
  const factor = retry?.backoff?.factor ?? 2;
  let wait = duration * factor ** retryCount;
  if (max > 0) wait = Math.min(max, wait);
  return from + wait * rt.scale;
}

/**
 * One step of the app's operation: starts it, waits out retries and wave
 * delays, runs a sync step, retries a failure per the retry strategy, and
 * records the operation state (an Event when it completes).
 */
export async function processOperation(
  rt: AppControllerRuntime,
  key: string,
  app: Application,
  w: AppState,
) {
  if (Date.now() < w.holdUntil) {
    rt.schedule(key, false, w.holdUntil - Date.now());
    return;
  }
  const current = app.status?.operationState;
  let state: OperationState;
  let terminating = false;
  if (current && !isCompleted(current.phase)) {
    state = structuredClone(current);
    terminating = state.phase === 'Terminating';
    if (state.finishedAt && !terminating) {
      let retryAt: number;
      try {
        retryAt = nextRetryAt(
          rt,
          Date.parse(state.finishedAt),
          state.retryCount ?? 0,
          state.operation.retry,
        );
      } catch (e) {
        state.phase = 'Failed';
        state.message = (e as Error).message;
        setOperationState(rt, key, state);
        return;
      }
      if (Date.now() < retryAt) {
        rt.schedule(key, false, retryAt - Date.now());
        return;
      }
      delete state.finishedAt;
      setOperationState(rt, key, state);
      delete state.syncResult;
    }
  } else {
    state = {
      operation: structuredClone(app.operation!),
      phase: 'Running',
      startedAt: now(),
    };
    setOperationState(rt, key, state);
  }

  const project = rt.getProject(app);
  if (!project) {
    state.phase = 'Error';
    state.message = `error getting app project "${app.spec?.project}": appprojects.argoproj.io "${app.spec?.project}" not found`;
  } else {
    await syncAppState(rt, key, app, project, state, terminating, w);
  }

  if (state.phase === 'Running') {
    const fresh = rt.getApp(key);
    if (fresh?.status?.operationState?.phase === 'Terminating') {
      state.phase = 'Terminating';
      state.message = 'operation is terminating';
    }
  } else if (state.phase === 'Failed' || state.phase === 'Error') {
    const limit = state.operation.retry?.limit ?? 0;
    const count = state.retryCount ?? 0;
    if (!terminating && (count < limit || limit < 0)) {
      const at = Date.now();
      state.finishedAt = now();
      try {
        const retryAt = nextRetryAt(rt, at, count, state.operation.retry);
        state.phase = 'Running';
        state.retryCount = count + 1;
        state.message = `${state.message}. Retrying attempt #${
          state.retryCount
        } at ${kitchen(new Date(retryAt))}.`;
        rt.schedule(key, false, retryAt - Date.now());
      } catch (e) {
        state.phase = 'Failed';
        state.message = `${state.message} (failed to retry: ${
          (e as Error).message
        })`;
      }
    } else if (count > 0) {
      state.message = `${state.message} (retried ${count} times).`;
    }
  }

  const done = setOperationState(rt, key, state);
  if (isCompleted(state.phase)) {
    if (done) {
      const revision = state.syncResult?.revision;
      const partial = state.operation.sync?.resources?.length
        ? 'Partial sync operation'
        : 'Sync operation';
      if (state.phase === 'Succeeded') {
        rt.event(
          done,
          'OperationCompleted',
          `${partial} to ${revision} succeeded`,
        );
      } else {
        rt.event(
          done,
          'OperationCompleted',
          `${partial} to ${revision} failed: ${state.message}`,
          'Warning',
        );
      }
    }
    // A finished operation forces a refresh with the latest revision.
    if (!state.operation.sync?.dryRun) rt.schedule(key, true);
  } else if (state.phase === 'Running') {
    rt.schedule(
      key,
      false,
      Math.max(w.holdUntil - Date.now(), 0) || rt.ctx.profile.argoReconcileMs,
    );
  }
}

/** `setOperationState`: persists the state; a completed one clears `.operation`. */
function setOperationState(
  rt: AppControllerRuntime,
  key: string,
  state: OperationState,
): Application | undefined {
  if (isCompleted(state.phase)) state.finishedAt = now();
  return rt.patchApp(key, a => {
    const status = (a.status ??= {});
    status.operationState = structuredClone(state);
    if (isCompleted(state.phase)) delete a.operation;
  });
}

/** `appStateManager.SyncAppState`: one step of the sync. */
async function syncAppState(
  rt: AppControllerRuntime,
  key: string,
  app: Application,
  project: AppProject,
  state: OperationState,
  terminating: boolean,
  w: AppState,
) {
  const op = state.operation.sync;
  if (!op) {
    state.phase = 'Error';
    state.message = 'Invalid operation request: no operation specified';
    return;
  }
  const specSource = sourceOf(app);
  if (!state.syncResult) {
    state.syncResult = {
      revision: op.revision ?? '',
      source: structuredClone(op.source ?? specSource) as ApplicationSource,
    };
  }
  let blocked = false;
  let windowError: string | undefined;
  try {
    const isManual = !state.operation.initiatedBy?.automated;
    blocked = !canSync(matchingWindows(project, app), isManual);
  } catch (e) {
    blocked = true;
    windowError = (e as Error).message;
  }
  if (blocked && !terminating) {
    if (state.phase === 'Running') {
      state.message = `Sync operation blocked by sync window${
        windowError ? `: ${windowError}` : ''
      }`;
    }
    return;
  }

  const source = state.syncResult.source ?? specSource;
  const overrides = readHealthOverrides(rt.ctx.store, app.metadata.namespace!);
  const specConditions = validatePermissions(app, project);
  if (!source) {
    state.phase = 'Error';
    state.message = formatConditions(specConditions);
    return;
  }
  const compare = await compareAppState({
    store: rt.ctx.store,
    renderer: rt.renderer,
    app,
    project,
    source,
    revision: state.syncResult.revision || source.targetRevision,
    healthOverrides: overrides,
  });
  if (compare.revision) state.syncResult.revision = compare.revision;
  const errors = [...compare.conditions, ...specConditions];
  if (errors.length > 0) {
    state.phase = 'Error';
    state.message = formatConditions(errors);
    return;
  }

  const syncOptions = [
    ...new Set([
      ...(op.syncOptions ?? []),
      ...(app.spec.syncPolicy?.syncOptions ?? []),
    ]),
  ];
  const partial = (op.resources?.length ?? 0) > 0;
  const output = await syncStep({
    store: rt.ctx.store,
    appName: app.metadata.name,
    project,
    cluster: destinationCluster(app.spec.destination),
    destNamespace: app.spec.destination?.namespace ?? '',
    revision: compare.revision!,
    startedAt: state.startedAt,
    resources: compare.resources,
    hooks: compare.hooks,
    health: obj => resourceHealth(obj, overrides),
    prune: Boolean(op.prune),
    dryRun: Boolean(op.dryRun),
    skipHooks: Boolean(op.syncStrategy?.apply) || partial,
    resourcesFilter: op.resources,
    syncOptions,
    phase: state.phase === 'Terminating' ? 'Running' : state.phase,
    message: state.message,
    results: state.syncResult.resources ?? [],
    terminate: terminating,
  });
  state.phase = output.phase;
  state.message = output.message;
  state.syncResult.resources = output.results;
  if (output.appliedWave && !output.appliedWave.final) {
    // ARGOCD_SYNC_WAVE_DELAY: Argo CD pauses 2 s between waves.
    w.holdUntil = Date.now() + 2000 * rt.scale;
  }
  if (state.phase === 'Succeeded' && !op.dryRun && !partial) {
    appendHistory(rt, key, state, compare.revision!);
  }
}

/** `persistRevisionHistory`. */
function appendHistory(
  rt: AppControllerRuntime,
  key: string,
  state: OperationState,
  revision: string,
) {
  rt.patchApp(key, a => {
    const status = (a.status ??= {});
    const history = status.history ?? [];
    const id = history.length > 0 ? history[history.length - 1].id + 1 : 0;
    history.push({
      revision,
      deployedAt: now(),
      deployStartedAt: state.startedAt,
      id,
      source: structuredClone(state.syncResult?.source),
      initiatedBy: structuredClone(state.operation.initiatedBy ?? {}),
    });
    const limit = a.spec.revisionHistoryLimit ?? 10;
    status.history = history.slice(Math.max(history.length - limit, 0));
  });
}
