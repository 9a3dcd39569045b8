/**
 * Field ownership (`metadata.managedFields`) as the API server's field
 * manager keeps it (k8s.io/apimachinery `pkg/util/managedfields/internal`
 * over sigs.k8s.io/structured-merge-diff): every write names a manager,
 * an Update takes the fields it changed from everyone else, an Apply owns
 * exactly the fields of its configuration, drops the fields it applied
 * before and no longer applies (unless someone else owns them), and
 * conflicts with other managers over fields it would change.
 *
 * Lists are atomic here (one field, replaced as a whole): the API server
 * merges associative lists (`x-kubernetes-list-type: map|set`, the
 * built-in kinds' merge keys) item by item.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  ApiError,
  KubeObject,
  ResourceType,
  StatusCause,
  byteOrder,
} from './types';

/** A field path: FieldsV1 keys, `f:<name>` per level. */
export type FieldPath = readonly string[];

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const startsWith = (path: FieldPath, prefix: FieldPath) =>
  path.length >= prefix.length && prefix.every((e, i) => path[i] === e);

/** A set of field paths (structured-merge-diff's `fieldpath.Set`). */
export class FieldSet {
  private readonly paths = new Map<string, FieldPath>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.add(p);
  }

  add(path: FieldPath) {
    this.paths.set(JSON.stringify(path), path);
  }

  has(path: FieldPath): boolean {
    return this.paths.has(JSON.stringify(path));
  }

  get size(): number {
    return this.paths.size;
  }

  /** Every path, in structured-merge-diff's order (see {@link sortPaths}). */
  list(): FieldPath[] {
    return sortPaths([...this.paths.values()]);
  }

  union(other: FieldSet): FieldSet {
    return new FieldSet([...this.paths.values(), ...other.paths.values()]);
  }

  difference(other: FieldSet): FieldSet {
    return new FieldSet([...this.paths.values()].filter(p => !other.has(p)));
  }

  intersection(other: FieldSet): FieldSet {
    return new FieldSet([...this.paths.values()].filter(p => other.has(p)));
  }

  /** The paths `keep` accepts. */
  filter(keep: (path: FieldPath) => boolean): FieldSet {
    return new FieldSet([...this.paths.values()].filter(keep));
  }

  /** Whether `path` or a path below it is in the set. */
  coversOrBelow(path: FieldPath): boolean {
    for (const p of this.paths.values()) if (startsWith(p, path)) return true;
    return false;
  }

  /** The FieldsV1 form: `{"f:data": {".": {}, "f:key": {}}}`. */
  toFieldsV1(): Record<string, unknown> {
    const root: Record<string, any> = {};
    for (const path of this.paths.values()) {
      let node = root;
      for (const element of path) node = node[element] ??= {};
    }
    // A path that is in the set and has children is marked with ".".
    for (const path of this.paths.values()) {
      let node = root;
      for (const element of path) node = node[element];
      if (Object.keys(node).some(k => k !== '.')) node['.'] = {};
    }
    return root;
  }

  /** Reads the FieldsV1 form; unknown shapes count as empty. */
  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, path: string[]) => {
      if (!isPlainObject(node)) return;
      const keys = Object.keys(node);
      if (path.length && (keys.length === 0 || keys.includes('.'))) {
        set.add(path);
      }
      for (const key of keys) {
        if (key !== '.') walk(node[key], [...path, key]);
      }
    };
    walk(fields, []);
    return set;
  }
}

/**
 * Orders paths as structured-merge-diff iterates a set: at each level the
 * members (paths ending there) first, then the children, by name.
 */
function sortPaths(paths: FieldPath[]): FieldPath[] {
  const cmp = (a: FieldPath, b: FieldPath): number => {
    for (let i = 0; ; i++) {
      if (i === a.length - 1 && i === b.length - 1) {
        return byteOrder(a[i], b[i]);
      }
      // A member at this level comes before any child path.
      if (i === a.length - 1) return -1;
      if (i === b.length - 1) return 1;
      if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
  };
  return [...paths].sort(cmp);
}

/** A path as the API server prints it: `.spec.size`, `.data.key`. */
export function pathString(path: FieldPath): string {
  return path.map(e => `.${e.replace(/^f:/, '')}`).join('');
}

const f = (name: string) => `f:${name}`;

/**
 * Server-managed fields nobody owns (the field manager's `stripMetaManager`):
 * these and what is below them, and the `metadata` map itself.
 */
const STRIPPED: FieldPath[] = [
  ['apiVersion'],
  ['kind'],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map(n => ['metadata', n]),
].map(p => p.map(f));

/** Maps whose keys are entries, not declared fields (built-in kinds). */
const MAP_FIELDS = new Set([
  'metadata.labels',
  'metadata.annotations',
  'data',
  'binaryData',
  'stringData',
]);

/**
 * The fields a write of `type` may own: everything but the stripped
 * metadata and, with a status subresource, `status` (the reset fields of
 * the main resource).
 */
function ownable(type: ResourceType, set: FieldSet): FieldSet {
  return set.filter(
    p =>
      !(p.length === 1 && p[0] === 'f:metadata') &&
      !STRIPPED.some(s => startsWith(p, s)) &&
      !(type.statusSubresource && p[0] === 'f:status'),
  );
}

/** Whether a key of the object at `path` is a map entry rather than a declared field. */
function isMapEntry(
  type: ResourceType,
  path: string[],
  schema: Record<string, any> | undefined,
): boolean {
  if (!type.schema || path[0] === 'metadata') {
    return MAP_FIELDS.has(path.join('.'));
  }
  return Boolean(
    schema &&
      !schema.properties &&
      (schema.additionalProperties ||
        schema['x-kubernetes-preserve-unknown-fields']),
  );
}

function childSchema(
  schema: Record<string, any> | undefined,
  key: string,
): Record<string, any> | undefined {
  if (!schema) return undefined;
  return (
    schema.properties?.[key] ??
    (isPlainObject(schema.additionalProperties)
      ? schema.additionalProperties
      : undefined)
  );
}

/**
 * The fields an apply configuration sets (`TypedValue.ToFieldSet`): its
 * leaves (scalars, lists, empty maps, nulls) and, for map entries whose
 * value is a map, the entry itself.
 */
export function appliedFields(
  type: ResourceType,
  config: KubeObject,
): FieldSet {
  const set = new FieldSet();
  const walk = (
    value: Record<string, unknown>,
    names: string[],
    schema: Record<string, any> | undefined,
  ) => {
    for (const [key, v] of Object.entries(value)) {
      const childNames = [...names, key];
      const path = childNames.map(f);
      if (isPlainObject(v) && Object.keys(v).length > 0) {
        if (isMapEntry(type, names, schema)) set.add(path);
        walk(v, childNames, childSchema(schema, key));
      } else {
        set.add(path);
      }
    }
  };
  walk(config as Record<string, unknown>, [], type.schema);
  return ownable(type, set);
}

/** What changed between two versions of an object (`TypedValue.Compare`). */
export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * Compares two objects field by field: maps are descended (their own path
 * is added or removed with them), anything else is a leaf.
 */
export function compareObjects(
  type: ResourceType,
  before: KubeObject | undefined,
  after: KubeObject,
): Comparison {
  const cmp: Comparison = {
    added: new FieldSet(),
    modified: new FieldSet(),
    removed: new FieldSet(),
  };
  const walk = (l: unknown, r: unknown, path: string[]) => {
    const lMap = isPlainObject(l) && Object.keys(l).length > 0;
    const rMap = isPlainObject(r) && Object.keys(r).length > 0;
    // Maps are descended unless both are empty (then they are a leaf).
    const mapOrAbsent = (v: unknown) => isPlainObject(v) || v === undefined;
    if (mapOrAbsent(l) && mapOrAbsent(r) && (lMap || rMap)) {
      const lo = (l ?? {}) as Record<string, unknown>;
      const ro = (r ?? {}) as Record<string, unknown>;
      for (const key of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
        // Nobody owns a main-resource write's status: no need to compare it.
        if (!path.length && key === 'status' && type.statusSubresource)
          continue;
        walk(lo[key], ro[key], [...path, f(key)]);
      }
      if (path.length && l === undefined) cmp.added.add(path);
      if (path.length && r === undefined) cmp.removed.add(path);
      return;
    }
    if (!path.length) return;
    if (l === undefined) cmp.added.add(path);
    else if (r === undefined) cmp.removed.add(path);
    else if (!isDeepStrictEqual(l, r)) cmp.modified.add(path);
  };
  walk(before ?? {}, after, []);
  return {
    added: ownable(type, cmp.added),
    modified: ownable(type, cmp.modified),
    removed: ownable(type, cmp.removed),
  };
}

/** One `managedFields` entry, decoded. */
interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/**
 * The identity of a manager (`BuildManagerIdentifier`): its name,
 * operation, subresource and, for updates, the API version, as Go's JSON
 * encoder writes them.
 */
function identity(e: Omit<ManagerEntry, 'set' | 'time'>): string {
  return JSON.stringify({
    manager: e.manager,
    operation: e.operation,
    ...(e.operation === 'Update' && e.apiVersion
      ? { apiVersion: e.apiVersion }
      : {}),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  });
}

function decode(managedFields: unknown): Map<string, ManagerEntry> {
  const out = new Map<string, ManagerEntry>();
  if (!Array.isArray(managedFields)) return out;
  for (const raw of managedFields) {
    if (!isPlainObject(raw) || typeof raw.manager !== 'string') continue;
    const entry: ManagerEntry = {
      manager: raw.manager,
      operation: raw.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion:
        typeof raw.apiVersion === 'string' ? raw.apiVersion : undefined,
      subresource:
        typeof raw.subresource === 'string' && raw.subresource
          ? raw.subresource
          : undefined,
      time: typeof raw.time === 'string' ? raw.time : undefined,
      set: FieldSet.fromFieldsV1(raw.fieldsV1),
    };
    out.set(identity(entry), entry);
  }
  return out;
}

/** Sorted as the API server encodes them: by operation, time, manager, version. */
function encode(managers: Map<string, ManagerEntry>) {
  const entries = [...managers.values()].filter(e => e.set.size > 0);
  if (!entries.length) return undefined;
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  entries.sort(
    (a, b) =>
      byteOrder(a.operation, b.operation) ||
      seconds(a.time) - seconds(b.time) ||
      byteOrder(a.manager, b.manager) ||
      byteOrder(a.apiVersion ?? '', b.apiVersion ?? '') ||
      byteOrder(a.subresource ?? '', b.subresource ?? ''),
  );
  return entries.map(e => ({
    manager: e.manager,
    operation: e.operation,
    ...(e.apiVersion ? { apiVersion: e.apiVersion } : {}),
    ...(e.time ? { time: e.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: e.set.toFieldsV1(),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

/** RFC 3339 in whole seconds, as `metav1.Time` is serialised. */
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** `"manager"`, `"manager" using v1` for updates (`printManager`). */
function printManager(e: ManagerEntry): string {
  let text = JSON.stringify(e.manager);
  if (e.subresource)
    text += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') text += ` using ${e.apiVersion ?? ''}`;
  return text;
}

/**
 * The 409 of an apply that would change fields other managers own
 * (`NewConflictError`): one cause per field, and the message kubectl
 * prints.
 */
function conflictError(conflicts: Array<[ManagerEntry, FieldSet]>): ApiError {
  const causes: StatusCause[] = [];
  const byManager = conflicts
    .map(([e, set]) => ({ id: identity(e), e, paths: set.list() }))
    .sort((a, b) => byteOrder(a.id, b.id));
  for (const { e, paths } of byManager) {
    for (const p of paths) {
      causes.push({
        reason: 'FieldManagerConflict',
        message: `conflict with ${printManager(e)}`,
        field: pathString(p),
      });
    }
  }
  let message: string;
  if (causes.length === 1) {
    message = `Apply failed with 1 conflict: ${causes[0].message}: ${causes[0].field}`;
  } else {
    const lines = byManager.flatMap(({ e, paths }) => [
      `conflicts with ${printManager(e)}:`,
      ...paths.map(p => `- ${pathString(p)}`),
    ]);
    message = `Apply failed with ${causes.length} conflicts: ${lines.join(
      '\n',
    )}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** Removes one path from an object (and the maps it leaves empty, for built-in kinds and metadata). */
function removePath(
  type: ResourceType,
  object: Record<string, unknown>,
  path: FieldPath,
) {
  const names = path.map(e => e.replace(/^f:/, ''));
  const parents: Array<[Record<string, unknown>, string]> = [];
  let node: unknown = object;
  for (const name of names.slice(0, -1)) {
    if (!isPlainObject(node)) return;
    parents.push([node, name]);
    node = node[name];
  }
  if (!isPlainObject(node)) return;
  delete node[names[names.length - 1]];
  // Go's typed objects drop empty maps (omitempty); custom resources keep them.
  for (let i = parents.length - 1; i >= 0; i--) {
    const [parent, name] = parents[i];
    const child = parent[name];
    const omitEmpty = !type.schema || names[0] === 'metadata';
    if (omitEmpty && isPlainObject(child) && !Object.keys(child).length) {
      delete parent[name];
    } else {
      break;
    }
  }
}

/** What an apply results in: the object to store and its `managedFields`. */
export interface ApplyOutcome {
  object: KubeObject;
  managedFields: unknown[] | undefined;
  /** Whether the apply changes the object itself (not only ownership). */
  changed: boolean;
}

/**
 * Server-side apply of `config` by `manager` over `live` (already merged
 * into `merged` by the caller, status kept): prunes the fields the manager
 * applied before and no longer applies unless someone else owns them,
 * then refuses (409) changes to fields other managers own unless `force`,
 * in which case they lose them.
 */
export function applyOwnership(
  type: ResourceType,
  live: KubeObject,
  merged: KubeObject,
  config: KubeObject,
  options: { manager: string; force: boolean; apiVersion: string },
): ApplyOutcome {
  const managers = decode(live.metadata.managedFields);
  const self: ManagerEntry = {
    manager: options.manager,
    operation: 'Apply',
    apiVersion: options.apiVersion,
    set: appliedFields(type, config),
  };
  const id = identity(self);
  const previous = managers.get(id);
  managers.set(id, { ...self, time: previous?.time });

  // Prune what this manager applied last time and dropped now.
  const owned = [...managers.values()].reduce(
    (all, e) => all.union(e.set),
    new FieldSet(),
  );
  const dropped = (previous?.set ?? new FieldSet()).difference(self.set);
  for (const path of [...dropped.list()].reverse()) {
    if (!owned.coversOrBelow(path)) {
      removePath(type, merged as Record<string, unknown>, path);
    }
  }

  const cmp = compareObjects(type, live, merged);
  const changed = cmp.modified.union(cmp.added);
  const conflicts: Array<[ManagerEntry, FieldSet]> = [];
  for (const [key, e] of managers) {
    if (key === id) continue;
    const overlap = e.set.intersection(changed);
    if (overlap.size) conflicts.push([e, overlap]);
  }
  if (conflicts.length && !options.force) throw conflictError(conflicts);
  for (const [key, e] of managers) {
    if (key === id) continue;
    e.set = e.set.difference(changed).difference(cmp.removed);
  }
  const objectChanged = changed.size > 0 || cmp.removed.size > 0;
  if (objectChanged || !managers.get(id)!.time) managers.get(id)!.time = now();
  return {
    object: merged,
    managedFields: encode(managers),
    changed: objectChanged,
  };
}

/**
 * The `managedFields` after a create, update or patch (operation Update)
 * by `manager`: it takes every field the write added or changed from the
 * other managers; fields the write removed are nobody's.
 */
export function updateOwnership(
  type: ResourceType,
  live: KubeObject | undefined,
  next: KubeObject,
  options: { manager: string; apiVersion: string },
): unknown[] | undefined {
  const managers = decode(live?.metadata.managedFields);
  const cmp = compareObjects(type, live, next);
  const changed = cmp.modified.union(cmp.added);
  for (const e of managers.values()) {
    e.set = e.set.difference(changed).difference(cmp.removed);
  }
  const self: Omit<ManagerEntry, 'set'> = {
    manager: options.manager,
    operation: 'Update',
    apiVersion: options.apiVersion,
  };
  const id = identity(self);
  const previous = managers.get(id);
  const set = (previous?.set ?? new FieldSet()).union(changed);
  managers.set(id, {
    ...self,
    set,
    time: changed.size ? now() : previous?.time,
  });
  return encode(managers);
}
