/**
 * The Argo CD API server endpoints the product uses (`server/application`),
 * over the sandbox's store, with grpc-gateway's JSON errors.
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { parseLabelSelector } from '../kube/selectors';
import { ObjectStore } from '../kube/types';
import {
  ANNOTATION_REFRESH,
  ARGO_API_VERSION,
  Application,
  AppProject,
  Operation,
  RetryStrategy,
  SyncOperationResource,
  isAutomated,
  sourceOf,
} from './argocdTypes';
import { canSync, matchingWindows } from './argocdProject';
import { readHealthOverrides } from './argocdHealth';
import { ManifestRenderer } from './argocdRender';
import { buildResourceTree } from './argocdTree';

/** Options of {@link startArgoCdApiServer}. */
export interface ArgoCdApiServerOptions {
  store: ObjectStore;
  /** The bearer token clients must present (header or `argocd.token` cookie). */
  token: string;
  /** Namespace of the Argo CD instance (`openshift-gitops`). */
  namespace: string;
  host?: string;
  port?: number;
  /** User name operations are initiated by (`admin`). */
  username?: string;
  /**
   * The sandbox git server, to resolve sync revisions to commit SHAs as the
   * real API server does; without it revisions are passed on as given.
   */
  git?: { url: string; repoDir: string };
  /** How long `GET ...?refresh=` waits for the controller (default 30 s). */
  refreshTimeoutMs?: number;
}

/** A running API server. */
export interface ArgoCdApiServer {
  /** Base URL, e.g. `http://127.0.0.1:12345`. */
  url: string;
  close(): Promise<void>;
}

/** gRPC status codes used by Argo CD's API. */
export const GrpcCode = {
  Unknown: 2,
  InvalidArgument: 3,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  FailedPrecondition: 9,
  Unimplemented: 12,
  Internal: 13,
  Unauthenticated: 16,
} as const;

/** grpc-gateway's `HTTPStatusFromCode`. */
const HTTP_STATUS: Record<number, number> = {
  0: 200,
  1: 408,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** An error carrying a gRPC status, as the API server returns them. */
export class GrpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'GrpcError';
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, e: GrpcError) {
  send(res, HTTP_STATUS[e.code] ?? 500, {
    error: e.message,
    code: e.code,
    message: e.message,
  });
}

async function readBody(
  req: IncomingMessage,
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const body = JSON.parse(text);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new Error('not an object');
    }
    return body as Record<string, unknown>;
  } catch (e) {
    throw new GrpcError(
      GrpcCode.InvalidArgument,
      `invalid character in request body: ${(e as Error).message}`,
    );
  }
}

/** An Application as the API returns it: typed-client objects carry no TypeMeta. */
function present(app: Application) {
  const { apiVersion: _a, kind: _k, ...rest } = app;
  return rest;
}

const isCommitSHA = (s: string) => /^[0-9a-f]{40}$/i.test(s);

class ApiHandlers {
  private readonly renderer?: ManifestRenderer;

  constructor(private readonly options: ArgoCdApiServerOptions) {
    if (options.git) this.renderer = new ManifestRenderer(options.git);
  }

  private get store() {
    return this.options.store;
  }

  private username() {
    return this.options.username ?? 'admin';
  }

  private authenticate(req: IncomingMessage) {
    const header = req.headers.authorization ?? '';
    let token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token) {
      const cookie = (req.headers.cookie ?? '')
        .split(';')
        .map(c => c.trim())
        .find(c => c.startsWith('argocd.token='));
      token = cookie?.slice('argocd.token='.length);
    }
    if (!token)
      throw new GrpcError(GrpcCode.Unauthenticated, 'no session information');
    if (token !== this.options.token) {
      throw new GrpcError(
        GrpcCode.Unauthenticated,
        token.split('.').length === 3
          ? 'invalid session: token signature is invalid'
          : 'invalid session: token is malformed: token contains an invalid number of segments',
      );
    }
  }

  private project(namespace: string, name: string): AppProject | undefined {
    return this.store.get({
      apiVersion: ARGO_API_VERSION,
      kind: 'AppProject',
      namespace,
      name,
    }) as AppProject | undefined;
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
    const proj = this.project(app.metadata.namespace!, app.spec?.project);
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
    const ts = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      this.store.create({
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
        message: `${this.username()} ${message}`,
        type: 'Normal',
        source: { component: 'argocd-server' },
        reportingComponent: 'argocd-server',
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      });
    } catch {
      // Best effort, as in Argo CD.
    }
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
    return { metadata: { resourceVersion }, items: apps.map(present) };
  }

  async get(name: string, url: URL) {
    const q = url.searchParams;
    const app = this.getApp(
      name,
      q.get('appNamespace') ?? undefined,
      q.get('project') ?? undefined,
    );
    const refresh = q.get('refresh');
    if (refresh === null) return present(app);
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
        return present(current);
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
    const overrides = readHealthOverrides(this.store, app.metadata.namespace!);
    return buildResourceTree(
      this.store,
      app.status?.resources ?? [],
      overrides,
    );
  }

  async listProjects() {
    const items = this.store
      .list(ARGO_API_VERSION, 'AppProject', {
        namespace: this.options.namespace,
      })
      .map(p => {
        const { apiVersion: _a, kind: _k, ...rest } = p;
        return rest;
      });
    return { metadata: {}, items };
  }

  async getProject(name: string) {
    const p = this.project(this.options.namespace, name);
    if (!p) {
      throw new GrpcError(
        GrpcCode.NotFound,
        `appprojects.argoproj.io "${name}" not found`,
      );
    }
    const { apiVersion: _a, kind: _k, ...rest } = p;
    return rest;
  }

  private routes(): Array<{
    methods: string[];
    pattern: RegExp;
    handle(params: string[], req: IncomingMessage, url: URL): Promise<unknown>;
  }> {
    const app = (suffix = '') =>
      new RegExp(`^/api/v1/applications/([^/]+)${suffix}$`);
    return [
      {
        methods: ['GET'],
        pattern: /^\/api\/v1\/session\/userinfo$/,
        handle: async () => ({
          loggedIn: true,
          username: this.username(),
          iss: 'argocd',
        }),
      },
      {
        methods: ['GET'],
        pattern: /^\/api\/v1\/applications$/,
        handle: (_p, _r, url) => this.list(url),
      },
      {
        methods: ['GET'],
        pattern: app(),
        handle: ([name], _r, url) => this.get(name, url),
      },
      {
        methods: ['POST'],
        pattern: app('/sync'),
        handle: async ([name], req) => this.sync(name, await readBody(req)),
      },
      {
        methods: ['PUT', 'POST'],
        pattern: app('/rollback'),
        handle: async ([name], req) => this.rollback(name, await readBody(req)),
      },
      {
        methods: ['DELETE'],
        pattern: app('/operation'),
        handle: ([name], _r, url) => this.terminate(name, url),
      },
      {
        methods: ['GET'],
        pattern: app('/resource-tree'),
        handle: ([name], _r, url) => this.resourceTree(name, url),
      },
      {
        methods: ['GET'],
        pattern: /^\/api\/v1\/projects$/,
        handle: () => this.listProjects(),
      },
      {
        methods: ['GET'],
        pattern: /^\/api\/v1\/projects\/([^/]+)$/,
        handle: ([name]) => this.getProject(name),
      },
    ];
  }

  async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    try {
      if (path === '/api/version' && method === 'GET') {
        send(res, 200, { Version: 'v3.1.0+sandbox' });
        return;
      }
      this.authenticate(req);
      const route = this.routes().find(
        r => r.methods.includes(method) && r.pattern.test(path),
      );
      if (!route) throw new GrpcError(GrpcCode.NotFound, 'Not Found');
      const params = route.pattern
        .exec(path)!
        .slice(1)
        .map(p => decodeURIComponent(p));
      const result = await route.handle(params, req, url);
      send(res, 200, result);
    } catch (e) {
      if (e instanceof GrpcError) sendError(res, e);
      else
        sendError(res, new GrpcError(GrpcCode.Unknown, (e as Error).message));
    }
  }
}

/**
 * Starts an Argo CD API server (REST, as served by grpc-gateway) for the
 * Applications of `namespace`: list, get (with `?refresh=`), sync,
 * rollback, terminate operation, resource tree, projects. Every call but
 * `/api/version` needs `Authorization: Bearer <token>`.
 */
export async function startArgoCdApiServer(
  options: ArgoCdApiServerOptions,
): Promise<ArgoCdApiServer> {
  const handlers = new ApiHandlers(options);
  const server = createServer((req, res) => {
    handlers.handle(req, res).catch(e => {
      if (!res.headersSent)
        sendError(res, new GrpcError(GrpcCode.Internal, String(e)));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
