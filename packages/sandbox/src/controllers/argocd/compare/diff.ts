/**
 * The diff of a desired object with its live object: which fields take part
 * (`ignoreDifferences`, server-side fields), and whether the live object
 * holds every desired field.
 */
import { KubeObject } from '../../../kube/types';
import { Application, groupOf } from '../types';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isEmpty = (v: unknown) =>
  (Array.isArray(v) && v.length === 0) ||
  (isPlainObject(v) && Object.keys(v).length === 0);

/**
 * Whether every field of `desired` is present and equal in `live`: maps
 * recursively, lists element by element with equal length, scalars equal.
 * An empty map or list matches an absent field, as the API server drops
 * them.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === null || desired === undefined) {
    return live === null || live === undefined;
  }
  if (live === undefined || live === null) return isEmpty(desired);
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((d, i) => isSubset(d, live[i]))
    );
  }
  if (isPlainObject(desired)) {
    return (
      isPlainObject(live) &&
      Object.entries(desired).every(([k, v]) => isSubset(v, live[k]))
    );
  }
  return desired === live;
}

/** A Secret's `stringData` folded into `data`, as the API server stores it. */
export function foldStringData(obj: KubeObject): KubeObject {
  if (groupOf(obj.apiVersion) !== '' || obj.kind !== 'Secret') return obj;
  const stringData = obj.stringData as Record<string, string> | undefined;
  if (!stringData) return obj;
  const { stringData: _, ...rest } = obj;
  const data = { ...((obj.data as Record<string, string>) ?? {}) };
  for (const [k, v] of Object.entries(stringData)) {
    data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  return { ...rest, data } as KubeObject;
}

function removePointer(obj: unknown, pointer: string) {
  const parts = pointer
    .split('/')
    .slice(1)
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string, unknown>)[parts[i]];
  }
  if (cur !== null && typeof cur === 'object' && parts.length > 0) {
    const last = parts[parts.length - 1];
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete (cur as Record<string, unknown>)[last];
  }
}

/** The fields of a desired object that take part in the comparison. */
export function comparable(
  target: KubeObject,
  app: Application,
  group: string,
): Record<string, unknown> {
  const { status: _s, metadata, ...rest } = foldStringData(target);
  const meta: Record<string, unknown> = { name: metadata.name };
  if (metadata.namespace) meta.namespace = metadata.namespace;
  if (metadata.labels) meta.labels = metadata.labels;
  if (metadata.annotations) meta.annotations = metadata.annotations;
  const out = structuredClone({ ...rest, metadata: meta }) as Record<
    string,
    unknown
  >;
  for (const rule of app.spec.ignoreDifferences ?? []) {
    if ((rule.group ?? '') !== group || rule.kind !== target.kind) continue;
    if (rule.name && rule.name !== metadata.name) continue;
    if (rule.namespace && rule.namespace !== metadata.namespace) continue;
    for (const p of rule.jsonPointers ?? []) removePointer(out, p);
  }
  return out;
}
