/**
 * The sandbox's Argo CD application controller. It reconciles
 * `argoproj.io/v1alpha1` Applications in every namespace (each namespace
 * with Applications acts as one Argo CD instance: its AppProjects and its
 * `argocd-cm`), as Argo CD's `controller/appcontroller.go` does:
 *
 * - refresh (`refresh.ts`): compare the desired state rendered from git
 *   with the live state, write `status.sync`, `status.resources`,
 *   `status.health`, `status.conditions` (and drop the
 *   `argocd.argoproj.io/refresh` annotation, which never syncs); per-resource
 *   health only with `persistResourceHealth` (Argo CD 2.x), else it is
 *   served by the API's resource tree (3.x);
 * - automated sync (`refresh.ts`): start a sync of an OutOfSync app whose
 *   policy is automated, once per revision (retrying a failed one only with
 *   a new revision);
 * - operations (`operation.ts`): progress `.operation.sync` one step per
 *   reconcile through phases and waves (see `../sync`), record
 *   `status.operationState`, retry per the retry strategy, append
 *   `status.history` on success and clear `.operation` when done.
 *
 * Reconciles go through the shared controller work queue (`../../kit.ts`).
 */
import { KubeObject } from '../../../kube/types';
import {
  WatchSpec,
  WorkQueue,
  recordEvent,
  stableJson,
  startWorkQueue,
} from '../../kit';
import { Controller } from '../../types';
import { trackedBy, trackedObjects } from '../compare';
import { ManifestRenderer } from '../render';
import { ARGO_API_VERSION, Application, AppProject } from '../types';
import { processOperation } from './operation';
import { refresh } from './refresh';
import {
  AppControllerRuntime,
  AppState,
  ArgoCdControllerContext,
  appKey,
} from './runtime';

export type { ArgoCdControllerContext } from './runtime';

/** Argo CD's cascade-deletion finalizer (optionally `/foreground`, `/background`). */
const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/** The manager name Argo CD's controller writes Applications with. */
const CONTROLLER_MANAGER = 'argocd-application-controller';

/** Options of {@link startArgoCdController}. */
export interface ArgoCdControllerOptions {
  /** `kubectl` used for Kustomize (default `kubectl` on PATH). */
  kubectl?: string;
  /**
   * Argo CD 2.x behaviour: write each resource's health into
   * `status.resources[].health` (`resourceHealthSource` unset, "inline").
   * Default false, as Argo CD 3.x: the health lives in the resource tree
   * only and `status.resourceHealthSource` is `appTree` (the application
   * controller's `--persist-resource-health`, or
   * `controller.resource.health.persist` in `argocd-cmd-params-cm`).
   */
  persistResourceHealth?: boolean;
}

class ArgoCdController implements Controller, AppControllerRuntime {
  readonly name = 'argocd';
  readonly renderer: ManifestRenderer;
  readonly scale: number;
  readonly persistResourceHealth: boolean;
  private readonly states = new Map<string, AppState>();
  private queue?: WorkQueue;
  private stopped = false;

  constructor(
    readonly ctx: ArgoCdControllerContext,
    options: ArgoCdControllerOptions,
  ) {
    this.renderer = new ManifestRenderer(ctx.git, options.kubectl);
    this.scale = ctx.profile.argoReconcileMs / 1000;
    this.persistResourceHealth = options.persistResourceHealth ?? false;
  }

  start() {
    const { store } = this.ctx;
    const watches: WatchSpec[] = [
      {
        apiVersion: ARGO_API_VERSION,
        kind: 'Application',
        keys: (o, type) => this.onApplication(o, type),
      },
      {
        apiVersion: ARGO_API_VERSION,
        kind: 'AppProject',
        keys: o => this.appsIn(o.metadata.namespace, true),
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        keys: o =>
          o.metadata.name === 'argocd-cm'
            ? this.appsIn(o.metadata.namespace, false)
            : [],
      },
    ];
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
      watches.push({
        apiVersion,
        kind: type.kind,
        keys: o => {
          const appName = trackedBy(o, type.namespaced);
          if (appName) this.scheduleByName(appName);
          return [];
        },
      });
    }
    this.queue = startWorkQueue({
      ctx: this.ctx,
      name: 'argocd',
      watches,
      listKeys: () => this.marked(this.apps().map(appKey), true),
      resyncMs: this.ctx.profile.argoReconcileMs,
      reconcile: key => this.reconcile(key),
    });
  }

  stop() {
    this.stopped = true;
    this.queue?.stop();
    this.states.clear();
  }

  private apps(): Application[] {
    return this.ctx.store.list(
      ARGO_API_VERSION,
      'Application',
    ) as Application[];
  }

  private state(key: string): AppState {
    let w = this.states.get(key);
    if (!w) {
      w = { latest: false, holdUntil: 0 };
      this.states.set(key, w);
    }
    return w;
  }

  /** Marks keys to compare with the latest revision (if `latest`); returns them. */
  private marked(keys: string[], latest: boolean): string[] {
    if (!this.stopped) {
      for (const key of keys) this.state(key).latest ||= latest;
    }
    return keys;
  }

  private onApplication(o: KubeObject, type: string): string[] {
    const key = appKey(o);
    if (type === 'DELETED') {
      this.states.delete(key);
      return [];
    }
    const app = o as Application;
    // Our own status writes must not retrigger; what users change must.
    const fingerprint = stableJson({
      spec: app.spec,
      operation: app.operation ?? null,
      annotations: app.metadata.annotations ?? {},
      phase: app.status?.operationState?.phase ?? null,
      deleting: app.metadata.deletionTimestamp ?? null,
    });
    const w = this.state(key);
    if (w.fingerprint === fingerprint) return [];
    w.fingerprint = fingerprint;
    return this.marked([key], true);
  }

  /**
   * `finalizeApplicationDeletion`: the cascade deletion Argo CD performs
   * for an Application being deleted with the
   * `resources-finalizer.argocd.argoproj.io` finalizer. It deletes the
   * managed resources (hooks included) and waits while any of them is still
   * there (held by finalizers of its own); once none is left it removes the
   * finalizer, and the API server deletes the Application. Deletions of
   * managed resources re-queue the app through their watch.
   */
  private finalize(key: string, app: Application) {
    const finalizers = app.metadata.finalizers ?? [];
    if (!finalizers.some(f => f.startsWith(RESOURCES_FINALIZER))) return;
    const live = trackedObjects(this.ctx.store, app.metadata.name);
    // Objects pending deletion finish before anything else is deleted.
    if (live.some(({ obj }) => obj.metadata.deletionTimestamp)) return;
    for (const { obj } of live) {
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
    if (trackedObjects(this.ctx.store, app.metadata.name).length > 0) return;
    this.patchApp(key, a => {
      a.metadata.finalizers = (a.metadata.finalizers ?? []).filter(
        f => !f.startsWith(RESOURCES_FINALIZER),
      );
    });
  }

  private appsIn(namespace: string | undefined, latest: boolean) {
    return this.marked(
      this.apps()
        .filter(app => app.metadata.namespace === namespace)
        .map(appKey),
      latest,
    );
  }

  private scheduleByName(name: string) {
    for (const app of this.apps()) {
      if (app.metadata.name === name) this.schedule(appKey(app), false, 10);
    }
  }

  schedule(key: string, latest: boolean, delayMs = 0) {
    if (this.stopped || !this.queue) return;
    this.marked([key], latest);
    if (delayMs > 0) this.queue.enqueueAfter(key, delayMs);
    else this.queue.enqueue(key);
  }

  private async reconcile(key: string) {
    const app = this.getApp(key);
    if (!app) return;
    const w = this.state(key);
    const latest = w.latest;
    w.latest = false;
    try {
      // As Argo CD: a running operation finishes before deletion proceeds.
      if (app.metadata.deletionTimestamp && !app.operation) {
        this.finalize(key, app);
        if (!this.getApp(key)) return;
      }
      await refresh(this, key, app, w, latest);
      const current = this.getApp(key);
      if (current?.operation) await processOperation(this, key, current, w);
    } catch (e) {
      this.ctx.log(
        `argocd: reconcile of ${key} failed: ${(e as Error).stack ?? e}`,
      );
    }
  }

  getApp(key: string): Application | undefined {
    const [namespace, name] = key.split('/');
    return this.ctx.store.get({
      apiVersion: ARGO_API_VERSION,
      kind: 'Application',
      namespace,
      name,
    }) as Application | undefined;
  }

  getProject(app: Application): AppProject | undefined {
    if (!app.spec?.project) return undefined;
    return this.ctx.store.get({
      apiVersion: ARGO_API_VERSION,
      kind: 'AppProject',
      namespace: app.metadata.namespace,
      name: app.spec.project,
    }) as AppProject | undefined;
  }

  patchApp(
    key: string,
    mutate: (app: Application) => void,
  ): Application | undefined {
    if (this.stopped) return undefined;
    const latest = this.getApp(key);
    if (!latest) return undefined;
    const copy = structuredClone(latest);
    mutate(copy);
    if (stableJson(copy) === stableJson(latest)) return latest;
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

  event(
    app: Application,
    reason: string,
    message: string,
    type: 'Normal' | 'Warning' = 'Normal',
  ) {
    recordEvent(this.ctx.store, app, type, reason, message, CONTROLLER_MANAGER);
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
