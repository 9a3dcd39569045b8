/**
 * The discovery documents: `/version`, `/api` and `/apis` (legacy and
 * aggregated), API group and resource lists, OpenAPI v3 (enough for
 * kubectl's field validation and apply) and v2 (JSON or protobuf, for
 * kubectl's client-side validation), built once and cached.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
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
import { encodeOpenApiV2, openApiV2Document } from '../openapiV2';
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
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    neg: Negotiated,
  ): boolean;
}

const PROTO_V2 = 'com.github.proto-openapi.spec.v2.v1.0+protobuf';
// What client-go's discovery client asks for.
const PROTO_V2_DEPRECATED = 'com.github.proto-openapi.spec.v2@v1.0+protobuf';

/**
 * The media type `/openapi/v2` answers an `Accept` header with, in the
 * client's order (kube-openapi's handler): JSON or protobuf; undefined for
 * a 406.
 */
function openApiV2MediaType(accept: string | undefined) {
  for (const clause of (accept || '*/*').split(',')) {
    const [type, sub] = clause.split(';')[0].trim().split('/');
    if (type !== 'application' && type !== '*') continue;
    if (sub === 'json' || sub === '*') return 'application/json';
    if (sub === PROTO_V2 || sub === PROTO_V2_DEPRECATED) {
      return `application/${PROTO_V2}`;
    }
  }
  return undefined;
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
  let openApiV2: { json: Buffer; proto: Buffer } | undefined;

  const serveRoot = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    neg: Negotiated,
  ) => {
    if (path === '/openapi/v2') {
      const mediaType = openApiV2MediaType(req.headers.accept);
      if (!mediaType) {
        res.writeHead(406, { Vary: 'Accept' });
        res.end();
        return true;
      }
      if (!openApiV2) {
        const doc = openApiV2Document(types);
        openApiV2 = {
          json: Buffer.from(JSON.stringify(doc)),
          proto: encodeOpenApiV2(doc),
        };
      }
      const body =
        mediaType === 'application/json' ? openApiV2.json : openApiV2.proto;
      res.writeHead(200, {
        'Content-Type': mediaType,
        'Content-Length': body.length,
        Vary: 'Accept',
      });
      res.end(body);
    } else if (path === '/version') {
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
    serve(req, res, method, path, neg) {
      const segments = path.split('/').filter(Boolean);
      if (!isDiscoveryPath(path, segments)) return false;
      if (method !== 'GET') throw methodNotAllowed();
      if (serveRoot(req, res, path, neg)) return true;
      if (serveGroup(res, segments)) return true;
      throw notFoundPath();
    },
  };
}
