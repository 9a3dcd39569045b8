/**
 * What the handlers of one API server share, the request they serve, and
 * the checks every write makes of it (identity, dry run, field validation,
 * optimistic locking).
 */
import { IncomingMessage } from 'node:http';
import { CrdAdmission, FieldValidation, invalidError } from '../admission';
import { WatchHistory } from '../history';
import { MemoryObjectStore } from '../store';
import { IncludeObject, TableRenderer } from '../table';
import { ApiError, KubeObject, ResourceType, apiVersionOf } from '../types';
import { badRequest, notFound, resourceName } from './errors';
import { Negotiated } from './http';

/** The state of one API server its handlers use. */
export interface ServerContext {
  store: MemoryObjectStore;
  admission: CrdAdmission;
  history: WatchHistory;
  tables: TableRenderer;
  /** How often a watch with `allowWatchBookmarks` gets a BOOKMARK. */
  bookmarkIntervalMs: number;
  /** Ends the open watches (`close` calls them all). */
  watches: Set<() => void>;
}

/** A Kubernetes API verb. */
export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection';

/** A request for a resource, as routing parsed it from the path. */
export interface ResourceRequest {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  verb: Verb;
}

/** A write's answer: the object and the admission warnings. */
export interface WriteResult {
  body: KubeObject;
  warnings: string[];
}

/** Groups that are part of Kubernetes itself: their kinds take strategic merge patches. */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'rbac.authorization.k8s.io',
  'networking.k8s.io',
  'policy',
  'autoscaling',
  'coordination.k8s.io',
  'storage.k8s.io',
  'apiextensions.k8s.io',
]);

/** Whether a type is a custom resource (not a built-in kind). */
export const isCustom = (type: ResourceType) =>
  Boolean(type.schema) || !BUILTIN_GROUPS.has(type.group);

/** The field manager of a write: `?fieldManager=`, else the user agent's name. */
export const fieldManagerOf = (req: IncomingMessage, q: URLSearchParams) =>
  q.get('fieldManager') ||
  (req.headers['user-agent'] ?? 'unknown').split('/')[0];

/** `?fieldValidation=`: `Warn` by default. */
export function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(
    `fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`,
  );
}

/** Whether `dryRun=All` was asked for (in the query or DeleteOptions). */
export function isDryRun(q: URLSearchParams, body?: { dryRun?: string[] }) {
  const values = [...q.getAll('dryRun'), ...(body?.dryRun ?? [])];
  for (const v of values) {
    if (v !== 'All') {
      throw invalidError({ kind: 'Options', group: 'meta.k8s.io' }, '', [
        {
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: "${v}": supported values: "All"`,
          field: 'dryRun',
        },
      ]);
    }
  }
  return values.length > 0;
}

/** The store reference of the requested object (or of `name` in its collection). */
export const refOf = (r: ResourceRequest, name = r.name!) => ({
  apiVersion: apiVersionOf(r.type),
  kind: r.type.kind,
  namespace: r.namespace,
  name,
});

/** The requested object; 404 when there is none. */
export function existing(ctx: ServerContext, r: ResourceRequest): KubeObject {
  const o = ctx.store.get(refOf(r));
  if (!o) throw notFound(r.type, r.name!);
  return o;
}

/** Whether a namespace exists (true when namespaces are not served). */
export function namespaceExists(ctx: ServerContext, name: string) {
  try {
    return Boolean(
      ctx.store.get({ apiVersion: 'v1', kind: 'Namespace', name }),
    );
  } catch {
    return true;
  }
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/**
 * Makes a request body's identity agree with the URL, or refuses it as the
 * API server does.
 */
export function checkIdentity(
  type: ResourceType,
  o: KubeObject,
  url: { namespace?: string; name?: string },
) {
  if (o.kind !== undefined && o.kind !== type.kind) {
    throw badRequest(
      `the kind of the object (${o.kind}) does not match the kind on the URL (${type.kind})`,
    );
  }
  if (o.apiVersion !== undefined && groupOf(o.apiVersion) !== type.group) {
    throw badRequest(
      `the API version in the data (${
        o.apiVersion
      }) does not match the expected API version (${apiVersionOf(type)})`,
    );
  }
  o.kind = type.kind;
  o.apiVersion = apiVersionOf(type);
  if (typeof o.metadata !== 'object' || Array.isArray(o.metadata)) {
    throw badRequest('metadata must be an object');
  }
  if (type.namespaced) {
    if (o.metadata.namespace && o.metadata.namespace !== url.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    o.metadata.namespace = url.namespace;
  } else {
    delete o.metadata.namespace;
  }
  if (url.name !== undefined) {
    if (!o.metadata.name) o.metadata.name = url.name;
    if (o.metadata.name !== url.name) {
      throw badRequest(
        `the name of the object (${o.metadata.name}) does not match the name on the URL (${url.name})`,
      );
    }
  }
}

/** A write's `metadata.resourceVersion`, if given, must be the stored one. */
export function checkResourceVersion(
  r: ResourceRequest,
  o: KubeObject,
  stored: KubeObject,
) {
  const rv = o.metadata.resourceVersion;
  if (rv && rv !== stored.metadata.resourceVersion) {
    throw new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resourceName(r.type)} "${
        r.name
      }": the object has been modified; please apply your changes to the latest version and try again`,
      { name: r.name, group: r.type.group, kind: r.type.plural },
    );
  }
}

/** The `PartialObjectMetadata` of an object. */
export const partialMeta = (o: KubeObject) => ({
  kind: 'PartialObjectMetadata',
  apiVersion: 'meta.k8s.io/v1',
  metadata: o.metadata,
});

/** One object as negotiated: itself, a Table row or its partial metadata. */
export function render(
  ctx: ServerContext,
  r: ResourceRequest,
  o: KubeObject,
  neg: Negotiated,
  q: URLSearchParams,
) {
  if (neg.table) {
    return ctx.tables.render(r.type, [o], {
      tableVersion: neg.table,
      includeObject: (q.get('includeObject') as IncludeObject) || undefined,
      resourceVersion: o.metadata.resourceVersion,
    });
  }
  return neg.partial ? partialMeta(o) : o;
}
