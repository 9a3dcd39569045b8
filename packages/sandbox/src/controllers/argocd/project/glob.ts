/**
 * Glob patterns as Argo CD matches AppProject fields with them
 * (`github.com/gobwas/glob`).
 */
function escapeRegExp(s: string) {
  return s.replace(/[.+^${}()|[\]\\*?/]/g, '\\$&');
}

const globCache = new Map<string, RegExp>();

/**
 * Compiles a glob as `github.com/gobwas/glob` reads it: `*` any run of
 * characters (not crossing a separator when one is given), `?` one
 * character, `[abc]`, `[!a-z]`, `{a,b}` alternatives, `\` escapes.
 */
function compileGlob(pattern: string, separator?: string): RegExp {
  const key = `${separator ?? ''}\0${pattern}`;
  const cached = globCache.get(key);
  if (cached) return cached;
  const any = separator ? `[^${escapeRegExp(separator)}]` : '[\\s\\S]';
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      out += escapeRegExp(pattern[++i]);
    } else if (c === '*') {
      out += `${any}*`;
    } else if (c === '?') {
      out += any;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) {
      out += '|';
    } else {
      out += escapeRegExp(c);
    }
  }
  let re: RegExp;
  try {
    re = new RegExp(`^${out}$`);
  } catch {
    re = /$^/;
  }
  globCache.set(key, re);
  return re;
}

/** gobwas-style glob match (see {@link compileGlob}). */
export function globMatch(
  pattern: string,
  value: string,
  options: { allowNegation?: boolean; separator?: string } = {},
): boolean {
  if (options.allowNegation && pattern.startsWith('!')) {
    return !compileGlob(pattern.slice(1), options.separator).test(value);
  }
  if (pattern === '*') return true;
  return compileGlob(pattern, options.separator).test(value);
}
