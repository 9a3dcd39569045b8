import { applyPatch, JsonPatchError, Operation } from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import { ApiError, KubeObject } from './types';

/** The patch formats of the Kubernetes API. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** Content types of PATCH requests, as the API server accepts them. */
export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  // Accepted by the API server as an alias since server-side apply went GA.
  'application/apply-patch+cbor': 'apply',
};

/** The patch type of a `Content-Type` header (parameters ignored). */
export function patchTypeOf(
  contentType: string | undefined,
): PatchType | undefined {
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return PATCH_CONTENT_TYPES[mime];
}

const isPlainObject = (v: unknown): v is Record<string, any> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Parses a patch body: JSON for json/merge/strategic patches, YAML (or
 * JSON, which is YAML) for apply. Throws 400 BadRequest as the API server
 * does for a body it cannot decode.
 */
export function parsePatchBody(type: PatchType, body: string): unknown {
  try {
    if (type === 'apply') {
      const docs = parseYaml(body);
      return docs;
    }
    return JSON.parse(body);
  } catch (e) {
    throw new ApiError(
      400,
      'BadRequest',
      type === 'apply'
        ? `error decoding YAML: ${(e as Error).message}`
        : `couldn't get version/kind; json parse error: ${
            (e as Error).message
          }`,
    );
  }
}

/** RFC 7386 JSON merge patch. Returns a new value; inputs are not changed. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target)
    ? { ...target }
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

// Structural JSON patch errors are 400 (the patch cannot be decoded);
// operations that do not apply to the object are 422, as in the API server.
const MALFORMED = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

/** RFC 6902 JSON patch. Returns a new value; throws ApiError 400/422. */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw new ApiError(
      400,
      'BadRequest',
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  }
  try {
    return applyPatch(structuredClone(target), ops as Operation[], true, true)
      .newDocument;
  } catch (e) {
    if (e instanceof JsonPatchError) {
      const op = e.operation as Operation | undefined;
      const text = `${op?.op ?? 'json patch'} operation does not apply: ${
        e.message.split('\n')[0]
      }${op?.path !== undefined ? ` (path: ${op.path})` : ''}`;
      if (MALFORMED.has(e.name)) throw new ApiError(400, 'BadRequest', text);
      throw new ApiError(422, 'Invalid', text);
    }
    throw e;
  }
}

/**
 * Merge keys of the built-in kinds' lists (the `patchMergeKey` tags of the
 * Kubernetes Go types). Lists not named here are replaced.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
  hostAliases: 'ip',
  secrets: 'name',
  resourceClaims: 'name',
  topologySpreadConstraints: 'topologyKey',
};

/** Primitive lists with `patchStrategy:"merge"`: union, not replace. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyOf(field: string, items: unknown[]): string | undefined {
  if (field === 'ports') {
    // Container ports merge on containerPort, Service ports on port.
    return items.some(i => isPlainObject(i) && 'containerPort' in i)
      ? 'containerPort'
      : 'port';
  }
  return MERGE_KEYS[field];
}

function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = withoutDirectives(v);
  }
  return out;
}

function mergeList(
  field: string,
  original: unknown[],
  patch: unknown[],
): unknown[] {
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...original];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const key = mergeKeyOf(field, [...original, ...patch]);
  if (!key || !patch.every(isPlainObject)) {
    return withoutDirectives(patch) as unknown[];
  }
  const items = patch as Record<string, unknown>[];
  if (items.some(i => i.$patch === 'replace')) {
    return withoutDirectives(
      items.filter(i => i.$patch !== 'replace'),
    ) as unknown[];
  }
  const out = original.map(v => structuredClone(v));
  for (const item of items) {
    const index = out.findIndex(o => isPlainObject(o) && o[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) {
      out[index] = mergeMap(out[index] as Record<string, unknown>, item);
    } else {
      out.push(withoutDirectives(item));
    }
  }
  return out;
}

function orderBy(list: unknown[], order: unknown[], field: string): unknown[] {
  const key = mergeKeyOf(field, list);
  const identity = (v: unknown) => (key && isPlainObject(v) ? v[key] : v);
  const wanted = order.map(identity);
  const ranked = list.map((v, i) => {
    const at = wanted.indexOf(identity(v));
    return { v, rank: at < 0 ? wanted.length + i : at };
  });
  return ranked.sort((a, b) => a.rank - b.rank).map(r => r.v);
}

function mergeMap(
  original: Record<string, unknown> | undefined,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  if (patch.$patch === 'replace') {
    return withoutDirectives(patch) as Record<string, unknown>;
  }
  const out: Record<string, unknown> = { ...(original ?? {}) };
  const orders: Array<[string, unknown[]]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/')) {
      if (Array.isArray(value)) orders.push([key.slice(17), value]);
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice(25);
      if (Array.isArray(out[field]) && Array.isArray(value)) {
        out[field] = (out[field] as unknown[]).filter(v => !value.includes(v));
      }
      continue;
    }
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value) && value.$patch === 'delete') {
      delete out[key];
    } else if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = mergeMap(out[key] as Record<string, unknown>, value);
    } else if (Array.isArray(value) && Array.isArray(out[key])) {
      out[key] = mergeList(key, out[key] as unknown[], value);
    } else {
      out[key] = withoutDirectives(structuredClone(value));
    }
  }
  for (const [field, order] of orders) {
    if (Array.isArray(out[field])) {
      out[field] = orderBy(out[field] as unknown[], order, field);
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const key of Object.keys(out)) if (!keep.has(key)) delete out[key];
  }
  return out;
}

/**
 * Strategic merge patch as the API server applies it to built-in kinds:
 * maps merge, lists with a merge key (containers, env, volumes by name;
 * volumeMounts by mountPath; ports by containerPort; ownerReferences by
 * uid; conditions by type) merge item by item, `finalizers` is a set,
 * other lists are replaced. Directives: `$patch: replace|delete` (on maps
 * and list items), `$retainKeys`, `$setElementOrder/<list>`,
 * `$deleteFromPrimitiveList/<list>`.
 */
export function applyStrategicMergePatch(
  target: unknown,
  patch: unknown,
): unknown {
  if (!isPlainObject(patch)) {
    throw new ApiError(
      400,
      'BadRequest',
      'json: cannot unmarshal into Go value of type map[string]interface {}',
    );
  }
  return mergeMap(isPlainObject(target) ? structuredClone(target) : {}, patch);
}

/**
 * Applies a json, merge or strategic patch to a stored object and returns
 * the result (a new object). Apply patches go through the store instead.
 */
export function patchObject(
  existing: KubeObject,
  type: Exclude<PatchType, 'apply'>,
  patch: unknown,
): KubeObject {
  let result: unknown;
  if (type === 'json') result = applyJsonPatch(existing, patch);
  else if (type === 'strategic')
    result = applyStrategicMergePatch(existing, patch);
  else {
    if (!isPlainObject(patch)) {
      throw new ApiError(
        400,
        'BadRequest',
        'json: cannot unmarshal into Go value of type map[string]interface {}',
      );
    }
    result = applyMergePatch(existing, patch);
  }
  if (!isPlainObject(result) || !isPlainObject(result.metadata)) {
    throw new ApiError(
      422,
      'Invalid',
      'the patched object is not a Kubernetes object (metadata is missing)',
    );
  }
  return result as KubeObject;
}
