import { randomUUID } from 'node:crypto';
import { invalidError } from './admission';
import { applyOwnership, updateOwnership } from './managedFields';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import {
  ApiError,
  KubeObject,
  ListOptions,
  ObjectRef,
  ObjectStore,
  ResourceType,
  WatchEvent,
  apiVersionOf,
  byteOrder,
} from './types';
import { VersionLog } from './versions';

/** Validates an object of a type before it is stored; throws ApiError Invalid. */
export type Admission = (type: ResourceType, object: KubeObject) => void;

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

const clone = <T>(v: T): T => structuredClone(v);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Merges an applied configuration into an object, as server-side apply does
 * for the fields the applier owns: maps merge recursively, lists and scalars
 * are replaced, a `null` removes the field.
 */
export function applyMerge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = applyMerge(out[key] as Record<string, unknown>, value);
    } else {
      out[key] = clone(value);
    }
  }
  return out;
}

// What generation counts: everything but metadata and status, as the API
// server bumps metadata.generation only for spec (and other non-metadata)
// changes.
function withoutStatus(o: KubeObject) {
  const { status, metadata, ...rest } = o;
  return JSON.stringify(rest);
}

/** `metav1.Time` as the API server writes it: RFC 3339 in whole seconds. */
const nowSeconds = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Namespaces finalize through `spec.finalizers`, not through this store. */
const isNamespace = (type: ResourceType) =>
  type.group === '' && type.kind === 'Namespace';

/** Options of a write: who makes it, and whether it is only a dry run. */
export interface WriteOptions {
  /** Field manager: the write's fields are recorded in `managedFields`. */
  fieldManager?: string;
  /** Validate and answer what would be stored, without storing it. */
  dryRun?: boolean;
}

/**
 * The sandbox's object store: every object of every served type, with
 * resourceVersion, uid, generation, creationTimestamp and managedFields
 * maintained as an API server does, optimistic concurrency on update,
 * server-side apply with field ownership, past versions until compaction,
 * watches, namespace semantics (a namespaced object needs its
 * namespace; deleting a namespace deletes what is in it) and finalizers:
 * deleting an object that has `metadata.finalizers` only marks it
 * (`deletionTimestamp`), and the write that removes its last finalizer
 * deletes it.
 */
export class MemoryObjectStore implements ObjectStore {
  private readonly byKind = new Map<string, ResourceType[]>();
  private readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Map<
    string,
    Set<{
      handler: (e: WatchEvent) => void;
      namespace?: string;
      apiVersion: string;
    }>
  >();
  private revision = 0;
  private versions = new VersionLog(0);
  private readonly revisionListeners = new Set<() => void>();

  constructor(
    private readonly typeList: ResourceType[],
    private readonly admit: Admission = () => {},
  ) {
    for (const type of typeList) {
      const key = `${type.group}/${type.kind}`;
      this.byKind.set(key, [...(this.byKind.get(key) ?? []), type]);
    }
  }

  /** The latest resourceVersion handed out. */
  currentRevision(): string {
    return String(this.revision);
  }

  /** The oldest resourceVersion {@link listAt} can still read at. */
  compactedRevision(): number {
    return this.versions.compactedRevision;
  }

  /**
   * Forgets the versions superseded at `revision` (the current one by
   * default), as the API server's periodic etcd compaction does.
   */
  compact(revision: number = this.revision) {
    this.versions.compact(Math.min(revision, this.revision));
  }

  /**
   * Resolves true once the store has reached `revision`, false if it has
   * not within `timeoutMs`.
   */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.revision >= revision) return Promise.resolve(true);
    return new Promise(resolve => {
      const waiting: { timer?: NodeJS.Timeout; listener?: () => void } = {};
      const finish = () => {
        clearTimeout(waiting.timer);
        this.revisionListeners.delete(waiting.listener!);
        resolve(this.revision >= revision);
      };
      waiting.listener = () => {
        if (this.revision >= revision) finish();
      };
      waiting.timer = setTimeout(finish, timeoutMs);
      this.revisionListeners.add(waiting.listener);
    });
  }

  types(): ResourceType[] {
    return [...this.typeList];
  }

  typeOf(apiVersion: string, kind: string): ResourceType {
    const candidates = this.byKind.get(`${groupOf(apiVersion)}/${kind}`) ?? [];
    const type = candidates.find(t => apiVersionOf(t) === apiVersion);
    if (!type) {
      throw new ApiError(
        404,
        'NotFound',
        `the server could not find the requested resource (kind ${kind} in version "${apiVersion}")`,
      );
    }
    return type;
  }

  get(ref: ObjectRef): KubeObject | undefined {
    const type = this.typeOf(ref.apiVersion, ref.kind);
    const stored = this.objects.get(this.key(type, ref.namespace, ref.name));
    return stored ? this.present(stored, type) : undefined;
  }

  list(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): KubeObject[] {
    const type = this.typeOf(apiVersion, kind);
    const prefix = `${type.group}/${type.kind}/`;
    const objects: KubeObject[] = [];
    for (const [key, o] of this.objects) {
      if (key.startsWith(prefix)) objects.push(o);
    }
    return this.select(type, objects, options);
  }

  /**
   * The objects of a type as they were at `revision`, which must lie
   * between {@link compactedRevision} and the current revision (the server
   * answers others with etcd's errors).
   */
  listAt(
    apiVersion: string,
    kind: string,
    revision: number,
    options: ListOptions = {},
  ): KubeObject[] {
    if (revision < this.compactedRevision() || revision > this.revision) {
      throw new Error(`revision ${revision} is not available`);
    }
    const type = this.typeOf(apiVersion, kind);
    const prefix = `${type.group}/${type.kind}/`;
    const keys = new Set<string>();
    for (const key of this.objects.keys()) {
      if (key.startsWith(prefix)) keys.add(key);
    }
    for (const key of this.versions.keys()) {
      if (key.startsWith(prefix)) keys.add(key);
    }
    const objects: KubeObject[] = [];
    for (const key of keys) {
      const o = this.versions.at(key, this.objects.get(key), revision);
      if (o) objects.push(o);
    }
    return this.select(type, objects, options);
  }

  /** The objects that match a list's options, presented, in etcd's key order. */
  private select(
    type: ResourceType,
    objects: KubeObject[],
    options: ListOptions,
  ): KubeObject[] {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    const out: KubeObject[] = [];
    for (const o of objects) {
      if (
        type.namespaced &&
        options.namespace &&
        o.metadata.namespace !== options.namespace
      ) {
        continue;
      }
      const presented = this.present(o, type);
      if (!labels(o.metadata.labels ?? {}) || !fields(presented)) continue;
      out.push(presented);
    }
    return out.sort((a, b) =>
      byteOrder(
        `${a.metadata.namespace ?? ''}/${a.metadata.name}`,
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  create(object: KubeObject, options: WriteOptions = {}): KubeObject {
    return this.createAs(object, options);
  }

  update(object: KubeObject, options: WriteOptions = {}): KubeObject {
    const type = this.typeOf(object.apiVersion, object.kind);
    this.checkIdentity(type, object);
    const key = this.key(type, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    if (!existing) throw this.notFound(type, object.metadata.name);
    const rv = object.metadata.resourceVersion;
    if (
      rv !== undefined &&
      rv !== '' &&
      rv !== existing.metadata.resourceVersion
    ) {
      throw this.conflict(type, object.metadata.name);
    }
    const o = clone(object);
    if (type.statusSubresource) {
      if (existing.status === undefined) delete o.status;
      else o.status = clone(existing.status);
    }
    this.keepDeletion(type, existing, o);
    this.admit(type, o);
    const manager = options.fieldManager;
    const managedFields = manager
      ? updateOwnership(type, existing, o, {
          manager,
          apiVersion: apiVersionOf(type),
        })
      : existing.metadata.managedFields;
    return this.commit(type, key, existing, o, managedFields, {
      dryRun: options.dryRun,
    });
  }

  updateStatus(object: KubeObject): KubeObject {
    const type = this.typeOf(object.apiVersion, object.kind);
    const key = this.key(type, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    if (!existing) throw this.notFound(type, object.metadata.name);
    const rv = object.metadata.resourceVersion;
    if (
      rv !== undefined &&
      rv !== '' &&
      rv !== existing.metadata.resourceVersion
    ) {
      throw this.conflict(type, object.metadata.name);
    }
    const o = clone(existing);
    if (object.status === undefined) delete o.status;
    else o.status = clone(object.status);
    return this.commit(
      type,
      key,
      existing,
      o,
      existing.metadata.managedFields,
      {
        statusOnly: true,
      },
    );
  }

  /**
   * Server-side apply: creates, or merges the configuration into the
   * object (maps merge, lists and scalars are replaced, `null` removes)
   * and removes the fields this manager applied before and no longer
   * applies (unless another manager owns them). Changing a field another
   * manager owns is a 409 Conflict naming the fields, unless `force`,
   * which takes them over. Never conflicts on resourceVersion.
   */
  apply(
    object: KubeObject,
    options: { fieldManager: string; force?: boolean; dryRun?: boolean },
  ): KubeObject {
    const type = this.typeOf(object.apiVersion, object.kind);
    if (
      object.metadata?.managedFields !== undefined &&
      object.metadata.managedFields !== null
    ) {
      throw new ApiError(
        400,
        'BadRequest',
        'metadata.managedFields must be nil',
      );
    }
    this.checkIdentity(type, object);
    const key = this.key(type, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    const applied = clone(object);
    delete applied.metadata.resourceVersion;
    const ownership = {
      manager: options.fieldManager,
      force: Boolean(options.force),
      apiVersion: apiVersionOf(type),
    };
    if (!existing) {
      return this.createAs(applied, { ...options, apply: ownership });
    }
    const merged = applyMerge(
      clone(existing) as unknown as Record<string, unknown>,
      applied as unknown as Record<string, unknown>,
    ) as unknown as KubeObject;
    merged.apiVersion = existing.apiVersion;
    if (type.statusSubresource) {
      if (existing.status === undefined) delete merged.status;
      else merged.status = clone(existing.status);
    }
    const outcome = applyOwnership(type, existing, merged, applied, ownership);
    this.keepDeletion(type, existing, outcome.object);
    this.admit(type, outcome.object);
    return this.commit(
      type,
      key,
      existing,
      outcome.object,
      outcome.managedFields,
      {
        dryRun: options.dryRun,
      },
    );
  }

  /**
   * Deletes an object, as the API server does: one with
   * `metadata.finalizers` is only marked as being deleted
   * (`deletionTimestamp`, `deletionGracePeriodSeconds: 0`, generation
   * bumped; a MODIFIED event) and stays until a write removes its last
   * finalizer; deleting it again changes nothing. A namespace is deleted at
   * once with everything in it. `purge` deletes regardless of finalizers
   * (wiping the sandbox, not a cluster operation).
   */
  delete(ref: ObjectRef, options: { purge?: boolean } = {}): KubeObject {
    const type = this.typeOf(ref.apiVersion, ref.kind);
    const key = this.key(type, ref.namespace, ref.name);
    const existing = this.objects.get(key);
    if (!existing) throw this.notFound(type, ref.name);
    if (
      !options.purge &&
      !isNamespace(type) &&
      (existing.metadata.finalizers ?? []).length > 0
    ) {
      if (existing.metadata.deletionTimestamp) {
        return this.present(existing, type);
      }
      const marked = clone(existing);
      marked.metadata.deletionTimestamp = nowSeconds();
      marked.metadata.deletionGracePeriodSeconds = 0;
      return this.commit(
        type,
        key,
        existing,
        marked,
        existing.metadata.managedFields,
        { markDeleted: true },
      );
    }
    if (isNamespace(type)) {
      for (const [k, o] of [...this.objects]) {
        if (o.metadata.namespace === ref.name) {
          this.objects.delete(k);
          // Gone at the namespace's own deletion revision.
          this.versions.record(k, o, undefined, this.revision + 1);
          const t = this.typeOf(o.apiVersion, o.kind);
          this.emit(t, { type: 'DELETED', object: this.present(o, t) });
        }
      }
    }
    return this.remove(type, key, existing, existing);
  }

  watch(
    apiVersion: string,
    kind: string,
    handler: (event: WatchEvent) => void,
    options: { namespace?: string } = {},
  ): () => void {
    const type = this.typeOf(apiVersion, kind);
    const key = `${type.group}/${type.kind}`;
    const entry = {
      handler,
      namespace: options.namespace,
      apiVersion: apiVersionOf(type),
    };
    const set = this.watchers.get(key) ?? new Set();
    set.add(entry);
    this.watchers.set(key, set);
    return () => set.delete(entry);
  }

  /** Every stored object, for snapshots and state persistence. */
  dump(): KubeObject[] {
    return [...this.objects.values()].map(clone);
  }

  /** Replaces the whole state (state persistence); no watch events. */
  load(objects: KubeObject[], revision: number) {
    this.objects.clear();
    for (const o of objects) {
      const type = this.typeOf(o.apiVersion, o.kind);
      this.objects.set(
        this.key(type, o.metadata.namespace, o.metadata.name),
        clone(o),
      );
    }
    this.revision = Math.max(this.revision, revision);
    // Earlier versions are not saved: reads start at the loaded revision.
    this.versions = new VersionLog(this.revision);
  }

  private createAs(
    object: KubeObject,
    options: WriteOptions & {
      /** The ownership of an apply that creates. */
      apply?: { manager: string; force: boolean; apiVersion: string };
    },
  ): KubeObject {
    const type = this.typeOf(object.apiVersion, object.kind);
    const o = clone(object);
    const generateName = o.metadata?.generateName as string | undefined;
    if (!o.metadata?.name && generateName) {
      o.metadata.name = `${generateName}${randomUUID().slice(0, 5)}`;
    }
    this.checkIdentity(type, o);
    const key = this.key(type, o.metadata.namespace, o.metadata.name);
    if (this.objects.has(key)) {
      throw new ApiError(
        409,
        'AlreadyExists',
        `${type.plural}${type.group ? `.${type.group}` : ''} "${
          o.metadata.name
        }" already exists`,
        { name: o.metadata.name, group: type.group, kind: type.plural },
      );
    }
    // With a status subresource, status is never set on create.
    if (type.statusSubresource) delete o.status;
    // Nothing is created already being deleted.
    delete o.metadata.deletionTimestamp;
    delete o.metadata.deletionGracePeriodSeconds;
    this.admit(type, o);
    let managedFields = o.metadata.managedFields;
    if (options.apply) {
      const empty = { apiVersion: o.apiVersion, kind: o.kind, metadata: {} };
      managedFields = applyOwnership(
        type,
        empty as KubeObject,
        o,
        object,
        options.apply,
      ).managedFields;
    } else if (options.fieldManager) {
      managedFields = updateOwnership(type, undefined, o, {
        manager: options.fieldManager,
        apiVersion: apiVersionOf(type),
      });
    }
    o.metadata = {
      ...o.metadata,
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString(),
      generation: 1,
      managedFields,
    };
    if (!managedFields) delete o.metadata.managedFields;
    delete o.metadata.generateName;
    if (options.dryRun) {
      delete o.metadata.resourceVersion;
      return this.present(o, type);
    }
    o.metadata.resourceVersion = this.nextRevision();
    this.objects.set(key, o);
    this.versions.record(key, undefined, o, this.revision);
    const presented = this.present(o, type);
    this.emit(type, { type: 'ADDED', object: presented });
    this.notifyRevision();
    return presented;
  }

  /**
   * Stores `next` (already admitted) over `existing` with the given
   * managedFields, unless it changes nothing: then the object keeps its
   * resourceVersion, as in Kubernetes.
   */
  private commit(
    type: ResourceType,
    key: string,
    existing: KubeObject,
    next: KubeObject,
    managedFields: unknown[] | undefined,
    options: { statusOnly?: boolean; dryRun?: boolean; markDeleted?: boolean },
  ): KubeObject {
    next.metadata = {
      ...next.metadata,
      uid: existing.metadata.uid,
      creationTimestamp: existing.metadata.creationTimestamp,
      generation:
        options.markDeleted ||
        (!options.statusOnly && withoutStatus(existing) !== withoutStatus(next))
          ? (existing.metadata.generation ?? 1) + 1
          : existing.metadata.generation,
      managedFields,
    };
    if (!managedFields) delete next.metadata.managedFields;
    const { resourceVersion: _a, ...nextMeta } = next.metadata;
    const { resourceVersion: _b, ...prevMeta } = existing.metadata;
    const unchanged =
      JSON.stringify({ ...next, metadata: nextMeta }) ===
      JSON.stringify({ ...existing, metadata: prevMeta });
    if (unchanged) return this.present(existing, type);
    if (options.dryRun) {
      next.metadata.resourceVersion = existing.metadata.resourceVersion;
      return this.present(next, type);
    }
    const finalized =
      next.metadata.deletionTimestamp !== undefined &&
      (next.metadata.finalizers ?? []).length === 0;
    if (finalized) return this.remove(type, key, existing, next);
    next.metadata.resourceVersion = this.nextRevision();
    this.objects.set(key, next);
    this.versions.record(key, existing, next, this.revision);
    const presented = this.present(next, type);
    this.emit(type, { type: 'MODIFIED', object: presented });
    this.notifyRevision();
    return presented;
  }

  /**
   * Removes a stored object at a new revision (a DELETED event with `last`,
   * its final state) and answers `last`.
   */
  private remove(
    type: ResourceType,
    key: string,
    existing: KubeObject,
    last: KubeObject,
  ): KubeObject {
    this.objects.delete(key);
    const deleted = clone(last);
    deleted.metadata.resourceVersion = this.nextRevision();
    this.versions.record(key, existing, undefined, this.revision);
    const presented = this.present(deleted, type);
    this.emit(type, { type: 'DELETED', object: presented });
    this.notifyRevision();
    return presented;
  }

  /**
   * What an update or apply may do to deletion: `deletionTimestamp` and
   * `deletionGracePeriodSeconds` are set only by a delete and kept from the
   * stored object, and an object being deleted takes no new finalizers
   * (422, as `ValidateObjectMetaUpdate`).
   */
  private keepDeletion(
    type: ResourceType,
    existing: KubeObject,
    o: KubeObject,
  ) {
    const name = existing.metadata.name;
    const deletedAt = existing.metadata.deletionTimestamp;
    if (deletedAt === undefined) {
      const set = o.metadata.deletionTimestamp;
      if (set !== undefined && set !== null) {
        throw invalidError(type, name, [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${JSON.stringify(
              set,
            )}: field is immutable`,
            field: 'metadata.deletionTimestamp',
          },
        ]);
      }
      delete o.metadata.deletionTimestamp;
      delete o.metadata.deletionGracePeriodSeconds;
      return;
    }
    o.metadata.deletionTimestamp = deletedAt;
    o.metadata.deletionGracePeriodSeconds =
      existing.metadata.deletionGracePeriodSeconds;
    const before = new Set(existing.metadata.finalizers ?? []);
    const added = (o.metadata.finalizers ?? []).filter(f => !before.has(f));
    if (added.length > 0) {
      throw invalidError(type, name, [
        {
          reason: 'FieldValueForbidden',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added
            .map(f => JSON.stringify(f))
            .join(', ')}}`,
          field: 'metadata.finalizers',
        },
      ]);
    }
  }

  private checkIdentity(type: ResourceType, o: KubeObject) {
    if (!o.metadata?.name) {
      throw new ApiError(
        422,
        'Invalid',
        `${type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        {
          kind: type.kind,
          group: type.group,
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ],
        },
      );
    }
    if (type.namespaced) {
      if (!o.metadata.namespace) o.metadata.namespace = 'default';
      const ns = this.objects.get(this.nsKey(o.metadata.namespace));
      if (!ns) {
        throw new ApiError(
          404,
          'NotFound',
          `namespaces "${o.metadata.namespace}" not found`,
          { name: o.metadata.namespace, kind: 'namespaces' },
        );
      }
    } else {
      delete o.metadata.namespace;
    }
  }

  private nsKey(name: string) {
    return `/Namespace//${name}`;
  }

  private key(type: ResourceType, namespace: string | undefined, name: string) {
    return `${type.group}/${type.kind}/${
      type.namespaced ? namespace ?? 'default' : ''
    }/${name}`;
  }

  private present(o: KubeObject, type: ResourceType): KubeObject {
    const c = clone(o);
    c.apiVersion = apiVersionOf(type);
    return c;
  }

  private nextRevision(): string {
    return String(++this.revision);
  }

  private notifyRevision() {
    for (const listener of [...this.revisionListeners]) listener();
  }

  private notFound(type: ResourceType, name: string) {
    return new ApiError(
      404,
      'NotFound',
      `${type.plural}${type.group ? `.${type.group}` : ''} "${name}" not found`,
      { name, group: type.group, kind: type.plural },
    );
  }

  private conflict(type: ResourceType, name: string) {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${type.plural}${
        type.group ? `.${type.group}` : ''
      } "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: type.group, kind: type.plural },
    );
  }

  private emit(type: ResourceType, event: WatchEvent) {
    const set = this.watchers.get(`${type.group}/${type.kind}`);
    if (!set) return;
    for (const w of [...set]) {
      if (w.namespace && event.object.metadata.namespace !== w.namespace)
        continue;
      const e = {
        type: event.type,
        object: { ...clone(event.object), apiVersion: w.apiVersion },
      };
      try {
        w.handler(e);
      } catch {
        // A failing watcher must not break the write that triggered it.
      }
    }
  }
}
