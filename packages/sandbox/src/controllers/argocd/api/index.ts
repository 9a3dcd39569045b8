/**
 * The Argo CD API server endpoints the product uses (`server/application`,
 * `server/project`, session user info), over the sandbox's store, with
 * grpc-gateway's JSON errors.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApplicationHandlers } from './applications';
import { GrpcCode, GrpcError, readBody, send, sendError } from './http';
import { ArgoCdApiServer, ArgoCdApiServerOptions } from './options';
import { ProjectHandlers } from './projects';

export type { ArgoCdApiServer, ArgoCdApiServerOptions } from './options';

/** Authentication and routing of the API's requests to their handlers. */
class ApiRouter {
  private readonly applications: ApplicationHandlers;
  private readonly projects: ProjectHandlers;

  constructor(private readonly options: ArgoCdApiServerOptions) {
    this.applications = new ApplicationHandlers(options);
    this.projects = new ProjectHandlers(options);
  }

  /** A bearer token (header or `argocd.token` cookie), as argocd-server checks a session. */
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
          username: this.applications.username(),
          iss: 'argocd',
        }),
      },
      {
        methods: ['GET'],
        pattern: /^\/api\/v1\/applications$/,
        handle: (_p, _r, url) => this.applications.list(url),
      },
      {
        methods: ['GET'],
        pattern: app(),
        handle: ([name], _r, url) => this.applications.get(name, url),
      },
      {
        methods: ['POST'],
        pattern: app('/sync'),
        handle: async ([name], req) =>
          this.applications.sync(name, await readBody(req)),
      },
      {
        methods: ['PUT', 'POST'],
        pattern: app('/rollback'),
        handle: async ([name], req) =>
          this.applications.rollback(name, await readBody(req)),
      },
      {
        methods: ['DELETE'],
        pattern: app('/operation'),
        handle: ([name], _r, url) => this.applications.terminate(name, url),
      },
      {
        methods: ['GET'],
        pattern: app('/resource-tree'),
        handle: ([name], _r, url) => this.applications.resourceTree(name, url),
      },
      {
        methods: ['GET'],
        pattern: /^\/api\/v1\/projects$/,
        handle: () => this.projects.listProjects(),
      },
      {
        methods: ['GET'],
        pattern: /^\/api\/v1\/projects\/([^/]+)$/,
        handle: ([name]) => this.projects.getProject(name),
      },
    ];
  }

  async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    try {
      if (path === '/api/version' && method === 'GET') {
        send(res, 200, { Version: 'v3.5.1+sandbox' });
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
  const handlers = new ApiRouter(options);
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
