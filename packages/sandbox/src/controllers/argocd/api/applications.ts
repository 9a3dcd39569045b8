/**
 * The Applications endpoints of the Argo CD API server, over the store, as
 * `server/application/application.go` answers them.
 */
import { parseLabelSelector } from '../../../kube/selectors';
import { recordEvent } from '../../kit';
import { readHealthOverrides } from '../health';
import { canSync, matchingWindows } from '../project';
import { ManifestRenderer } from '../render';
import { buildResourceTree } from '../tree';
import {
  ANNOTATION_REFRESH,
  ARGO_API_VERSION,
  Application,
  AppProject,
  HealthStatus,
  Operation,
  RetryStrategy,
  SyncOperationResource,
  isAutomated,
  sourceOf,
} from '../types';
import { GrpcCode, GrpcError, present } from './http';
import { ArgoCdApiServerOptions } from './options';
import { findProject } from './projects';

const isCommitSHA = (s: string) => /^[0-9a-f]{40}$/i.test(s);

/**
 * The `server/application` endpoints the product uses: list, get (with
 * `?refresh=`), sync, rollback, terminate operation, resource tree.
 */
export class ApplicationHandlers {
  private readonly renderer?: ManifestRenderer;

  constructor(private readonly options: ArgoCdApiServerOptions) {
    if (options.git) this.renderer = new ManifestRenderer(options.git);
  }

  private get store() {
    return this.options.store;
  }

  /** The user operations are initiated by. */
  username() {
    return this.options.username ?? 'admin';
  }

  /**
   * `getAppEnforceRBAC`: a missing app is 403 unless the caller named its
   * project (then 404), so existence does not leak.
   */
  private getApp(
    name: string,
    appNamespace?: string,
    project?: string,
  ): Application {
    const namespace = appNamespace || this.options.namespace;
    const app = this.store.get({
      apiVersion: ARGO_API_VERSION,
      kind: 'Application',
      namespace,
      name,
    }) as Application | undefined;
    const notFound = new GrpcError(
      GrpcCode.NotFound,
      `applications.argoproj.io "${name}" not found`,
    );
    if (!app) {
      if (project) throw notFound;
      throw new GrpcError(GrpcCode.PermissionDenied, 'permission denied');
    }
    if (project && app.spec?.project !== project) throw notFound;
    return app;
  }

  private getAppProject(app: Application): AppProject {
    const proj = findProject(
      this.store,
      app.metadata.namespace!,
      app.spec?.project,
    );
    if (!proj) {
      throw new GrpcError(
        GrpcCode.InvalidArgument,
        `application references project ${app.spec?.project} which does not exist`,
      );
    }
    return proj;
  }

  /** An Event about the app, as argocd-server's audit logger writes. */
  private event(app: Application, reason: string, message: string) {
    recordEvent(
      this.store,
      app,
      'Normal',
      reason,
      `${this.username()} ${message}`,
      'argocd-server',
    );
  }

  /** `argo.SetAppOperation`. */
  private setAppOperation(app: Application, op: Operation): Application {
    const latest = this.getApp(app.metadata.name, app.metadata.namespace);
    if (latest.operation) {
      throw new GrpcError(
        GrpcCode.FailedPrecondition,
        'error setting app operation: another operation is already in progress',
      );
    }
    const next = structuredClone(latest);
    next.operation = op;
    if (next.status) delete next.status.operationState;
    return this.store.update(next) as Application;
  }

  async list(url: URL) {
    const q = url.searchParams;
    const projects = [...q.getAll('projects'), ...q.getAll('project')].filter(
      Boolean,
    );
    const selector = parseLabelSelector(q.get('selector') ?? undefined);
    const namespace = q.get('appNamespace') || this.options.namespace;
    const name = q.get('name');
    const apps = (
      this.store.list(ARGO_API_VERSION, 'Application', {
        namespace,
      }) as Application[]
    )
      .filter(a => selector(a.metadata.labels ?? {}))
      .filter(a => projects.length === 0 || projects.includes(a.spec?.project))
      .filter(a => !name || a.metadata.name === name)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const resourceVersion = String(
      Math.max(
        0,
        ...this.store
          .list(ARGO_API_VERSION, 'Application')
          .map(a => Number(a.metadata.resourceVersion) || 0),
      ),
    );
    const items = await Promise.all(
      apps.map(async a => present(await this.inferResourcesStatusHealth(a))),
    );
    return { metadata: { resourceVersion }, items };
  }

  async get(name: string, url: URL) {
    const q = url.searchParams;
    const app = this.getApp(
      name,
      q.get('appNamespace') ?? undefined,
      q.get('project') ?? undefined,
    );
    const refresh = q.get('refresh');
    if (refresh === null) {
      return present(await this.inferResourcesStatusHealth(app));
    }
    // `argo.RefreshApp`, then wait for the controller to pick it up.
    const next = structuredClone(app);
    next.metadata.annotations = {
      ...(next.metadata.annotations ?? {}),
      [ANNOTATION_REFRESH]: refresh === 'hard' ? 'hard' : 'normal',
    };
    this.store.update(next);
    const deadline = Date.now() + (this.options.refreshTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 20));
      const current = this.getApp(name, app.metadata.namespace);
      if (!(ANNOTATION_REFRESH in (current.metadata.annotations ?? {}))) {
        return present(await this.inferResourcesStatusHealth(current));
      }
    }
    throw new GrpcError(
      GrpcCode.Unknown,
      'application refresh deadline exceeded',
    );
  }

  private async resolveRevision(
    app: Application,
    requested: string | undefined,
  ) {
    const source = sourceOf(app);
    const ambiguous = requested || source?.targetRevision || 'HEAD';
    if (isCommitSHA(ambiguous) || !this.renderer) return ambiguous;
    try {
      this.renderer.checkRepo(source?.repoURL);
      return await this.renderer.resolveRevision(ambiguous);
    } catch (e) {
      throw new GrpcError(
        GrpcCode.Unknown,
        `error resolving repo revision: rpc error: code = Unknown desc = ${
          (e as Error).message
        }`,
      );
    }
  }

  async sync(name: string, body: Record<string, unknown>) {
    const app = this.getApp(
      name,
      (body.appNamespace as string) || undefined,
      (body.project as string) || undefined,
    );
    const proj = this.getAppProject(app);
    let allowed: boolean;
    try {
      allowed = canSync(matchingWindows(proj, app), true);
    } catch (e) {
      throw new GrpcError(
        GrpcCode.PermissionDenied,
        `cannot sync: invalid sync window: ${(e as Error).message}`,
      );
    }
    if (!allowed) {
      throw new GrpcError(
        GrpcCode.PermissionDenied,
        'cannot sync: blocked by sync window',
      );
    }
    if (app.metadata.deletionTimestamp) {
      throw new GrpcError(
        GrpcCode.FailedPrecondition,
        'application is deleting',
      );
    }
    const source = sourceOf(app);
    const requested = typeof body.revision === 'string' ? body.revision : '';
    if (isAutomated(app) && !body.dryRun && requested) {
      const target = source?.targetRevision || 'HEAD';
      if (requested !== target) {
        throw new GrpcError(
          GrpcCode.FailedPrecondition,
          `Cannot sync to ${requested}: auto-sync currently set to ${
            source?.targetRevision ?? ''
          }`,
        );
      }
    }
    const revision = await this.resolveRevision(app, requested);
    let syncOptions = app.spec.syncPolicy?.syncOptions;
    const reqOptions = body.syncOptions as
      | { items?: string[] }
      | string[]
      | undefined;
    if (reqOptions) {
      syncOptions = Array.isArray(reqOptions)
        ? reqOptions
        : reqOptions.items ?? [];
    }
    const retry =
      (body.retryStrategy as RetryStrategy | undefined) ??
      app.spec.syncPolicy?.retry;
    const resources = (
      (body.resources as SyncOperationResource[] | undefined) ?? []
    ).filter(Boolean);
    const op: Operation = {
      sync: {
        revision,
        ...(source ? { source: structuredClone(source) } : {}),
        ...(body.prune ? { prune: true } : {}),
        ...(body.dryRun ? { dryRun: true } : {}),
        ...(syncOptions?.length ? { syncOptions: [...syncOptions] } : {}),
        ...(body.strategy
          ? { syncStrategy: structuredClone(body.strategy) as never }
          : {}),
        ...(resources.length ? { resources: structuredClone(resources) } : {}),
      },
      initiatedBy: { username: this.username() },
      ...(retry ? { retry: structuredClone(retry) } : {}),
      ...(Array.isArray(body.infos) && body.infos.length
        ? { info: body.infos as never }
        : {}),
    };
    const updated = this.setAppOperation(app, op);
    this.event(
      updated,
      'OperationStarted',
      `initiated ${resources.length ? 'partial ' : ''}sync to ${
        requested || source?.targetRevision || 'HEAD'
      }`,
    );
    return present(updated);
  }

  async rollback(name: string, body: Record<string, unknown>) {
    const app = this.getApp(
      name,
      (body.appNamespace as string) || undefined,
      (body.project as string) || undefined,
    );
    this.getAppProject(app);
    if (app.metadata.deletionTimestamp) {
      throw new GrpcError(
        GrpcCode.FailedPrecondition,
        'application is being deleted',
      );
    }
    if (isAutomated(app)) {
      throw new GrpcError(
        GrpcCode.FailedPrecondition,
        'rollback cannot be initiated when auto-sync is enabled',
      );
    }
    const id = Number(body.id ?? 0);
    const entry = (app.status?.history ?? []).find(h => h.id === id);
    if (!entry) {
      const qualified =
        app.metadata.namespace === this.options.namespace
          ? app.metadata.name
          : `${app.metadata.namespace}/${app.metadata.name}`;
      throw new GrpcError(
        GrpcCode.InvalidArgument,
        `application ${qualified} does not have deployment with id ${
          body.id ?? 0
        }`,
      );
    }
    if (!entry.source?.repoURL) {
      throw new GrpcError(
        GrpcCode.FailedPrecondition,
        'cannot rollback to revision deployed with Argo CD v0.11 or lower. sync to revision instead.',
      );
    }
    const syncOptions = app.spec.syncPolicy?.syncOptions;
    const op: Operation = {
      sync: {
        revision: entry.revision,
        ...(body.dryRun ? { dryRun: true } : {}),
        ...(body.prune ? { prune: true } : {}),
        ...(syncOptions?.length ? { syncOptions: [...syncOptions] } : {}),
        syncStrategy: { apply: {} },
        source: structuredClone(entry.source),
      },
      initiatedBy: { username: this.username() },
    };
    const updated = this.setAppOperation(app, op);
    this.event(updated, 'OperationStarted', `initiated rollback to ${id}`);
    return present(updated);
  }

  async terminate(name: string, url: URL) {
    const q = url.searchParams;
    const app = this.getApp(
      name,
      q.get('appNamespace') ?? undefined,
      q.get('project') ?? undefined,
    );
    if (!app.operation || !app.status?.operationState) {
      throw new GrpcError(
        GrpcCode.InvalidArgument,
        'Unable to terminate operation. No operation is in progress',
      );
    }
    const next = structuredClone(app);
    next.status!.operationState!.phase = 'Terminating';
    this.store.update(next);
    return {};
  }

  async resourceTree(name: string, url: URL) {
    const q = url.searchParams;
    const app = this.getApp(
      name,
      q.get('appNamespace') ?? undefined,
      q.get('project') ?? undefined,
    );
    return this.tree(app);
  }

  private tree(app: Application) {
    const overrides = readHealthOverrides(this.store, app.metadata.namespace!);
    return buildResourceTree(
      this.store,
      app.status?.resources ?? [],
      overrides,
    );
  }

  /**
   * `Server.inferResourcesStatusHealth` (server/application/application.go):
   * an Application whose controller keeps health in the resource tree
   * (`resourceHealthSource: appTree`) is answered with each resource's
   * health taken from the tree, as the API has done since Argo CD 3.0; a
   * node without health that was never created reads Missing.
   */
  private async inferResourcesStatusHealth(
    app: Application,
  ): Promise<Application> {
    if (app.status?.resourceHealthSource !== 'appTree') return app;
    const tree = await this.tree(app);
    const key = (r: {
      group?: string;
      kind: string;
      namespace?: string;
      name: string;
    }) => `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
    const health = new Map<string, HealthStatus>();
    for (const node of tree.nodes) {
      if (node.health) health.set(key(node), node.health);
      else if (!node.resourceVersion && !node.uid && !node.createdAt) {
        health.set(key(node), {
          status: 'Missing',
          message: 'Resource has not been created',
        });
      }
    }
    const copy = structuredClone(app);
    copy.status!.resources = (copy.status!.resources ?? []).map(r => {
      const { health: _ignored, ...rest } = r;
      const h = health.get(key(r));
      return h ? { ...rest, health: h } : rest;
    });
    return copy;
  }
}
