import { randomUUID, timingSafeEqual } from 'node:crypto';
import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { FaultAction, FaultInjector } from '../faults';
import {
  CrdAdmission,
  FieldValidation,
  createCrdAdmission,
  invalidError,
} from './admission';
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
} from './discovery';
import { RecordedEvent, ResourceExpiredError, WatchHistory } from './history';
import { parsePatchBody, patchObject, patchTypeOf } from './patch';
import { decodeProtobufObject, isProtobuf } from './protobuf';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { MemoryObjectStore, applyMerge } from './store';
import { IncludeObject, TableRenderer } from './table';
import { TlsCertificate, selfSignedCertificate } from './tls';
import {
  ApiError,
  KubeObject,
  ResourceType,
  WatchEvent,
  apiVersionOf,
} from './types';

/** Options of {@link startKubeApiServer}. */
export interface KubeApiServerOptions {
  /** The objects served. */
  store: MemoryObjectStore;
  /** The bearer token every request (but health checks) must carry. */
  token: string;
  /** Fault rules applied per request, as `<verb>:<plural>` of target `kube`. */
  faults?: FaultInjector;
  /** Interface to listen on; `127.0.0.1` by default. */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /**
   * Serve HTTPS: `true` for a fresh self-signed certificate, or a given
   * one. kubectl needs this: client-go sends a kubeconfig's credentials
   * only over TLS, so against plain HTTP every kubectl call is a 401.
   * Plain HTTP by default (enough for `@kubernetes/client-node`).
   */
  tls?: boolean | TlsCertificate;
  /**
   * Request-level admission: the `fieldValidation` policy and schema
   * validation before anything is stored (so dry runs and status writes are
   * validated too). A new {@link createCrdAdmission} by default; give the
   * store the same one so in-process writes are pruned and validated alike.
   */
  admission?: CrdAdmission;
  /** Watch events kept per type for resuming watches; 1000 by default. */
  watchHistory?: number;
  /** How often a watch with `allowWatchBookmarks` gets a BOOKMARK; 60 s by default. */
  bookmarkIntervalMs?: number;
  /** Where the CRDs (for printer columns) are; the shipped ones by default. */
  crdDir?: string;
  /** Receives a line for each unexpected (500) error. */
  log?: (line: string) => void;
}

/** A running API server. */
export interface KubeApiServer {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`). */
  url: string;
  /**
   * With `tls`: the server certificate (its own CA), base64-encoded PEM, as
   * a kubeconfig's `certificate-authority-data` and client-node's `caData`.
   */
  caData?: string;
  /** Ends open watches and connections, then stops listening. */
  close(): Promise<void>;
}

type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection';

interface ResourceRequest {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  verb: Verb;
}

/** What the client asked the response to be. */
interface Negotiated {
  table?: string;
  partial?: boolean;
  discovery?: 'v2' | 'v2beta1';
}

const MAX_BODY = 3 * 1024 * 1024;

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A `Status` body for codes and reasons outside ApiError's list. */
function statusOf(
  code: number,
  message: string,
  details?: Record<string, unknown>,
) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest'),
    ...(details ? { details } : {}),
    code,
  };
}

class HttpStatus extends Error {
  constructor(
    readonly body: ReturnType<typeof statusOf>,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

const notFoundPath = () =>
  new HttpStatus(
    statusOf(404, 'the server could not find the requested resource', {}),
  );

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

const isCustom = (type: ResourceType) =>
  Boolean(type.schema) || !BUILTIN_GROUPS.has(type.group);

const resourceName = (type: ResourceType) =>
  `${type.plural}${type.group ? `.${type.group}` : ''}`;

function notFound(type: ResourceType, name: string) {
  return new ApiError(
    404,
    'NotFound',
    `${resourceName(type)} "${name}" not found`,
    {
      name,
      group: type.group,
      kind: type.plural,
    },
  );
}

function badRequest(message: string) {
  return new ApiError(400, 'BadRequest', message);
}

function negotiate(accept: string | undefined): Negotiated {
  if (!accept) return {};
  for (const entry of accept.split(',')) {
    const [mime, ...rawParams] = entry.split(';').map(s => s.trim());
    const params = Object.fromEntries(
      rawParams.map(p => p.split('=').map(s => s.trim()) as [string, string]),
    );
    if (mime !== 'application/json' && mime !== '*/*') continue;
    if (!params.as) return {};
    if (
      params.as === 'Table' &&
      params.g === 'meta.k8s.io' &&
      ['v1', 'v1beta1'].includes(params.v)
    ) {
      return { table: params.v };
    }
    if (
      params.as === 'APIGroupDiscoveryList' &&
      params.g === 'apidiscovery.k8s.io' &&
      (params.v === 'v2' || params.v === 'v2beta1')
    ) {
      return { discovery: params.v };
    }
    if (
      ['PartialObjectMetadata', 'PartialObjectMetadataList'].includes(
        params.as,
      ) &&
      params.g === 'meta.k8s.io'
    ) {
      return { partial: true };
    }
  }
  return {};
}

function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

function warningHeaders(warnings: string[]): Record<string, string[]> {
  if (!warnings.length) return {};
  return {
    Warning: warnings.map(w => `299 - ${JSON.stringify(w)}`),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      throw new HttpStatus(statusOf(413, 'Request entity too large'));
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const unsupportedBody = () =>
  new HttpStatus(
    statusOf(
      415,
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    ),
  );

function parseObject(contentType: string | undefined, raw: Buffer): KubeObject {
  const mime = (contentType ?? 'application/json').split(';')[0].trim();
  const text = isProtobuf(contentType) ? '' : raw.toString('utf8');
  if (!raw.length) throw badRequest("Object 'Kind' is missing in ''");
  let value: unknown;
  try {
    if (isProtobuf(contentType)) {
      value = decodeProtobufObject(raw);
      if (!value) throw unsupportedBody();
    } else if (mime === 'application/yaml' || mime === 'application/x-yaml') {
      value = parseYaml(text);
    } else if (mime === 'application/json' || mime === '*/*' || !mime) {
      value = JSON.parse(text);
    } else {
      throw unsupportedBody();
    }
  } catch (e) {
    if (e instanceof HttpStatus) throw e;
    throw badRequest(
      `couldn't get version/kind; json parse error: ${(e as Error).message}`,
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`Object 'Kind' is missing in '${text.slice(0, 200)}'`);
  }
  const o = value as KubeObject;
  if (o.metadata === undefined || o.metadata === null) {
    o.metadata = {} as KubeObject['metadata'];
  }
  return o;
}

/** DeleteOptions of a DELETE body (JSON; a protobuf body is not read). */
function deleteOptions(req: IncomingMessage, raw: Buffer): Record<string, any> {
  if (!raw.length || isProtobuf(req.headers['content-type'])) return {};
  const text = raw.toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`invalid DeleteOptions: ${(e as Error).message}`);
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
function checkIdentity(
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

function listOf(type: ResourceType, items: unknown[], extra: object = {}) {
  return {
    kind: `${type.kind}List`,
    apiVersion: apiVersionOf(type),
    ...extra,
    items,
  };
}

function continueOffset(token: string | null): number {
  if (!token) return 0;
  let offset: unknown;
  try {
    offset = JSON.parse(Buffer.from(token, 'base64').toString('utf8')).offset;
  } catch {
    offset = undefined;
  }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw badRequest('continue key is not valid');
  }
  return offset;
}

const partialMeta = (o: KubeObject) => ({
  kind: 'PartialObjectMetadata',
  apiVersion: 'meta.k8s.io/v1',
  metadata: o.metadata,
});

/**
 * Starts the sandbox's Kubernetes API server: HTTP (or HTTPS with `tls`) on
 * loopback with bearer-token auth, legacy and aggregated discovery, OpenAPI v3 (enough for
 * kubectl's field validation and apply), CRUD, patch (JSON, merge,
 * strategic merge, server-side apply), the status subresource, watches
 * that resume from a resourceVersion, Table output for `kubectl get`, and
 * fault injection.
 */
export async function startKubeApiServer(
  options: KubeApiServerOptions,
): Promise<KubeApiServer> {
  const { store, faults } = options;
  const admission = options.admission ?? createCrdAdmission();
  const history = new WatchHistory(store, options.watchHistory ?? 1000);
  const tables = new TableRenderer(options.crdDir);
  const types = store.types();
  const byPath = new Map(
    types.map(t => [`${t.group}/${t.version}/${t.plural}`, t]),
  );
  const expected = Buffer.from(`Bearer ${options.token}`);
  const watches = new Set<() => void>();
  const openApiDocs = new Map<string, string>();
  let openApiIndex: string | undefined;
  let address = '';

  const authorized = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const fieldManagerOf = (req: IncomingMessage, q: URLSearchParams) =>
    q.get('fieldManager') ||
    (req.headers['user-agent'] ?? 'unknown').split('/')[0];

  const fieldValidationOf = (q: URLSearchParams): FieldValidation => {
    const v = q.get('fieldValidation');
    if (v === null || v === '') return 'Warn';
    if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
    throw badRequest(
      `fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`,
    );
  };

  const isDryRun = (q: URLSearchParams, body?: { dryRun?: string[] }) => {
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
  };

  const refOf = (r: ResourceRequest, name = r.name!) => ({
    apiVersion: apiVersionOf(r.type),
    kind: r.type.kind,
    namespace: r.namespace,
    name,
  });

  const existing = (r: ResourceRequest): KubeObject => {
    const o = store.get(refOf(r));
    if (!o) throw notFound(r.type, r.name!);
    return o;
  };

  const namespaceExists = (name: string) => {
    try {
      return Boolean(store.get({ apiVersion: 'v1', kind: 'Namespace', name }));
    } catch {
      return true;
    }
  };

  const render = (
    r: ResourceRequest,
    o: KubeObject,
    neg: Negotiated,
    q: URLSearchParams,
  ) => {
    if (neg.table) {
      return tables.render(r.type, [o], {
        tableVersion: neg.table,
        includeObject: (q.get('includeObject') as IncludeObject) || undefined,
        resourceVersion: o.metadata.resourceVersion,
      });
    }
    return neg.partial ? partialMeta(o) : o;
  };

  // ---- verbs ---------------------------------------------------------------

  const list = (r: ResourceRequest, q: URLSearchParams, neg: Negotiated) => {
    let items = store.list(apiVersionOf(r.type), r.type.kind, {
      namespace: r.namespace,
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
    });
    const resourceVersion = store.currentRevision();
    const metadata: Record<string, unknown> = { resourceVersion };
    // Pages are offsets into the current list, not a snapshot: objects
    // written between pages may be seen twice or missed.
    const start = continueOffset(q.get('continue'));
    items = items.slice(start);
    const limit = Number(q.get('limit') ?? 0);
    if (limit > 0 && items.length > limit) {
      metadata.continue = Buffer.from(
        JSON.stringify({ offset: start + limit, rv: resourceVersion }),
      ).toString('base64');
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    if (neg.table) {
      const table = tables.render(r.type, items, {
        tableVersion: neg.table,
        includeObject: (q.get('includeObject') as IncludeObject) || undefined,
        resourceVersion,
      });
      return { ...table, metadata };
    }
    if (neg.partial) {
      return {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata,
        items: items.map(partialMeta),
      };
    }
    return listOf(r.type, items, { metadata });
  };

  const create = async (
    req: IncomingMessage,
    r: ResourceRequest,
    q: URLSearchParams,
  ) => {
    const o = parseObject(req.headers['content-type'], await readBody(req));
    checkIdentity(r.type, o, { namespace: r.namespace });
    const dryRun = isDryRun(q);
    if (r.type.statusSubresource) delete o.status;
    const generateName = o.metadata.generateName as string | undefined;
    if (!o.metadata.name && generateName && dryRun) {
      o.metadata.name = `${generateName}${randomUUID().slice(0, 5)}`;
    }
    const { warnings } = admission.validate(r.type, o, {
      fieldValidation: fieldValidationOf(q),
    });
    if (!dryRun) {
      return {
        body: store.create(o, { fieldManager: fieldManagerOf(req, q) }),
        warnings,
      };
    }
    if (r.namespace && !namespaceExists(r.namespace)) {
      throw new ApiError(
        404,
        'NotFound',
        `namespaces "${r.namespace}" not found`,
        {
          name: r.namespace,
          kind: 'namespaces',
        },
      );
    }
    if (o.metadata.name && store.get(refOf(r, o.metadata.name))) {
      throw new ApiError(
        409,
        'AlreadyExists',
        `${resourceName(r.type)} "${o.metadata.name}" already exists`,
        { name: o.metadata.name, group: r.type.group, kind: r.type.plural },
      );
    }
    delete o.metadata.generateName;
    delete o.metadata.resourceVersion;
    o.metadata.uid = randomUUID();
    // RFC 3339 in whole seconds, as metav1.Time is serialised.
    o.metadata.creationTimestamp = new Date()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    o.metadata.generation = 1;
    return { body: o, warnings };
  };

  /** The object an update would store, before the store sees it. */
  const keepStoredStatus = (
    r: ResourceRequest,
    o: KubeObject,
    stored: KubeObject | undefined,
  ) => {
    if (!r.type.statusSubresource) return;
    if (stored?.status === undefined) delete o.status;
    else o.status = structuredClone(stored.status);
  };

  const checkResourceVersion = (
    r: ResourceRequest,
    o: KubeObject,
    stored: KubeObject,
  ) => {
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
  };

  const update = async (
    req: IncomingMessage,
    r: ResourceRequest,
    q: URLSearchParams,
  ) => {
    const o = parseObject(req.headers['content-type'], await readBody(req));
    checkIdentity(r.type, o, { namespace: r.namespace, name: r.name });
    const dryRun = isDryRun(q);
    const fieldValidation = fieldValidationOf(q);
    const stored = existing(r);
    checkResourceVersion(r, o, stored);
    if (r.subresource === 'status') {
      const next: KubeObject = { ...stored, status: o.status };
      if (o.status === undefined) delete next.status;
      const { warnings } = admission.validate(r.type, next, {
        fieldValidation,
      });
      if (dryRun) return { body: next, warnings };
      next.metadata = {
        ...stored.metadata,
        resourceVersion: o.metadata.resourceVersion,
      };
      return { body: store.updateStatus(next), warnings };
    }
    if (isCustom(r.type) && !o.metadata.resourceVersion) {
      throw invalidError(r.type, r.name!, [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0x0: must be specified for an update',
          field: 'metadata.resourceVersion',
        },
      ]);
    }
    keepStoredStatus(r, o, stored);
    const { warnings } = admission.validate(r.type, o, { fieldValidation });
    if (dryRun) {
      return {
        body: {
          ...o,
          metadata: {
            ...o.metadata,
            uid: stored.metadata.uid,
            creationTimestamp: stored.metadata.creationTimestamp,
            resourceVersion: stored.metadata.resourceVersion,
          },
        },
        warnings,
      };
    }
    return {
      body: store.update(o, { fieldManager: fieldManagerOf(req, q) }),
      warnings,
    };
  };

  const unsupportedPatch = (type: ResourceType) =>
    new HttpStatus(
      statusOf(
        415,
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${
          isCustom(type) ? '' : ', application/strategic-merge-patch+json'
        }`,
      ),
    );

  const patchOptionsInvalid = (
    field: string,
    reason: string,
    message: string,
  ) =>
    invalidError({ kind: 'PatchOptions', group: 'meta.k8s.io' }, '', [
      { reason, message, field },
    ]);

  const apply = (r: ResourceRequest, q: URLSearchParams, text: string) => {
    const fieldManager = q.get('fieldManager');
    if (!fieldManager) {
      throw patchOptionsInvalid(
        'fieldManager',
        'FieldValueRequired',
        'Required value: is required for apply patch',
      );
    }
    const body = parsePatchBody('apply', text);
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest(`Object 'Kind' is missing in '${text.slice(0, 200)}'`);
    }
    const applied = body as KubeObject;
    if (!applied.apiVersion || !applied.kind) {
      throw badRequest(
        `invalid object type: ${applied.apiVersion ?? ''}, Kind=${
          applied.kind ?? ''
        }`,
      );
    }
    if (applied.metadata === undefined || applied.metadata === null) {
      applied.metadata = {} as KubeObject['metadata'];
    }
    checkIdentity(r.type, applied, { namespace: r.namespace, name: r.name });
    const fieldValidation = fieldValidationOf(q);
    const unknown = admission.unknownFields(r.type, applied);
    if (unknown.length && fieldValidation === 'Strict') {
      throw badRequest(
        `failed to create typed patch object (${apiVersionOf(r.type)}, Kind=${
          r.type.kind
        }): ${unknown
          .map(f => `.${f}: field not declared in schema`)
          .join(', ')}`,
      );
    }
    const warnings =
      fieldValidation === 'Warn'
        ? unknown.map(f => `unknown field "${f}"`)
        : [];
    admission.prune(r.type, applied);
    const dryRun = isDryRun(q);
    const stored = store.get(refOf(r));
    if (r.subresource === 'status') {
      if (!stored) throw notFound(r.type, r.name!);
      const next: KubeObject = {
        ...stored,
        status: applyMerge(
          (stored.status ?? {}) as Record<string, unknown>,
          (applied.status ?? {}) as Record<string, unknown>,
        ),
      };
      admission.validate(r.type, next);
      if (dryRun) return { code: 200, body: next, warnings };
      next.metadata = { ...stored.metadata, resourceVersion: undefined };
      return { code: 200, body: store.updateStatus(next), warnings };
    }
    // Validate what the store will end up with, so a bad apply is a 422
    // whatever admission the store was built with.
    const merged = stored
      ? (applyMerge(
          stored as unknown as Record<string, unknown>,
          applied as unknown as Record<string, unknown>,
        ) as unknown as KubeObject)
      : structuredClone(applied);
    keepStoredStatus(r, merged, stored);
    admission.validate(r.type, merged);
    if (dryRun) return { code: stored ? 200 : 201, body: merged, warnings };
    const result = store.apply(applied, {
      fieldManager,
      force: q.get('force') === 'true',
    });
    return { code: stored ? 200 : 201, body: result, warnings };
  };

  const patch = async (
    req: IncomingMessage,
    r: ResourceRequest,
    q: URLSearchParams,
  ) => {
    const patchType = patchTypeOf(req.headers['content-type']);
    if (!patchType) throw unsupportedPatch(r.type);
    if (patchType === 'strategic' && isCustom(r.type)) {
      throw unsupportedPatch(r.type);
    }
    const text = (await readBody(req)).toString('utf8');
    if (patchType === 'apply') return apply(r, q, text);
    if (q.has('force')) {
      throw patchOptionsInvalid(
        'force',
        'FieldValueForbidden',
        'Forbidden: may not be specified for non-apply patch',
      );
    }
    const stored = existing(r);
    const patched = patchObject(
      stored,
      patchType,
      parsePatchBody(patchType, text),
    );
    if (patched.metadata.name !== r.name) {
      throw badRequest(
        `the name of the object (${patched.metadata.name}) does not match the name on the URL (${r.name})`,
      );
    }
    if (r.type.namespaced && patched.metadata.namespace !== r.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    patched.apiVersion = apiVersionOf(r.type);
    patched.kind = r.type.kind;
    const fieldValidation = fieldValidationOf(q);
    const dryRun = isDryRun(q);
    const next: KubeObject =
      r.subresource === 'status'
        ? { ...stored, status: patched.status }
        : patched;
    if (next.status === undefined) delete next.status;
    if (r.subresource !== 'status') keepStoredStatus(r, next, stored);
    // A patch that sets metadata.resourceVersion asks for optimistic locking.
    checkResourceVersion(r, patched, stored);
    const { warnings } = admission.validate(r.type, next, { fieldValidation });
    if (dryRun) return { code: 200, body: next, warnings };
    if (r.subresource === 'status') {
      return { code: 200, body: store.updateStatus(next), warnings };
    }
    return {
      code: 200,
      body: store.update(next, { fieldManager: fieldManagerOf(req, q) }),
      warnings,
    };
  };

  const remove = async (
    req: IncomingMessage,
    r: ResourceRequest,
    q: URLSearchParams,
  ) => {
    const opts = deleteOptions(req, await readBody(req));
    const stored = existing(r);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== stored.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stored.metadata.uid}`,
        { name: r.name, group: r.type.group, kind: r.type.plural },
      );
    }
    if (
      pre.resourceVersion &&
      pre.resourceVersion !== stored.metadata.resourceVersion
    ) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${stored.metadata.resourceVersion}`,
        { name: r.name, group: r.type.group, kind: r.type.plural },
      );
    }
    const deleted = isDryRun(q, opts) ? stored : store.delete(refOf(r));
    // Custom resources, namespaces and pods answer with the object; other
    // built-in kinds with a success Status.
    if (
      isCustom(r.type) ||
      (r.type.group === '' && ['Namespace', 'Pod'].includes(r.type.kind))
    ) {
      return deleted;
    }
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: r.name,
        ...(r.type.group ? { group: r.type.group } : {}),
        kind: r.type.plural,
        uid: deleted.metadata.uid,
      },
    };
  };

  const removeCollection = async (
    req: IncomingMessage,
    r: ResourceRequest,
    q: URLSearchParams,
  ) => {
    const opts = deleteOptions(req, await readBody(req));
    const dryRun = isDryRun(q, opts);
    const items = store.list(apiVersionOf(r.type), r.type.kind, {
      namespace: r.namespace,
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
    });
    const deleted = dryRun
      ? items
      : items.map(o =>
          store.delete(
            refOf({ ...r, namespace: o.metadata.namespace }, o.metadata.name),
          ),
        );
    return listOf(r.type, deleted, {
      metadata: { resourceVersion: store.currentRevision() },
    });
  };

  const watch = (
    res: ServerResponse,
    r: ResourceRequest,
    q: URLSearchParams,
    neg: Negotiated,
  ) => {
    const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
    const fieldSelector = [
      q.get('fieldSelector'),
      r.name ? `metadata.name=${r.name}` : undefined,
    ]
      .filter(Boolean)
      .join(',');
    const fields = parseFieldSelector(fieldSelector || undefined);
    const rv = q.get('resourceVersion');
    const sendInitial = q.get('sendInitialEvents') === 'true';
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const matches = (o: KubeObject) =>
      (!r.namespace || o.metadata.namespace === r.namespace) &&
      labels(o.metadata.labels ?? {}) &&
      fields(o);
    const keyOf = (o: KubeObject) =>
      `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    let headersSent = false;
    const encode = (event: WatchEvent) => {
      if (!neg.table || event.type === 'ERROR' || event.type === 'BOOKMARK') {
        return event;
      }
      const table = tables.render(r.type, [event.object], {
        tableVersion: neg.table,
        includeObject: (q.get('includeObject') as IncludeObject) || undefined,
        resourceVersion: event.object.metadata.resourceVersion,
        noHeaders: headersSent,
      });
      headersSent = true;
      return { type: event.type, object: table };
    };
    const write = (event: WatchEvent) => {
      // The client may be gone before 'close' has been handled.
      if (res.writableEnded || res.destroyed) return;
      res.write(`${JSON.stringify(encode(event))}\n`);
    };
    const bookmark = (annotations?: Record<string, string>) =>
      write({
        type: 'BOOKMARK',
        object: {
          kind: r.type.kind,
          apiVersion: apiVersionOf(r.type),
          metadata: {
            resourceVersion: store.currentRevision(),
            ...(annotations ? { annotations } : {}),
          } as KubeObject['metadata'],
        },
      });

    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();

    const known = new Set<string>();
    const current = store
      .list(apiVersionOf(r.type), r.type.kind, { namespace: r.namespace })
      .filter(matches);
    const replay = rv && rv !== '0' && !sendInitial ? Number(rv) : undefined;
    for (const o of current) {
      known.add(keyOf(o));
      if (replay === undefined) write({ type: 'ADDED', object: o });
    }
    if (sendInitial && bookmarks) {
      bookmark({ 'k8s.io/initial-events-end': 'true' });
    }

    let timeoutTimer: NodeJS.Timeout | undefined;
    let bookmarkTimer: NodeJS.Timeout | undefined;
    let unfollow = () => {};
    const end = () => {
      unfollow();
      clearTimeout(timeoutTimer);
      clearTimeout(bookmarkTimer);
      watches.delete(end);
      if (!res.writableEnded) res.end();
    };
    watches.add(end);
    res.on('close', end);
    res.on('error', end);

    const onEvent = ({ event }: RecordedEvent) => {
      const o = event.object;
      if (r.namespace && o.metadata.namespace !== r.namespace) return;
      const key = keyOf(o);
      const now = matches(o);
      const was = known.has(key);
      if (event.type === 'DELETED') {
        if (was || now) write({ type: 'DELETED', object: o });
        known.delete(key);
      } else if (now) {
        write({
          type: event.type === 'ADDED' || !was ? 'ADDED' : 'MODIFIED',
          object: o,
        });
        known.add(key);
      } else if (was) {
        // Stopped matching the selector: gone from this watch's view.
        write({ type: 'DELETED', object: o });
        known.delete(key);
      }
    };
    try {
      if (replay !== undefined && Number.isNaN(replay)) {
        throw badRequest(`invalid resource version: ${rv}`);
      }
      unfollow = history.follow(r.type, replay, onEvent);
    } catch (e) {
      let status: object = statusOf(500, String(e));
      if (e instanceof ResourceExpiredError) status = statusOf(410, e.message);
      else if (e instanceof ApiError) status = e.toStatus();
      write({ type: 'ERROR', object: status as unknown as KubeObject });
      end();
      return;
    }
    const timeout = Number(q.get('timeoutSeconds'));
    if (timeout > 0) timeoutTimer = setTimeout(end, timeout * 1000);
    if (bookmarks) {
      const interval = options.bookmarkIntervalMs ?? 60_000;
      const tick = () => {
        bookmark();
        bookmarkTimer = setTimeout(tick, interval);
      };
      bookmarkTimer = setTimeout(tick, interval);
    }
  };

  // ---- routing -------------------------------------------------------------

  const parseResource = (
    method: string,
    group: string,
    version: string,
    segments: string[],
    q: URLSearchParams,
  ): ResourceRequest => {
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
    const methodNotAllowed = () =>
      new HttpStatus(
        statusOf(
          405,
          'the server does not allow this method on the requested resource',
        ),
      );
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
  };

  const injectFault = async (
    action: FaultAction,
    req: IncomingMessage,
  ): Promise<boolean> => {
    switch (action.type) {
      case 'latency':
        await new Promise(resolve => setTimeout(resolve, action.ms));
        return false;
      case 'throttle':
        throw new HttpStatus(
          statusOf(429, 'Too many requests, please try again later.', {
            causes: [
              {
                reason: 'TooManyRequests',
                message: 'Too many requests, please try again later.',
              },
            ],
            retryAfterSeconds: 1,
          }),
          { 'Retry-After': '1' },
        );
      case 'error': {
        const code = action.status ?? 500;
        throw new HttpStatus(
          statusOf(
            code,
            code === 503
              ? 'the server is currently unable to handle the request (injected fault)'
              : 'Internal error occurred: injected fault',
          ),
        );
      }
      case 'drop':
        req.socket.destroy();
        return true;
      default:
        return false;
    }
  };

  const serveDiscovery = (
    res: ServerResponse,
    path: string,
    neg: Negotiated,
  ): boolean => {
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
          which === 'api' ? apiVersions(address) : apiGroupList(types),
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

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    if (/^\/(healthz|readyz|livez)(\/.*)?$/.test(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (!authorized(req)) {
      send(
        res,
        401,
        new ApiError(401, 'Unauthorized', 'Unauthorized').toStatus(),
      );
      return;
    }
    const neg = negotiate(req.headers.accept);
    const segments = path.split('/').filter(Boolean);
    const isDiscovery =
      path === '/version' ||
      path.startsWith('/openapi/') ||
      path === '/openapi' ||
      (segments[0] === 'api' && segments.length <= 2) ||
      (segments[0] === 'apis' && segments.length <= 3);
    if (isDiscovery && method !== 'GET') {
      throw new HttpStatus(
        statusOf(
          405,
          'the server does not allow this method on the requested resource',
        ),
      );
    }
    if (serveDiscovery(res, path, neg)) return;

    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 2) {
      [group, version, rest] = ['', segments[1], segments.slice(2)];
    } else if (segments[0] === 'apis' && segments.length >= 2) {
      if (segments.length === 2) {
        const doc = apiGroupDocument(types, segments[1]);
        if (!doc) throw notFoundPath();
        send(res, 200, doc);
        return;
      }
      [group, version, rest] = [segments[1], segments[2], segments.slice(3)];
    } else {
      throw notFoundPath();
    }
    if (!rest.length) {
      const doc = apiResourceList(types, group, version);
      if (!doc) throw notFoundPath();
      send(res, 200, doc);
      return;
    }

    const r = parseResource(method, group, version, rest, q);
    const action = faults?.decide('kube', `${r.verb}:${r.type.plural}`);
    if (action && (await injectFault(action, req))) return;

    switch (r.verb) {
      case 'get':
        send(res, 200, render(r, existing(r), neg, q));
        return;
      case 'list':
        send(res, 200, list(r, q, neg));
        return;
      case 'watch':
        watch(res, r, q, neg);
        return;
      case 'create': {
        const { body, warnings } = await create(req, r, q);
        send(res, 201, render(r, body, neg, q), warningHeaders(warnings));
        return;
      }
      case 'update': {
        const { body, warnings } = await update(req, r, q);
        send(res, 200, render(r, body, neg, q), warningHeaders(warnings));
        return;
      }
      case 'patch': {
        const { code, body, warnings } = await patch(req, r, q);
        send(res, code, render(r, body, neg, q), warningHeaders(warnings));
        return;
      }
      case 'delete': {
        const body = await remove(req, r, q);
        send(
          res,
          200,
          body.kind === 'Status' ? body : render(r, body as KubeObject, neg, q),
        );
        return;
      }
      case 'deletecollection':
        send(res, 200, await removeCollection(req, r, q));
        return;
      default:
        throw notFoundPath();
    }
  };

  const certificate =
    options.tls === true ? selfSignedCertificate() : options.tls || undefined;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(error => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpStatus) {
        send(res, error.body.code, error.body, error.headers);
      } else if (error instanceof ApiError) {
        send(res, error.code, error.toStatus());
      } else if (error instanceof SyntaxError) {
        send(res, 400, statusOf(400, error.message));
      } else {
        options.log?.(
          `kube api: ${req.method} ${req.url}: ${
            (error as Error)?.stack ?? error
          }`,
        );
        send(
          res,
          500,
          statusOf(
            500,
            `Internal error occurred: ${(error as Error)?.message ?? error}`,
          ),
        );
      }
    });
  };
  const server: Server = certificate
    ? createHttpsServer(certificate, listener)
    : createServer(listener);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  address = `${host}:${port}`;

  return {
    url: `${certificate ? 'https' : 'http'}://${
      host.includes(':') ? `[${host}]` : host
    }:${port}`,
    ...(certificate
      ? { caData: Buffer.from(certificate.cert).toString('base64') }
      : {}),
    close: async () => {
      history.stop();
      [...watches].forEach(end => end());
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
