/**
 * AppProject sync windows as Argo CD evaluates them (`sync_windows` in
 * `types.go`): cron schedules (`robfig/cron`), Go durations, time zones,
 * which windows match an Application and whether they allow a sync.
 */
import { Application, AppProject, SyncWindow } from '../types';
import { globMatch } from './glob';

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
