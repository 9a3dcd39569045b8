import { randomUUID } from 'node:crypto';
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
} from './types';

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

/**
 * The sandbox's object store: every object of every served type, with
 * resourceVersion, uid, generation and creationTimestamp maintained as an
 * API server does, optimistic concurrency on update, watches, and namespace
 * semantics (a namespaced object needs its namespace; deleting a namespace
 * deletes what is in it).
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
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    const prefix = `${type.group}/${type.kind}/`;
    const out: KubeObject[] = [];
    for (const [key, o] of this.objects) {
      if (!key.startsWith(prefix)) continue;
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
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  create(
    object: KubeObject,
    options: { fieldManager?: string } = {},
  ): KubeObject {
    return this.createAs(object, options.fieldManager, 'Update');
  }

  update(
    object: KubeObject,
    options: { fieldManager?: string } = {},
  ): KubeObject {
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
    return this.commit(type, key, existing, o, options.fieldManager, 'Update');
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
    return this.commit(type, key, existing, o, undefined, 'Update', true);
  }

  apply(
    object: KubeObject,
    options: { fieldManager: string; force?: boolean },
  ): KubeObject {
    const type = this.typeOf(object.apiVersion, object.kind);
    this.checkIdentity(type, object);
    const key = this.key(type, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    const applied = clone(object);
    delete applied.metadata.resourceVersion;
    if (!existing) {
      return this.createAs(applied, options.fieldManager, 'Apply');
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
    return this.commit(
      type,
      key,
      existing,
      merged,
      options.fieldManager,
      'Apply',
    );
  }

  delete(ref: ObjectRef): KubeObject {
    const type = this.typeOf(ref.apiVersion, ref.kind);
    const key = this.key(type, ref.namespace, ref.name);
    const existing = this.objects.get(key);
    if (!existing) throw this.notFound(type, ref.name);
    if (type.group === '' && type.kind === 'Namespace') {
      for (const [k, o] of [...this.objects]) {
        if (o.metadata.namespace === ref.name) {
          this.objects.delete(k);
          const t = this.typeOf(o.apiVersion, o.kind);
          this.emit(t, { type: 'DELETED', object: this.present(o, t) });
        }
      }
    }
    this.objects.delete(key);
    const deleted = clone(existing);
    deleted.metadata.resourceVersion = this.nextRevision();
    const presented = this.present(deleted, type);
    this.emit(type, { type: 'DELETED', object: presented });
    return presented;
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
  }

  private createAs(
    object: KubeObject,
    fieldManager: string | undefined,
    operation: 'Apply' | 'Update',
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
    this.admit(type, o);
    o.metadata = {
      ...o.metadata,
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString(),
      generation: 1,
      resourceVersion: this.nextRevision(),
      managedFields: this.managedFields(o, fieldManager, operation),
    };
    delete o.metadata.generateName;
    this.objects.set(key, o);
    const presented = this.present(o, type);
    this.emit(type, { type: 'ADDED', object: presented });
    return presented;
  }

  private commit(
    type: ResourceType,
    key: string,
    existing: KubeObject,
    next: KubeObject,
    fieldManager: string | undefined,
    operation: 'Apply' | 'Update',
    statusOnly = false,
  ): KubeObject {
    if (!statusOnly) this.admit(type, next);
    next.metadata = {
      ...next.metadata,
      uid: existing.metadata.uid,
      creationTimestamp: existing.metadata.creationTimestamp,
      generation:
        !statusOnly && withoutStatus(existing) !== withoutStatus(next)
          ? (existing.metadata.generation ?? 1) + 1
          : existing.metadata.generation,
      managedFields: this.mergeManagedFields(existing, fieldManager, operation),
    };
    // A write that changes nothing keeps its resourceVersion, as in Kubernetes.
    const { resourceVersion: _a, ...nextMeta } = next.metadata;
    const { resourceVersion: _b, ...prevMeta } = existing.metadata;
    const unchanged =
      JSON.stringify({ ...next, metadata: nextMeta }) ===
      JSON.stringify({ ...existing, metadata: prevMeta });
    if (unchanged) return this.present(existing, type);
    next.metadata.resourceVersion = this.nextRevision();
    this.objects.set(key, next);
    const presented = this.present(next, type);
    this.emit(type, { type: 'MODIFIED', object: presented });
    return presented;
  }

  private managedFields(
    o: KubeObject,
    manager: string | undefined,
    operation: string,
  ) {
    if (!manager) return o.metadata.managedFields;
    return [
      {
        manager,
        operation,
        apiVersion: o.apiVersion,
        time: new Date().toISOString(),
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
    ];
  }

  private mergeManagedFields(
    existing: KubeObject,
    manager: string | undefined,
    operation: string,
  ) {
    const current = (existing.metadata.managedFields ?? []) as Array<{
      manager: string;
      operation: string;
    }>;
    if (!manager) return current.length ? current : undefined;
    return [
      ...current.filter(
        f => !(f.manager === manager && f.operation === operation),
      ),
      {
        manager,
        operation,
        apiVersion: existing.apiVersion,
        time: new Date().toISOString(),
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
    ];
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
