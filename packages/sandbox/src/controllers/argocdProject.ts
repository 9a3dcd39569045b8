/**
 * AppProject rules as Argo CD applies them (`app_project_types.go`,
 * `util/argo/argo.go`, `sync_windows` in `types.go`): source repositories,
 * destinations, resource allow and deny lists, sync windows.
 */
import {
  Application,
  ApplicationCondition,
  ApplicationDestination,
  AppProject,
  GroupKind,
  IN_CLUSTER_NAME,
  IN_CLUSTER_SERVER,
  SyncWindow,
  sourceOf,
} from './argocdTypes';

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

const isDenyPattern = (p: string | undefined) => Boolean(p?.startsWith('!'));

/** Argo CD's `git.NormalizeGitURL`: lower case, no `.git` suffix, SSH forms unified. */
export function normalizeGitURL(repo: string): string {
  let r = repo.trim().toLowerCase();
  const scpLike = /^[\w.-]+@[\w.-]+:(?!\/\/)/.test(r);
  if (scpLike) r = r.replace(':', '/');
  if (r.endsWith('.git')) r = r.slice(0, -4);
  return r.replace(/^ssh:\/\//, '');
}

/** `AppProject.IsSourcePermitted`. */
export function isSourcePermitted(proj: AppProject, repoURL: string): boolean {
  const src = normalizeGitURL(repoURL);
  let any = false;
  for (const repo of proj.spec?.sourceRepos ?? []) {
    const normalized = isDenyPattern(repo)
      ? `!${normalizeGitURL(repo.slice(1))}`
      : normalizeGitURL(repo);
    const matched = globMatch(normalized, src, {
      allowNegation: true,
      separator: '/',
    });
    if (matched) any = true;
    else if (isDenyPattern(normalized)) return false;
  }
  return any;
}

/** A cluster the sandbox's Argo CD knows: only the one it runs in. */
export interface DestinationCluster {
  server: string;
  name: string;
}

/**
 * Resolves `spec.destination` to a known cluster, as `GetDestinationCluster`
 * does; throws with Argo CD's message when it cannot.
 */
export function destinationCluster(
  dest: ApplicationDestination,
): DestinationCluster {
  const server = dest.server?.replace(/\/+$/, '');
  if (dest.name && server) {
    throw new Error(
      `application destination can't have both name and server defined: ${dest.name} ${dest.server}`,
    );
  }
  if (dest.name) {
    if (dest.name !== IN_CLUSTER_NAME) {
      throw new Error(
        `error getting cluster by name "${dest.name}": there are no clusters with this name: ${dest.name}`,
      );
    }
    return { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME };
  }
  if (!server) throw new Error('Destination server missing from app spec');
  if (server !== IN_CLUSTER_SERVER) {
    throw new Error(
      `error getting cluster by server "${dest.server}": rpc error: code = NotFound desc = cluster "${dest.server}" not found`,
    );
  }
  return { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME };
}

/** `AppProject.isDestinationMatched` for a cluster and namespace. */
export function isDestinationPermitted(
  proj: AppProject,
  cluster: DestinationCluster,
  namespace: string,
): boolean {
  let any = false;
  for (const item of proj.spec?.destinations ?? []) {
    const nameMatched =
      item.name !== undefined &&
      item.name !== '' &&
      globMatch(item.name, cluster.name, { allowNegation: true });
    const serverMatched =
      item.server !== undefined &&
      item.server !== '' &&
      globMatch(item.server, cluster.server, { allowNegation: true });
    const nsMatched = globMatch(item.namespace ?? '', namespace, {
      allowNegation: true,
    });
    if ((serverMatched || nameMatched) && nsMatched) any = true;
    else if (
      (!nameMatched && isDenyPattern(item.name)) ||
      (!serverMatched && isDenyPattern(item.server)) ||
      (!nsMatched && isDenyPattern(item.namespace))
    ) {
      return false;
    }
  }
  return any;
}

function inList(list: GroupKind[], group: string, kind: string, name?: string) {
  return list.some(
    item =>
      globMatch(item.kind ?? '', kind, { separator: '/' }) &&
      globMatch(item.group ?? '', group, { separator: '/' }) &&
      (!item.name || name === undefined || globMatch(item.name, name)),
  );
}

/**
 * `AppProject.IsGroupKindNamePermitted`: namespaced kinds need the
 * namespace allow list (absent = everything) and not the deny list;
 * cluster-scoped kinds need an explicit entry in the cluster allow list.
 */
export function isGroupKindPermitted(
  proj: AppProject,
  group: string,
  kind: string,
  namespaced: boolean,
  name?: string,
): boolean {
  const spec = proj.spec ?? {};
  if (namespaced) {
    const white = spec.namespaceResourceWhitelist;
    const black = spec.namespaceResourceBlacklist ?? [];
    const whiteListed =
      white === undefined || (white.length > 0 && inList(white, group, kind));
    return whiteListed && !(black.length > 0 && inList(black, group, kind));
  }
  const white = spec.clusterResourceWhitelist ?? [];
  const black = spec.clusterResourceBlacklist ?? [];
  return (
    white.length > 0 &&
    inList(white, group, kind, name) &&
    !(black.length > 0 && inList(black, group, kind, name))
  );
}

/**
 * `argo.ValidatePermissions`: the InvalidSpecError conditions of an
 * Application in its project (source, destination cluster, destination).
 */
export function validatePermissions(
  app: Application,
  proj: AppProject,
): ApplicationCondition[] {
  const conditions: ApplicationCondition[] = [];
  const source = sourceOf(app);
  if (!source?.repoURL || (!source.path && !source.chart && !source.ref)) {
    conditions.push({
      type: 'InvalidSpecError',
      message:
        'spec.source.repoURL and either spec.source.path, spec.source.chart, or spec.source.ref are required',
    });
    return conditions;
  }
  if (!isSourcePermitted(proj, source.repoURL)) {
    conditions.push({
      type: 'InvalidSpecError',
      message: `application repo ${source.repoURL} is not permitted in project '${proj.metadata.name}'`,
    });
  }
  let cluster: DestinationCluster;
  try {
    cluster = destinationCluster(app.spec.destination ?? {});
  } catch (e) {
    conditions.push({
      type: 'InvalidSpecError',
      message: (e as Error).message,
    });
    return conditions;
  }
  const namespace = app.spec.destination?.namespace ?? '';
  if (!isDestinationPermitted(proj, cluster, namespace)) {
    conditions.push({
      type: 'InvalidSpecError',
      message: `application destination server '${cluster.server}' and namespace '${namespace}' do not match any of the allowed destinations in project '${proj.metadata.name}'`,
    });
  }
  return conditions;
}

// ---------------------------------------------------------------------------
// Sync windows

const MONTHS = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface CronField {
  values: Set<number>;
  star: boolean;
}

interface CronSchedule {
  minute: CronField;
  hour: CronField;
  dom: CronField;
  month: CronField;
  dow: CronField;
}

function parseCronField(
  text: string,
  min: number,
  max: number,
  names?: string[],
): CronField {
  const values = new Set<number>();
  const value = (s: string) => {
    const i = names?.indexOf(s.toLowerCase()) ?? -1;
    if (i >= 0) return i + (names === MONTHS ? 1 : 0);
    if (!/^\d+$/.test(s)) throw new Error(`failed to parse int from ${s}`);
    return parseInt(s, 10);
  };
  let star = false;
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : value(stepText);
    if (step <= 0) throw new Error(`step must be positive: ${part}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
      if (stepText === undefined) star = true;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = value(a);
      hi = value(b);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) {
      throw new Error(`end of range (${hi}) above maximum (${max}): ${part}`);
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * Parses a standard 5-field cron expression (minute hour day-of-month month
 * day-of-week) with ranges, steps, lists, month and day names and the
 * `@daily`-style descriptors, as `robfig/cron` does for sync windows.
 */
export function parseCron(expression: string): CronSchedule {
  const text = DESCRIPTORS[expression.trim()] ?? expression.trim();
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    throw new Error(
      `expected exactly 5 fields, found ${fields.length}: ${expression}`,
    );
  }
  return {
    minute: parseCronField(fields[0], 0, 59),
    hour: parseCronField(fields[1], 0, 23),
    dom: parseCronField(fields[2], 1, 31),
    month: parseCronField(fields[3], 1, 12, MONTHS),
    dow: parseCronField(fields[4], 0, 6, DAYS),
  };
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.dom.values.has(d.getUTCDate());
  const dow = s.dow.values.has(d.getUTCDay());
  // robfig/cron: with both day fields restricted, either may match.
  if (s.dom.star || s.dow.star) return dom && dow;
  return dom || dow;
}

/** The first time strictly after `after` (whole minutes, UTC) the schedule fires. */
export function nextCronTime(s: CronSchedule, after: Date): Date | undefined {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 24 * 3600_000;
  while (t.getTime() < limit) {
    if (!s.month.values.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(s, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hour.values.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!s.minute.values.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t;
  }
  return undefined;
}

/** Parses a Go duration (`1h`, `30m`, `1h30m`, `90s`, `1.5h`) into ms. */
export function parseGoDuration(text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  re.lastIndex = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += parseFloat(m[1]) * units[m[2]];
    consumed = re.lastIndex;
  }
  if (!body || consumed !== body.length) {
    throw new Error(`time: invalid duration "${text}"`);
  }
  return sign * total;
}

/** Offset of a time zone from UTC, in ms, at `at` (0 for UTC or unknown). */
function timeZoneOffsetMs(timeZone: string | undefined, at: Date): number {
  if (!timeZone || timeZone === 'UTC') return 0;
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      timeZoneName: 'longOffset',
    }).formatToParts(at);
    const name = parts.find(p => p.type === 'timeZoneName')?.value ?? '';
    const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
    if (!m) return 0;
    const ms = (parseInt(m[2], 10) * 60 + parseInt(m[3] ?? '0', 10)) * 60_000;
    return m[1] === '-' ? -ms : ms;
  } catch {
    return 0;
  }
}

/**
 * `SyncWindow.active`: the window is active when its schedule fired less
 * than `duration` ago (in the window's time zone). Throws on an invalid
 * schedule or duration.
 */
export function isWindowActive(window: SyncWindow, at: Date = new Date()) {
  const schedule = parseCron(window.schedule ?? '');
  const duration = parseGoDuration(window.duration ?? '');
  const offset = timeZoneOffsetMs(window.timeZone, at);
  const next = nextCronTime(
    schedule,
    new Date(at.getTime() + offset - duration),
  );
  return next !== undefined && next.getTime() < at.getTime() + offset;
}

/** `SyncWindows.Matches`: the windows of a project that apply to an Application. */
export function matchingWindows(
  proj: AppProject | undefined,
  app: Application,
): SyncWindow[] {
  const out: SyncWindow[] = [];
  const dest = app.spec?.destination ?? {};
  for (const w of proj?.spec?.syncWindows ?? []) {
    const appMatch = (w.applications ?? []).some(a =>
      globMatch(a, app.metadata.name),
    );
    const clusterMatch = (w.clusters ?? []).some(
      c =>
        (Boolean(dest.name) && globMatch(c, dest.name!)) ||
        (Boolean(dest.server) && globMatch(c, dest.server!)),
    );
    const nsMatch = (w.namespaces ?? []).some(n =>
      globMatch(n, dest.namespace ?? ''),
    );
    if (w.andOperator) {
      const criteria = [
        [w.applications?.length, appMatch],
        [w.clusters?.length, clusterMatch],
        [w.namespaces?.length, nsMatch],
      ].filter(([len]) => len);
      if (criteria.length > 0 && criteria.every(([, ok]) => ok)) out.push(w);
    } else if (appMatch || clusterMatch || nsMatch) {
      out.push(w);
    }
  }
  return out;
}

/**
 * `SyncWindows.CanSync`: an active deny window blocks (unless manual syncs
 * are allowed and this is one); an active allow window permits; with allow
 * windows defined but none active, only manual syncs they allow pass.
 * Throws `invalid sync windows: …` for an unparsable window.
 */
export function canSync(
  windows: SyncWindow[],
  isManual: boolean,
  at: Date = new Date(),
): boolean {
  if (windows.length === 0) return true;
  let active: SyncWindow[];
  let inactive: SyncWindow[];
  try {
    active = windows.filter(w => isWindowActive(w, at));
    inactive = windows.filter(w => !active.includes(w));
  } catch (e) {
    throw new Error(`invalid sync windows: ${(e as Error).message}`);
  }
  const denies = active.filter(w => w.kind === 'deny');
  if (denies.length > 0) {
    return isManual && denies.every(w => w.manualSync);
  }
  if (active.some(w => w.kind === 'allow')) return true;
  const inactiveAllows = inactive.filter(w => w.kind === 'allow');
  if (inactiveAllows.length > 0) {
    return isManual && inactiveAllows.some(w => w.manualSync);
  }
  return true;
}
