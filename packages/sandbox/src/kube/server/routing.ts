/**
 * Routing: health checks, authentication, discovery, then resource paths
 * (`/api/<version>/...`, `/apis/<group>/<version>/...`) parsed into a
 * {@link ResourceRequest} and dispatched to the verb's handler, with the
 * fault injector consulted first.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultInjector } from '../../faults';
import { ApiError, KubeObject, ResourceType } from '../types';
import { patch } from './apply';
import { isHealthPath } from './auth';
import {
  ResourceRequest,
  ServerContext,
  Verb,
  existing,
  render,
} from './context';
import { CRD_TYPE, customResourceDefinitions, serveCrds } from './crds';
import { create, remove, removeCollection, update } from './crud';
import { DiscoveryRoutes } from './discoveryRoutes';
import { methodNotAllowed, notFoundPath } from './errors';
import { injectFault } from './faults';
import { list } from './list';
import { negotiate, send, warningHeaders } from './http';
import { watch } from './watch';

/**
 * The resource request of a path below `/api/<version>` or
 * `/apis/<group>/<version>`, and its verb; 404 for what is not served,
 * 405 for a method the path does not take.
 */
function parseResource(
  byPath: Map<string, ResourceType>,
  method: string,
  group: string,
  version: string,
  segments: string[],
  q: URLSearchParams,
): ResourceRequest {
  let rest = segments;
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    rest[2] !== 'status' &&
    rest[2] !== 'finalize'
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 3) throw notFoundPath();
  const [plural, name, subresource] = rest;
  const type = byPath.get(`${group}/${version}/${plural}`);
  if (!type) throw notFoundPath();
  if (namespace !== undefined && !type.namespaced) throw notFoundPath();
  if (subresource && !(subresource === 'status' && type.statusSubresource)) {
    throw notFoundPath();
  }
  const watchParam = ['true', '1'].includes(q.get('watch') ?? '');
  let verb: Verb;
  switch (method) {
    case 'GET':
      if (watchPath || watchParam) verb = 'watch';
      else verb = name ? 'get' : 'list';
      break;
    case 'POST':
      if (name) throw methodNotAllowed();
      verb = 'create';
      break;
    case 'PUT':
      if (!name) throw methodNotAllowed();
      verb = 'update';
      break;
    case 'PATCH':
      if (!name) throw methodNotAllowed();
      verb = 'patch';
      break;
    case 'DELETE':
      if (subresource) throw methodNotAllowed();
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      throw methodNotAllowed();
  }
  const collectionOnly =
    verb === 'list' || verb === 'watch' || verb === 'deletecollection';
  if (type.namespaced && namespace === undefined && !collectionOnly) {
    throw notFoundPath();
  }
  if (watchPath && subresource) throw notFoundPath();
  return { type, namespace, name, subresource, verb };
}

/** What {@link requestHandler} routes to besides the handlers' context. */
export interface Routes {
  authorized(req: IncomingMessage): boolean;
  discovery: DiscoveryRoutes;
  faults?: FaultInjector;
}

/**
 * The server's request handler. It throws what it cannot answer (HttpStatus,
 * ApiError, anything else); the listener turns that into a `Status`.
 */
export function requestHandler(ctx: ServerContext, routes: Routes) {
  const byPath = new Map(
    ctx.store.types().map(t => [`${t.group}/${t.version}/${t.plural}`, t]),
  );
  let crds: KubeObject[] | undefined;
  const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    if (isHealthPath(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (!routes.authorized(req)) {
      send(
        res,
        401,
        new ApiError(401, 'Unauthorized', 'Unauthorized').toStatus(),
      );
      return;
    }
    const neg = negotiate(req.headers.accept);
    if (routes.discovery.serve(req, res, method, path, neg)) return;

    const segments = path.split('/').filter(Boolean);
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length > 2) {
      [group, version, rest] = ['', segments[1], segments.slice(2)];
    } else if (segments[0] === 'apis' && segments.length > 3) {
      [group, version, rest] = [segments[1], segments[2], segments.slice(3)];
    } else {
      throw notFoundPath();
    }

    if (group === CRD_TYPE.group && version === CRD_TYPE.version) {
      crds ??= customResourceDefinitions(ctx.store.types(), started);
      if (serveCrds(ctx, crds, res, method, rest, q, neg)) return;
    }
    const r = parseResource(byPath, method, group, version, rest, q);
    const action = routes.faults?.decide('kube', `${r.verb}:${r.type.plural}`);
    if (action && (await injectFault(action, req))) return;

    switch (r.verb) {
      case 'get':
        send(res, 200, render(ctx, r, existing(ctx, r), neg, q));
        return;
      case 'list':
        send(res, 200, await list(ctx, r, q, neg));
        return;
      case 'watch':
        watch(ctx, res, r, q, neg);
        return;
      case 'create': {
        const { body, warnings } = await create(ctx, req, r, q);
        send(res, 201, render(ctx, r, body, neg, q), warningHeaders(warnings));
        return;
      }
      case 'update': {
        const { body, warnings } = await update(ctx, req, r, q);
        send(res, 200, render(ctx, r, body, neg, q), warningHeaders(warnings));
        return;
      }
      case 'patch': {
        const { code, body, warnings } = await patch(ctx, req, r, q);
        send(res, code, render(ctx, r, body, neg, q), warningHeaders(warnings));
        return;
      }
      case 'delete': {
        const body = await remove(ctx, req, r, q);
        send(
          res,
          200,
          body.kind === 'Status'
            ? body
            : render(ctx, r, body as KubeObject, neg, q),
        );
        return;
      }
      case 'deletecollection':
        send(res, 200, await removeCollection(ctx, req, r, q));
        return;
      default:
        throw notFoundPath();
    }
  };
}
