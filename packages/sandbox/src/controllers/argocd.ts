/**
 * The sandbox's Argo CD application controller. It reconciles
 * `argoproj.io/v1alpha1` Applications in every namespace (each namespace
 * with Applications acts as one Argo CD instance: its AppProjects and its
 * `argocd-cm`), as Argo CD's `controller/appcontroller.go` does:
 *
 * - refresh: compare the desired state rendered from git with the live
 *   state, write `status.sync`, `status.resources`, `status.health`,
 *   `status.conditions` (and drop the `argocd.argoproj.io/refresh`
 *   annotation, which never syncs);
 * - automated sync: start a sync of an OutOfSync app whose policy is
 *   automated, once per revision (retrying a failed one only with a new
 *   revision);
 * - operations: progress `.operation.sync` one step per reconcile through
 *   phases and waves (see `argocdSync.ts`), record `status.operationState`,
 *   retry per the retry strategy, append `status.history` on success and
 *   clear `.operation` when done.
 */
import { randomBytes } from 'node:crypto';
import { KubeObject, WatchEvent } from '../kube/types';
import { Controller, ControllerContext } from './types';
import {
  ANNOTATION_REFRESH,
  ARGO_API_VERSION,
  Application,
  ApplicationCondition,
  ApplicationSource,
  ApplicationStatus,
  AppProject,
  Operation,
  OperationState,
  RetryStrategy,
  isAutomated,
  isCompleted,
  now,
  sourceOf,
} from './argocdTypes';
import {
  canSync,
  destinationCluster,
  matchingWindows,
  parseGoDuration,
  validatePermissions,
} from './argocdProject';
import {
  CompareResult,
  compareAppState,
  resourceStatuses,
  trackedBy,
  trackedObjects,
} from './argocdCompare';
import { readHealthOverrides, resourceHealth } from './argocdHealth';
import { ManifestRenderer } from './argocdRender';
import { syncStep } from './argocdSync';

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

/** Argo CD's cascade-deletion finalizer (optionally `/foreground`, `/background`). */
const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/** The manager name Argo CD's controller writes Applications with. */
const CONTROLLER_MANAGER = 'argocd-application-controller';

/** What {@link startArgoCdController} needs besides the common context. */
export interface ArgoCdControllerContext extends ControllerContext {
  /** The sandbox git server (see `startGitServer`). */
  git: { url: string; repoDir: string };
}

/** Canonical JSON (sorted keys) for deep comparisons. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map(k => [k, v[k]]),
        )
      : v,
  );
}

const sameValue = (a: unknown, b: unknown) => canonical(a) === canonical(b);

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

interface AppWorker {
  running: boolean;
  again: boolean;
  latest: boolean;
  timer?: NodeJS.Timeout;
  timerDue?: number;
  /** No operation step before this time (wave delay, retry backoff). */
  holdUntil: number;
  fingerprint?: string;
  lastSelfHeal?: number;
}

/** Options of {@link startArgoCdController}. */
export interface ArgoCdControllerOptions {
  /** `kubectl` used for Kustomize (default `kubectl` on PATH). */
  kubectl?: string;
}

class ArgoCdController implements Controller {
  readonly name = 'argocd';
  private readonly workers = new Map<string, AppWorker>();
  private readonly unwatch: Array<() => void> = [];
  private readonly renderer: ManifestRenderer;
  private interval?: NodeJS.Timeout;
  private stopped = false;
  /** Real Argo CD durations are scaled by the profile (1 s → argoReconcileMs). */
  private readonly scale: number;

  constructor(
    private readonly ctx: ArgoCdControllerContext,
    options: ArgoCdControllerOptions,
  ) {
    this.renderer = new ManifestRenderer(ctx.git, options.kubectl);
    this.scale = ctx.profile.argoReconcileMs / 1000;
  }

  start() {
    const { store } = this.ctx;
    this.unwatch.push(
      store.watch(ARGO_API_VERSION, 'Application', e => this.onApplication(e)),
      store.watch(ARGO_API_VERSION, 'AppProject', e =>
        this.scheduleNamespace(e.object.metadata.namespace, true),
      ),
      store.watch('v1', 'ConfigMap', e => {
        if (e.object.metadata.name === 'argocd-cm') {
          this.scheduleNamespace(e.object.metadata.namespace, false);
        }
      }),
    );
    // Argo CD watches every resource it manages and refreshes the owning
    // app when one changes (e.g. a hook Job completing).
    const seen = new Set<string>();
    for (const type of store.types()) {
      const gk = `${type.group}/${type.kind}`;
      if (seen.has(gk) || type.kind === 'Event') continue;
      seen.add(gk);
      if (type.group === 'argoproj.io' && type.kind !== 'Application') continue;
      const apiVersion = type.group
        ? `${type.group}/${type.version}`
        : type.version;
      this.unwatch.push(
        store.watch(apiVersion, type.kind, e => {
          const appName = trackedBy(e.object, type.namespaced);
          if (appName) this.scheduleByName(appName);
        }),
      );
    }
    this.interval = setInterval(
      () => this.tick(),
      this.ctx.profile.argoReconcileMs,
    );
    this.tick();
  }

  stop() {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    for (const u of this.unwatch.splice(0)) u();
    for (const w of this.workers.values()) if (w.timer) clearTimeout(w.timer);
    this.workers.clear();
  }

  private key(app: KubeObject) {
    return `${app.metadata.namespace}/${app.metadata.name}`;
  }

  private apps(): Application[] {
    return this.ctx.store.list(
      ARGO_API_VERSION,
      'Application',
    ) as Application[];
  }

  private tick() {
    for (const app of this.apps()) this.schedule(this.key(app), true);
  }

  private onApplication(e: WatchEvent) {
    const key = this.key(e.object);
    if (e.type === 'DELETED') {
      const w = this.workers.get(key);
      if (w?.timer) clearTimeout(w.timer);
      this.workers.delete(key);
      const finalizers = e.object.metadata.finalizers ?? [];
      if (finalizers.some(f => f.startsWith(RESOURCES_FINALIZER))) {
        // Outside the store's write that notified us.
        setImmediate(() => this.cascadeDelete(e.object.metadata.name));
      }
      return;
    }
    const app = e.object as Application;
    // Our own status writes must not retrigger; what users change must.
    const fingerprint = canonical({
      spec: app.spec,
      operation: app.operation ?? null,
      annotations: app.metadata.annotations ?? {},
      phase: app.status?.operationState?.phase ?? null,
    });
    const w = this.worker(key);
    if (w.fingerprint !== fingerprint) {
      w.fingerprint = fingerprint;
      this.schedule(key, true);
    }
  }

  /**
   * The cascade deletion Argo CD performs for an Application with the
   * `resources-finalizer.argocd.argoproj.io` finalizer: its managed
   * resources (hooks included) are deleted. The store removes the
   * Application at once instead of holding it until then.
   */
  private cascadeDelete(appName: string) {
    if (this.stopped) return;
    const stillThere = this.apps().some(a => a.metadata.name === appName);
    if (stillThere) return;
    for (const { obj } of trackedObjects(this.ctx.store, appName)) {
      try {
        this.ctx.store.delete({
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          namespace: obj.metadata.namespace,
          name: obj.metadata.name,
        });
      } catch {
        // Already gone.
      }
    }
  }

  private scheduleNamespace(namespace: string | undefined, latest: boolean) {
    for (const app of this.apps()) {
      if (app.metadata.namespace === namespace)
        this.schedule(this.key(app), latest);
    }
  }

  private scheduleByName(name: string) {
    for (const app of this.apps()) {
      if (app.metadata.name === name) this.schedule(this.key(app), false, 10);
    }
  }

  private worker(key: string): AppWorker {
    let w = this.workers.get(key);
    if (!w) {
      w = { running: false, again: false, latest: false, holdUntil: 0 };
      this.workers.set(key, w);
    }
    return w;
  }

  /**
   * Queues a reconcile of one app, now or after `delayMs`: coalesced, never
   * two at once (a request during a run reruns it right after), the earliest
   * pending time wins.
   */
  private schedule(key: string, latest: boolean, delayMs = 0) {
    if (this.stopped) return;
    const w = this.worker(key);
    w.latest ||= latest;
    if (delayMs <= 0 && w.running) {
      w.again = true;
      return;
    }
    const due = Date.now() + Math.max(delayMs, 0);
    if (w.timer && w.timerDue! <= due) return;
    if (w.timer) clearTimeout(w.timer);
    w.timerDue = due;
    w.timer = setTimeout(() => {
      w.timer = undefined;
      if (w.running) w.again = true;
      else this.run(key, w);
    }, Math.max(delayMs, 0));
  }

  private async run(key: string, w: AppWorker) {
    if (this.stopped || w.running) return;
    w.running = true;
    const latest = w.latest;
    w.latest = false;
    w.again = false;
    try {
      await this.reconcile(key, w, latest);
    } catch (e) {
      this.ctx.log(
        `argocd: reconcile of ${key} failed: ${(e as Error).stack ?? e}`,
      );
    } finally {
      w.running = false;
    }
    if (w.again && !this.stopped) this.schedule(key, w.latest);
  }

  private getApp(key: string): Application | undefined {
    const [namespace, name] = key.split('/');
    return this.ctx.store.get({
      apiVersion: ARGO_API_VERSION,
      kind: 'Application',
      namespace,
      name,
    }) as Application | undefined;
  }

  private getProject(app: Application): AppProject | undefined {
    if (!app.spec?.project) return undefined;
    return this.ctx.store.get({
      apiVersion: ARGO_API_VERSION,
      kind: 'AppProject',
      namespace: app.metadata.namespace,
      name: app.spec.project,
    }) as AppProject | undefined;
  }

  /** Re-reads the app, applies `mutate` and writes it if anything changed. */
  private patchApp(
    key: string,
    mutate: (app: Application) => void,
  ): Application | undefined {
    if (this.stopped) return undefined;
    const latest = this.getApp(key);
    if (!latest) return undefined;
    const copy = structuredClone(latest);
    mutate(copy);
    if (canonical(copy) === canonical(latest)) return latest;
    try {
      return this.ctx.store.update(copy, {
        fieldManager: CONTROLLER_MANAGER,
      }) as Application;
    } catch (e) {
      this.ctx.log(
        `argocd: cannot update Application ${key}: ${(e as Error).message}`,
      );
      return undefined;
    }
  }

  /** Writes a Kubernetes Event about the app, as Argo CD's audit logger does. */
  private event(
    app: Application,
    reason: string,
    message: string,
    type = 'Normal',
  ) {
    const ts = now();
    try {
      this.ctx.store.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${app.metadata.name}.${randomBytes(8).toString('hex')}`,
          namespace: app.metadata.namespace,
        },
        involvedObject: {
          apiVersion: ARGO_API_VERSION,
          kind: 'Application',
          name: app.metadata.name,
          namespace: app.metadata.namespace,
          uid: app.metadata.uid,
          resourceVersion: app.metadata.resourceVersion,
        },
        reason,
        message,
        type,
        source: { component: CONTROLLER_MANAGER },
        reportingComponent: CONTROLLER_MANAGER,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      });
    } catch {
      // Events are best effort, as in Argo CD.
    }
  }

  private async reconcile(key: string, w: AppWorker, latest: boolean) {
    const app = this.getApp(key);
    if (!app) return;
    await this.refresh(key, app, w, latest);
    const current = this.getApp(key);
    if (current?.operation) await this.processOperation(key, current, w);
  }

  // -------------------------------------------------------------------------
  // Refresh

  private async refresh(
    key: string,
    app: Application,
    w: AppWorker,
    latest: boolean,
  ) {
    const { store } = this.ctx;
    const namespace = app.metadata.namespace!;
    const refreshRequested = app.metadata.annotations?.[ANNOTATION_REFRESH];
    const project = this.getProject(app);
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
        renderer: this.renderer,
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
        const auto = this.autoSync(app, compare, w);
        autoSyncCondition = auto.condition;
        operationToStart = auto.operation;
        if (autoSyncCondition) conditions.push(autoSyncCondition);
      }
    }

    const images = compare ? podImages(store, compare) : [];

    let before: ApplicationStatus | undefined;
    let started = false;
    const updated = this.patchApp(key, a => {
      before = structuredClone(a.status ?? {});
      const status: ApplicationStatus = (a.status ??= {});
      status.conditions = setConditions(
        status.conditions,
        conditions,
        evaluated,
      );
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
      status.resources = resourceStatuses(compare);
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
        canonical([x?.sync, x?.resources, x?.health?.status, x?.conditions]);
      const expired =
        !status.reconciledAt ||
        Date.parse(status.reconciledAt) + 180_000 * this.scale < Date.now();
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
      this.event(
        updated,
        'ResourceUpdated',
        `Updated sync status: ${oldSync ?? ''} -> ${newSync}`,
      );
    }
    const oldHealth = before?.health?.status;
    const newHealth = updated.status?.health?.status;
    if (oldHealth !== newHealth) {
      this.event(
        updated,
        'ResourceUpdated',
        `Updated health status: ${oldHealth ?? ''} -> ${newHealth}`,
      );
    }
    if (started && operationToStart) {
      this.event(
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
  private autoSync(
    app: Application,
    compare: CompareResult,
    w: AppWorker,
  ): { condition?: ApplicationCondition; operation?: Operation } {
    if (!isAutomated(app)) return {};
    if (app.operation) return {};
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
      const timeout = 5000 * this.scale;
      if (w.lastSelfHeal && Date.now() - w.lastSelfHeal < timeout) {
        const key = this.key(app);
        this.schedule(key, true, timeout - (Date.now() - w.lastSelfHeal));
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

  // -------------------------------------------------------------------------
  // Operations

  /** `RetryStrategy.NextRetryAt`, scaled to the profile. */
  private nextRetryAt(
    from: number,
    retryCount: number,
    retry: RetryStrategy | undefined,
  ) {
    const duration = retryDurationMs(retry?.backoff?.duration, 5000);
    const max = retryDurationMs(retry?.backoff?.maxDuration, 180_000);
    const factor = retry?.backoff?.factor ?? 2;
    let wait = duration * factor ** retryCount;
    if (max > 0) wait = Math.min(max, wait);
    return from + wait * this.scale;
  }

  private async processOperation(key: string, app: Application, w: AppWorker) {
    if (Date.now() < w.holdUntil) {
      this.schedule(key, false, w.holdUntil - Date.now());
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
          retryAt = this.nextRetryAt(
            Date.parse(state.finishedAt),
            state.retryCount ?? 0,
            state.operation.retry,
          );
        } catch (e) {
          state.phase = 'Failed';
          state.message = (e as Error).message;
          this.setOperationState(key, state);
          return;
        }
        if (Date.now() < retryAt) {
          this.schedule(key, false, retryAt - Date.now());
          return;
        }
        delete state.finishedAt;
        this.setOperationState(key, state);
        delete state.syncResult;
      }
    } else {
      state = {
        operation: structuredClone(app.operation!),
        phase: 'Running',
        startedAt: now(),
      };
      this.setOperationState(key, state);
    }

    const project = this.getProject(app);
    if (!project) {
      state.phase = 'Error';
      state.message = `error getting app project "${app.spec?.project}": appprojects.argoproj.io "${app.spec?.project}" not found`;
    } else {
      await this.syncAppState(key, app, project, state, terminating, w);
    }

    if (state.phase === 'Running') {
      const fresh = this.getApp(key);
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
          const retryAt = this.nextRetryAt(at, count, state.operation.retry);
          state.phase = 'Running';
          state.retryCount = count + 1;
          state.message = `${state.message}. Retrying attempt #${
            state.retryCount
          } at ${kitchen(new Date(retryAt))}.`;
          this.schedule(key, false, retryAt - Date.now());
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

    const done = this.setOperationState(key, state);
    if (isCompleted(state.phase)) {
      if (done) {
        const revision = state.syncResult?.revision;
        const partial = state.operation.sync?.resources?.length
          ? 'Partial sync operation'
          : 'Sync operation';
        if (state.phase === 'Succeeded') {
          this.event(
            done,
            'OperationCompleted',
            `${partial} to ${revision} succeeded`,
          );
        } else {
          this.event(
            done,
            'OperationCompleted',
            `${partial} to ${revision} failed: ${state.message}`,
            'Warning',
          );
        }
      }
      // A finished operation forces a refresh with the latest revision.
      if (!state.operation.sync?.dryRun) this.schedule(key, true);
    } else if (state.phase === 'Running') {
      this.schedule(
        key,
        false,
        Math.max(w.holdUntil - Date.now(), 0) ||
          this.ctx.profile.argoReconcileMs,
      );
    }
  }

  /** `setOperationState`: persists the state; a completed one clears `.operation`. */
  private setOperationState(
    key: string,
    state: OperationState,
  ): Application | undefined {
    if (isCompleted(state.phase)) state.finishedAt = now();
    return this.patchApp(key, a => {
      const status = (a.status ??= {});
      status.operationState = structuredClone(state);
      if (isCompleted(state.phase)) delete a.operation;
    });
  }

  /** `appStateManager.SyncAppState`: one step of the sync. */
  private async syncAppState(
    key: string,
    app: Application,
    project: AppProject,
    state: OperationState,
    terminating: boolean,
    w: AppWorker,
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
    const overrides = readHealthOverrides(
      this.ctx.store,
      app.metadata.namespace!,
    );
    const specConditions = validatePermissions(app, project);
    if (!source) {
      state.phase = 'Error';
      state.message = formatConditions(specConditions);
      return;
    }
    const compare = await compareAppState({
      store: this.ctx.store,
      renderer: this.renderer,
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
      store: this.ctx.store,
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
      w.holdUntil = Date.now() + 2000 * this.scale;
    }
    if (state.phase === 'Succeeded' && !op.dryRun && !partial) {
      this.appendHistory(key, state, compare.revision!);
    }
  }

  /** `persistRevisionHistory`. */
  private appendHistory(key: string, state: OperationState, revision: string) {
    this.patchApp(key, a => {
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
}

/**
 * Starts the sandbox's Argo CD application controller over the store: it
 * reconciles every Application every `profile.argoReconcileMs` and whenever
 * the Application, its AppProject, `argocd-cm` or one of its resources
 * changes. Applications must point at the sandbox git server (`ctx.git`).
 */
export function startArgoCdController(
  ctx: ArgoCdControllerContext,
  options: ArgoCdControllerOptions = {},
): Controller {
  const controller = new ArgoCdController(ctx, options);
  controller.start();
  return controller;
}
