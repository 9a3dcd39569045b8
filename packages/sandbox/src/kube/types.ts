/**
 * Shared types of the sandbox's Kubernetes API. The API server
 * (src/kube/server/), the object store (src/kube/store.ts) and the
 * simulated operators (src/controllers/*) all speak these.
 */

/** Kubernetes ObjectMeta, as far as the sandbox cares. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  /** Set by a delete of an object with finalizers; it stays until they are gone. */
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A served kind: what discovery reports and routing needs. */
export interface ResourceType {
  /** API group, '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Lowercase plural used in URLs, e.g. `lokistacks`. */
  plural: string;
  singular: string;
  shortNames?: string[];
  namespaced: boolean;
  /** Whether `/status` is a subresource (status ignored on main updates). */
  statusSubresource: boolean;
  /** openAPIV3Schema of a CRD version, used for admission; none for core kinds. */
  schema?: Record<string, unknown>;
  /** Verbs reported by discovery. */
  verbs: string[];
}

/** `apiVersion` of a type: `v1` for core, `<group>/<version>` otherwise. */
export function apiVersionOf(
  type: Pick<ResourceType, 'group' | 'version'>,
): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** Compares strings by their code units, as Go (and etcd's key order) does. */
export function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Identifies one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** A watch event, as streamed by `?watch=true`. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

/** Options of a list call. */
export interface ListOptions {
  namespace?: string;
  /** Kubernetes label selector syntax, e.g. `a=b,c!=d,e in (f,g),!h`. */
  labelSelector?: string;
  /** Field selector, at least `metadata.name` and `metadata.namespace`. */
  fieldSelector?: string;
}

/**
 * The Kubernetes `Status` reasons the sandbox returns, with their codes.
 * Errors thrown by the store carry one; the server turns them into a real
 * `Status` body.
 */
export type StatusReason =
  | 'AlreadyExists'
  | 'NotFound'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable';

/** One field cause of an `Invalid` error. */
export interface StatusCause {
  /** e.g. `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`. */
  reason: string;
  message: string;
  /** JSON path such as `spec.storage.secret.name`. */
  field: string;
}

/** An error that becomes a Kubernetes `Status` response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: {
      name?: string;
      group?: string;
      kind?: string;
      causes?: StatusCause[];
    },
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The `Status` body of this error (empty detail strings omitted, as Go's `omitempty` does). */
  toStatus() {
    const details = this.details
      ? Object.fromEntries(
          Object.entries(this.details).filter(([, v]) => v !== ''),
        )
      : undefined;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(details ? { details } : {}),
      code: this.code,
    };
  }
}

/**
 * The in-process API every simulated operator uses: the same store the HTTP
 * server serves, with the same validation and resourceVersion semantics, but
 * no HTTP. Writes from controllers bump resourceVersion and notify watchers
 * exactly like writes through the server.
 */
export interface ObjectStore {
  /** Every served type. */
  types(): ResourceType[];
  /** The type of an apiVersion + kind; throws ApiError NotFound if not served. */
  typeOf(apiVersion: string, kind: string): ResourceType;

  get(ref: ObjectRef): KubeObject | undefined;
  list(apiVersion: string, kind: string, options?: ListOptions): KubeObject[];
  /** Creates; ApiError AlreadyExists / Invalid. Returns the stored object. */
  create(object: KubeObject, options?: { fieldManager?: string }): KubeObject;
  /**
   * Replaces; ApiError NotFound, Conflict (stale metadata.resourceVersion),
   * Invalid. Status is kept from the stored object when the type has a status
   * subresource.
   */
  update(object: KubeObject, options?: { fieldManager?: string }): KubeObject;
  /** Replaces only `.status` (the status subresource). */
  updateStatus(object: KubeObject): KubeObject;
  /**
   * Deletes; ApiError NotFound. Returns the deleted object. An object with
   * `metadata.finalizers` is only marked (`deletionTimestamp`) and returned;
   * the update that removes its last finalizer deletes it.
   */
  delete(ref: ObjectRef): KubeObject;
  /**
   * Server-side apply of a (partial) object with a field manager: creates or
   * merges, removes what the manager applied before and no longer applies,
   * refuses (ApiError 409 Conflict) to change fields other managers own
   * unless `force`; never conflicts on resourceVersion.
   */
  apply(
    object: KubeObject,
    options: { fieldManager: string; force?: boolean },
  ): KubeObject;

  /**
   * Subscribes to changes of one type (all namespaces unless given). The
   * handler is called synchronously after each committed write. Returns an
   * unsubscribe function.
   */
  watch(
    apiVersion: string,
    kind: string,
    handler: (event: WatchEvent) => void,
    options?: { namespace?: string },
  ): () => void;
}
