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
  /**
   * How long a list at a resourceVersion the store has not reached waits
   * for it before a 504 (the watch cache's `blockTimeout`, 3 s).
   */
  freshnessTimeoutMs: number;
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

function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? ['', apiVersion]
    : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

/** A group-version-kind as Go prints it: `/v1, Kind=Secret`. */
export const gvkString = (group: string, version: string, kind: string) =>
  `${group}/${version}, Kind=${kind}`;

/** The Go package of a built-in group's internal types (`core.Secret`). */
const internalPackage = (group: string) =>
  group === '' ? 'core' : group.split('.')[0];

/**
 * Refuses a create or update body whose `apiVersion`/`kind` is not the
 * URL's, as the API server's decoder does (a body without them takes the
 * URL's): built-in kinds decode into their Go type, so another registered
 * kind cannot be converted and an unregistered one cannot be decoded;
 * custom resources are converted between the CRD's versions and then must
 * be the URL's version (400) and kind (422).
 */
export function checkBodyType(
  types: ResourceType[],
  type: ResourceType,
  o: KubeObject,
) {
  const apiVersion =
    typeof o.apiVersion === 'string' && o.apiVersion
      ? o.apiVersion
      : apiVersionOf(type);
  const kind = typeof o.kind === 'string' && o.kind ? o.kind : type.kind;
  const [group, version] = splitApiVersion(apiVersion);
  if (group === type.group && version === type.version && kind === type.kind) {
    return;
  }
  const cannot = (why: string) =>
    badRequest(
      `${kind} in version "${version}" cannot be handled as a ${type.kind}: ${why}`,
    );
  const mismatch = () =>
    badRequest(
      `the API version in the data (${apiVersion}) does not match the expected API version (${apiVersionOf(
        type,
      )})`,
    );
  if (isCustom(type)) {
    if (group !== type.group) {
      throw cannot(
        `${gvkString(
          group,
          version,
          kind,
        )} is unstructured and is not suitable for converting to "${apiVersionOf(
          type,
        )}"`,
      );
    }
    const crdVersions = types
      .filter(t => t.group === type.group && t.kind === type.kind)
      .map(t => t.version);
    if (!crdVersions.includes(version)) {
      throw cannot(
        `request to convert CR from an invalid group/version: ${apiVersion}`,
      );
    }
    if (version !== type.version) throw mismatch();
    throw invalidError(type, o.metadata?.name ?? '', [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(kind)}: must be ${type.kind}`,
        field: 'kind',
      },
    ]);
  }
  const registered = types.find(
    t =>
      !isCustom(t) &&
      t.group === group &&
      t.version === version &&
      t.kind === kind,
  );
  if (!registered) {
    throw cannot(
      `no kind "${kind}" is registered for version "${apiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`,
    );
  }
  if (kind === type.kind) throw mismatch();
  throw cannot(
    `converting (${version}.${kind}) to (${internalPackage(type.group)}.${
      type.kind
    }): unknown conversion`,
  );
}

/**
 * The check of an apply patch's `apiVersion`/`kind` (the field manager's
 * version check): anything but the URL's is a 400.
 */
export function checkApplyType(type: ResourceType, o: KubeObject) {
  const [group, version] = splitApiVersion(
    typeof o.apiVersion === 'string' ? o.apiVersion : '',
  );
  const kind = typeof o.kind === 'string' ? o.kind : '';
  if (group !== type.group || version !== type.version || kind !== type.kind) {
    throw badRequest(`invalid object type: ${gvkString(group, version, kind)}`);
  }
}

/**
 * Makes a request body's identity agree with the URL (after
 * {@link checkBodyType} or {@link checkApplyType}), or refuses it as the
 * API server does.
 */
export function checkIdentity(
  type: ResourceType,
  o: KubeObject,
  url: { namespace?: string; name?: string },
) {
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
