import { ApiError, KubeObject } from './types';

type Requirement = (labels: Record<string, string>) => boolean;

/**
 * Parses a Kubernetes label selector (`a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, comma-separated) into a predicate.
 */
export function parseLabelSelector(
  selector: string | undefined,
): (labels: Record<string, string>) => boolean {
  if (!selector || !selector.trim()) return () => true;
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);

  const requirements: Requirement[] = parts.map(raw => {
    const part = raw.trim();
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const [, key, op, values] = m;
      const set = new Set(values.split(',').map(v => v.trim()));
      return op === 'in'
        ? l => key in l && set.has(l[key])
        : l => !(key in l) || !set.has(l[key]);
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(part);
    if (m) {
      const [, key, op, value] = m;
      return op === '!=' ? l => l[key] !== value : l => l[key] === value;
    }
    m = /^(!?)([\w./-]+)$/.exec(part);
    if (m) {
      const [, not, key] = m;
      return not ? l => !(key in l) : l => key in l;
    }
    throw new ApiError(
      400,
      'BadRequest',
      `unable to parse requirement: "${part}"`,
    );
  });
  return labels => requirements.every(r => r(labels));
}

function fieldValue(object: KubeObject, path: string): unknown {
  let value: unknown = object;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Parses a field selector (`metadata.name=x,metadata.namespace!=y`, any
 * dotted path) into a predicate.
 */
export function parseFieldSelector(
  selector: string | undefined,
): (object: KubeObject) => boolean {
  if (!selector || !selector.trim()) return () => true;
  const requirements = selector.split(',').map(raw => {
    const m = /^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!m) {
      throw new ApiError(400, 'BadRequest', `invalid field selector: "${raw}"`);
    }
    const [, path, op, value] = m;
    return (o: KubeObject) => {
      const v = fieldValue(o, path);
      const s = v === undefined || v === null ? '' : String(v);
      return op === '!=' ? s !== value : s === value;
    };
  });
  return o => requirements.every(r => r(o));
}
