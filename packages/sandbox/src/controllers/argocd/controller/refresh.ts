/**
 * Refresh (`ApplicationController.refreshAppConditions`, `CompareAppState`
 * and `autoSync` of `controller/appcontroller.go`): compare the desired
 * state rendered from git with the live state, write `status.sync`,
 * `status.resources` (with each resource's health only when the controller
 * persists it), `status.resourceHealthSource`, `status.health`,
 * `status.conditions` (and drop the `argocd.argoproj.io/refresh`
 * annotation), and start an automated sync of an OutOfSync app once per
 * revision.
 */
import { stableJson } from '../../kit';
import { CompareResult, compareAppState, resourceStatuses } from '../compare';
import { readHealthOverrides } from '../health';
import { canSync, matchingWindows, validatePermissions } from '../project';
import {
  ANNOTATION_REFRESH,
  Application,
  ApplicationCondition,
  ApplicationStatus,
  Operation,
  isAutomated,
  isCompleted,
  now,
  sourceOf,
} from '../types';
import {
  AppControllerRuntime,
  AppState,
  ArgoCdControllerContext,
  appKey,
} from './runtime';

const sameValue = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);

/**
 * The images of the Pods the app's live objects own (`status.summary.images`,
 * which Argo CD collects from the Pods of its resource tree).
 */
function podImages(
  store: ArgoCdControllerContext['store'],
  compare: CompareResult,
) {
  const uids = new Set(
    compare.resources.map(r => r.live?.metadata.uid).filter(Boolean),
  );
  const images = new Set<string>();
  for (const pod of store.list('v1', 'Pod')) {
    if (!(pod.metadata.ownerReferences ?? []).some(o => uids.has(o.uid)))
      continue;
    const spec = (pod.spec ?? {}) as { containers?: Array<{ image?: string }> };
    for (const c of spec.containers ?? []) if (c.image) images.add(c.image);
  }
  return [...images].sort();
}

/** `ApplicationStatus.SetConditions`: replace evaluated types, keep the rest and unchanged timestamps. */
export function setConditions(
  existing: ApplicationCondition[] | undefined,
  conditions: ApplicationCondition[],
  evaluated: Set<string>,
): ApplicationCondition[] {
  const ts = now();
  const out: ApplicationCondition[] = [];
  for (const c of existing ?? []) {
    if (!evaluated.has(c.type)) {
      out.push({ ...c, lastTransitionTime: c.lastTransitionTime ?? ts });
    }
  }
  for (const c of conditions) {
    const prior = (existing ?? []).find(e => e.type === c.type);
    if (prior && prior.message === c.message) out.push(prior);
    else out.push({ ...c, lastTransitionTime: c.lastTransitionTime ?? ts });
  }
  return out.sort((a, b) => {
    const ka = `${a.type}/${a.message}/${a.lastTransitionTime}`;
    const kb = `${b.type}/${b.message}/${b.lastTransitionTime}`;
    if (ka < kb) return -1;
    return ka > kb ? 1 : 0;
  });
}

/**
 * The refresh of one app: compares its desired state with the live state
 * and writes `status` (sync, resources, health, conditions, summary),
 * dropping the refresh annotation; starts an automated sync if one is due.
 */
export async function refresh(
  rt: AppControllerRuntime,
  key: string,
  app: Application,
  w: AppState,
  latest: boolean,
) {
  const { store } = rt.ctx;
  const namespace = app.metadata.namespace!;
  const refreshRequested = app.metadata.annotations?.[ANNOTATION_REFRESH];
  const project = rt.getProject(app);
  const specConditions: ApplicationCondition[] = project
    ? validatePermissions(app, project)
    : [
        {
          type: 'InvalidSpecError',
          message: `Application referencing project ${app.spec?.project} which does not exist`,
        },
      ];
  const evaluated = new Set(['InvalidSpecError', 'UnknownError']);
  const conditions = [...specConditions];
  const overrides = readHealthOverrides(store, namespace);
  const source = sourceOf(app);
  let compare: CompareResult | undefined;
  let autoSyncCondition: ApplicationCondition | undefined;
  let operationToStart: Operation | undefined;

  if (specConditions.length === 0 && source) {
    const comparedSource = app.status?.sync?.comparedTo?.source;
    const recentRevision =
      !latest && !refreshRequested && sameValue(comparedSource, source)
        ? app.status?.sync?.revision
        : undefined;
    compare = await compareAppState({
      store,
      renderer: rt.renderer,
      app,
      project,
      source,
      revision: source.targetRevision,
      resolvedRevision: recentRevision,
      hard: refreshRequested === 'hard',
      healthOverrides: overrides,
    });
    evaluated.add('ComparisonError');
    conditions.push(...compare.conditions);

    let windowsAllow = true;
    try {
      windowsAllow = canSync(matchingWindows(project, app), false);
    } catch {
      windowsAllow = false;
    }
    if (windowsAllow) {
      evaluated.add('SyncError');
      const auto = autoSync(rt, app, compare, w);
      autoSyncCondition = auto.condition;
      operationToStart = auto.operation;
      if (autoSyncCondition) conditions.push(autoSyncCondition);
    }
  }

  const images = compare ? podImages(store, compare) : [];

  let before: ApplicationStatus | undefined;
  let started = false;
  const updated = rt.patchApp(key, a => {
    before = structuredClone(a.status ?? {});
    const status: ApplicationStatus = (a.status ??= {});
    status.conditions = setConditions(status.conditions, conditions, evaluated);
    if (status.conditions.length === 0) delete status.conditions;
    if (refreshRequested !== undefined && a.metadata.annotations) {
      delete a.metadata.annotations[ANNOTATION_REFRESH];
    }
    if (!compare) {
      status.sync = {
        ...(status.sync ?? {}),
        status: 'Unknown',
      } as ApplicationStatus['sync'];
      status.health = { ...(status.health ?? {}), status: 'Unknown' };
      return;
    }
    // controller/health.go setApplicationHealth: 3.x keeps per-resource
    // health out of the Application (resourceHealthSource appTree, the
    // resource tree has it); 2.x, or --persist-resource-health, writes it
    // here and leaves resourceHealthSource unset ("inline").
    status.resources = resourceStatuses(compare, rt.persistResourceHealth);
    if (rt.persistResourceHealth) delete status.resourceHealthSource;
    else status.resourceHealthSource = 'appTree';
    status.sync = {
      status: compare.syncStatus,
      comparedTo: {
        source: structuredClone(compare.source),
        destination: structuredClone(a.spec.destination),
      },
    };
    if (compare.revision) status.sync.revision = compare.revision;
    if (a.spec.ignoreDifferences) {
      status.sync.comparedTo!.ignoreDifferences = structuredClone(
        a.spec.ignoreDifferences,
      );
    }
    const lastTransitionTime =
      before?.health?.status === compare.health.status
        ? before?.health?.lastTransitionTime ?? now()
        : now();
    status.health = { status: compare.health.status, lastTransitionTime };
    status.summary = images.length ? { images } : {};
    if (compare.sourceType) status.sourceType = compare.sourceType;
    // reconciledAt moves when a refresh was asked for, when the comparison
    // found something new, and otherwise once per (scaled) 3-minute
    // reconciliation timeout, as Argo CD's refreshes of an unchanged app do.
    const observed = (x: ApplicationStatus | undefined) =>
      stableJson([x?.sync, x?.resources, x?.health?.status, x?.conditions]);
    const expired =
      !status.reconciledAt ||
      Date.parse(status.reconciledAt) + 180_000 * rt.scale < Date.now();
    if (
      refreshRequested !== undefined ||
      expired ||
      (latest && observed(before) !== observed(status))
    ) {
      status.reconciledAt = now();
    }
    status.controllerNamespace = namespace;
    if (operationToStart && !a.operation) {
      // `argo.SetAppOperation`: the new operation replaces the last state.
      a.operation = operationToStart;
      delete status.operationState;
      started = true;
    }
  });
  if (!updated) return;
  const oldSync = before?.sync?.status;
  const newSync = updated.status?.sync?.status;
  if (oldSync !== newSync) {
    rt.event(
      updated,
      'ResourceUpdated',
      `Updated sync status: ${oldSync ?? ''} -> ${newSync}`,
    );
  }
  const oldHealth = before?.health?.status;
  const newHealth = updated.status?.health?.status;
  if (oldHealth !== newHealth) {
    rt.event(
      updated,
      'ResourceUpdated',
      `Updated health status: ${oldHealth ?? ''} -> ${newHealth}`,
    );
  }
  if (started && operationToStart) {
    rt.event(
      updated,
      'OperationStarted',
      `Initiated automated sync to '${operationToStart.sync?.revision}'`,
    );
  }
}

/**
 * `ApplicationController.autoSync`: the operation to start, or the
 * SyncError condition explaining why a sync is not retried.
 */
function autoSync(
  rt: AppControllerRuntime,
  app: Application,
  compare: CompareResult,
  w: AppState,
): { condition?: ApplicationCondition; operation?: Operation } {
  if (!isAutomated(app)) return {};
  if (app.operation) return {};
  // "Skipping auto-sync: deletion in progress".
  if (app.metadata.deletionTimestamp) return {};
  if (compare.syncStatus !== 'OutOfSync') return {};
  const automated = app.spec.syncPolicy!.automated!;
  const resources = compare.resources.filter(r => !r.hook && r.status);
  if (!automated.prune) {
    const pruneOnly = resources.every(
      r => r.status === 'Synced' || r.requiresPruning,
    );
    if (pruneOnly) return {};
  }
  const desired = compare.revision!;
  const state = app.status?.operationState;
  let attempted = false;
  let attemptPhase: string | undefined;
  if (state) {
    attemptPhase = state.phase;
    if (!state.syncResult) attempted = isCompleted(state.phase);
    else {
      attempted =
        state.syncResult.revision === desired &&
        sameValue(sourceOf(app), state.syncResult.source);
    }
  }
  const operation: Operation = {
    sync: {
      revision: desired,
      prune: Boolean(automated.prune),
      ...(app.spec.syncPolicy?.syncOptions
        ? { syncOptions: [...app.spec.syncPolicy.syncOptions] }
        : {}),
    },
    initiatedBy: { automated: true },
    retry: app.spec.syncPolicy?.retry
      ? structuredClone(app.spec.syncPolicy.retry)
      : { limit: 5 },
  };
  if (attempted) {
    if (attemptPhase !== 'Succeeded') {
      return {
        condition: {
          type: 'SyncError',
          message: `Failed last sync attempt to [${desired}]: ${
            state?.message ?? ''
          }`,
        },
      };
    }
    if (!automated.selfHeal) return {};
    // Self-heal: re-apply the drifted resources once the timeout passed.
    const timeout = 5000 * rt.scale;
    if (w.lastSelfHeal && Date.now() - w.lastSelfHeal < timeout) {
      const key = appKey(app);
      rt.schedule(key, true, timeout - (Date.now() - w.lastSelfHeal));
      return {};
    }
    w.lastSelfHeal = Date.now();
    operation.sync!.resources = resources
      .filter(r => r.status !== 'Synced')
      .map(r => ({ group: r.group, kind: r.kind, name: r.name }));
  }
  if (automated.prune && !automated.allowEmpty) {
    if (resources.length > 0 && resources.every(r => r.requiresPruning)) {
      return {
        condition: {
          type: 'SyncError',
          message: `Skipping sync attempt to [${desired}]: auto-sync will wipe out all resources`,
        },
      };
    }
  }
  return { operation };
}
