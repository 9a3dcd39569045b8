/**
 * The subset of Kubernetes JSONPath used by CRD `additionalPrinterColumns`:
 * `.a.b`, `['a.b']`, `[0]`, `[*]`, `[?(@.type=="Ready")]`, `[?(@.x)]`
 * (with `==` and `!=`, string or number literals). Returns every match.
 */
export function evaluateJsonPath(path: string, root: unknown): unknown[] {
  let current: unknown[] = [root];
  const steps = parse(path.trim().replace(/^\{(.*)\}$/, '$1'));
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) next.push(...step(value));
    current = next;
  }
  return current.filter(v => v !== undefined);
}

type Step = (value: unknown) => unknown[];

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object';

function field(name: string): Step {
  return v => (isObject(v) && !Array.isArray(v) && name in v ? [v[name]] : []);
}

function literal(text: string): unknown {
  const t = text.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  return Number.isNaN(n) ? t : n;
}

function filter(expr: string): Step {
  const m = /^@((?:\.[\w-]+)+)\s*(?:(==|!=)\s*(.+))?$/.exec(expr.trim());
  if (!m) throw new Error(`unsupported JSONPath filter: ${expr}`);
  const [, subPath, op, raw] = m;
  const keys = subPath.slice(1).split('.');
  const lookup = (item: unknown) =>
    keys.reduce<unknown>(
      (v, k) => (isObject(v) && !Array.isArray(v) ? v[k] : undefined),
      item,
    );
  return v => {
    if (!Array.isArray(v)) return [];
    return v.filter(item => {
      const got = lookup(item);
      if (!op) return got !== undefined;
      const want = literal(raw);
      // JSONPath compares loosely: "1" matches 1.
      const equal = String(got) === String(want) && got !== undefined;
      return op === '==' ? equal : !equal;
    });
  };
}

function parse(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      const m = /^\.([\w-]*)/.exec(path.slice(i));
      const name = m![1];
      if (name) steps.push(field(name));
      i += m![0].length;
    } else if (ch === '[') {
      const end = matchingBracket(path, i);
      const inner = path.slice(i + 1, end).trim();
      if (inner === '*') {
        steps.push(v => {
          if (Array.isArray(v)) return v;
          return isObject(v) ? Object.values(v) : [];
        });
      } else if (inner.startsWith('?(') && inner.endsWith(')')) {
        steps.push(filter(inner.slice(2, -1)));
      } else if (/^-?\d+$/.test(inner)) {
        const n = Number(inner);
        steps.push(v =>
          Array.isArray(v) && v.at(n) !== undefined ? [v.at(n)] : [],
        );
      } else if (/^(['"]).*\1$/.test(inner)) {
        steps.push(field(inner.slice(1, -1)));
      } else {
        throw new Error(`unsupported JSONPath segment: [${inner}]`);
      }
      i = end + 1;
    } else if (/\s/.test(ch)) {
      i++;
    } else {
      const m = /^[\w-]+/.exec(path.slice(i));
      if (!m) throw new Error(`unsupported JSONPath: ${path}`);
      steps.push(field(m[0]));
      i += m[0].length;
    }
  }
  return steps;
}

function matchingBracket(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) return i;
  }
  throw new Error(`unbalanced brackets in JSONPath: ${text}`);
}
