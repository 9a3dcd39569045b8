/**
 * The discovery documents: `/version`, `/api` and `/apis` (legacy and
 * aggregated), API group and resource lists, and OpenAPI v3 (enough for
 * kubectl's field validation and apply), built once and cached.
 */
import { ServerResponse } from 'node:http';
import {
  AGGREGATED_DISCOVERY_V2,
  AGGREGATED_DISCOVERY_V2BETA1,
  KUBE_VERSION,
  aggregatedDiscovery,
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3Document,
  openApiV3Index,
} from '../discovery';
import { ResourceType } from '../types';
import { methodNotAllowed, notFoundPath } from './errors';
import { Negotiated, send } from './http';

/** The discovery routes of one server. */
export interface DiscoveryRoutes {
  /**
   * Serves `path` if it is a discovery path (other methods than GET are
   * 405); returns whether it was one.
   */
  serve(
    res: ServerResponse,
    method: string,
    path: string,
    neg: Negotiated,
  ): boolean;
}

/** Whether a path is one of the discovery documents (not a resource). */
function isDiscoveryPath(path: string, segments: string[]) {
  return (
    path === '/version' ||
    path.startsWith('/openapi/') ||
    path === '/openapi' ||
    (segments[0] === 'api' && segments.length <= 2) ||
    (segments[0] === 'apis' && segments.length <= 3)
  );
}

/**
 * The discovery routes over the served types; `address` is the server's
 * `host:port` (known once it listens), which `/api` reports.
 */
export function discoveryRoutes(
  types: ResourceType[],
  address: () => string,
): DiscoveryRoutes {
  const openApiDocs = new Map<string, string>();
  let openApiIndex: string | undefined;

  const serveRoot = (res: ServerResponse, path: string, neg: Negotiated) => {
    if (path === '/version') {
      send(res, 200, KUBE_VERSION);
    } else if (path === '/api' || path === '/apis') {
      const which = path === '/api' ? 'api' : 'apis';
      if (neg.discovery) {
        send(res, 200, aggregatedDiscovery(types, which, neg.discovery), {
          'Content-Type':
            neg.discovery === 'v2'
              ? AGGREGATED_DISCOVERY_V2
              : AGGREGATED_DISCOVERY_V2BETA1,
        });
      } else {
        send(
          res,
          200,
          which === 'api' ? apiVersions(address()) : apiGroupList(types),
        );
      }
    } else if (path === '/openapi/v3') {
      openApiIndex ??= JSON.stringify(openApiV3Index(types));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(openApiIndex);
    } else if (path.startsWith('/openapi/v3/')) {
      const gv = path.slice('/openapi/v3/'.length).split('/');
      let group: string;
      let version: string;
      if (gv[0] === 'api' && gv.length === 2) [group, version] = ['', gv[1]];
      else if (gv[0] === 'apis' && gv.length === 3) [, group, version] = gv;
      else throw notFoundPath();
      const key = `${group}/${version}`;
      let doc = openApiDocs.get(key);
      if (!doc) {
        const built = openApiV3Document(types, group, version);
        if (!built) throw notFoundPath();
        doc = JSON.stringify(built);
        openApiDocs.set(key, doc);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(doc);
    } else {
      return false;
    }
    return true;
  };

  /** `/apis/<group>` and `/api/<version>`, `/apis/<group>/<version>`. */
  const serveGroup = (res: ServerResponse, segments: string[]) => {
    if (segments[0] === 'apis' && segments.length === 2) {
      const doc = apiGroupDocument(types, segments[1]);
      if (!doc) throw notFoundPath();
      send(res, 200, doc);
      return true;
    }
    let group: string;
    let version: string;
    if (segments[0] === 'api' && segments.length === 2) {
      [group, version] = ['', segments[1]];
    } else if (segments[0] === 'apis' && segments.length === 3) {
      [group, version] = [segments[1], segments[2]];
    } else {
      return false;
    }
    const doc = apiResourceList(types, group, version);
    if (!doc) throw notFoundPath();
    send(res, 200, doc);
    return true;
  };

  return {
    serve(res, method, path, neg) {
      const segments = path.split('/').filter(Boolean);
      if (!isDiscoveryPath(path, segments)) return false;
      if (method !== 'GET') throw methodNotAllowed();
      if (serveRoot(res, path, neg)) return true;
      if (serveGroup(res, segments)) return true;
      throw notFoundPath();
    },
  };
}
