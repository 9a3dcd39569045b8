/**
 * The benchmark report: what each scenario measured, the naive design
 * beside ours, the targets, the machine, and its rendering as markdown.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release, platform, loadavg } from 'node:os';
import { Summary } from './stats';

/** Ours against the naive design, measured in the same run. */
export interface Comparison {
  what: string;
  unit: string;
  ours: number;
  naive: number;
  /** naive / ours (how many times better ours is); undefined when ours is 0. */
  factor?: number;
  note?: string;
}

/** A target of the issue and whether this run met it. */
export interface Target {
  target: string;
  measured: string;
  met: boolean;
  /** When missed: by how much and why, and what would meet it. */
  note?: string;
}

/** What one scenario reports. */
export interface ScenarioResult {
  id: string;
  title: string;
  /** How it was measured, in a few sentences. */
  method: string;
  /** The parameters it ran with. */
  parameters: Record<string, string | number | boolean>;
  comparisons: Comparison[];
  /** Latency distributions by name. */
  latencies: Record<string, Summary>;
  /** Other figures by name (counts, sizes, ratios). */
  figures: Record<string, number | string>;
  /** Tables worth showing as they are (rows of cells). */
  tables?: Array<{ title: string; header: string[]; rows: string[][] }>;
  targets: Target[];
  notes: string[];
  /** How long the scenario took, seconds. */
  seconds?: number;
  /** Set when the scenario failed: the error. */
  error?: string;
}

/** The machine the run was on. */
export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started (other work on the machine). */
  loadAverageAtStart: number;
}

/** The whole report. */
export interface BenchReport {
  mode: 'full' | 'smoke';
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  git?: { commit: string; dirty: boolean };
  scenarios: ScenarioResult[];
  /** A short reading of the results, in sentences. */
  reading: string[];
}

/** Describes this machine. */
export function machine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model?.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverageAtStart: Math.round(loadavg()[0] * 100) / 100,
  };
}

/** The checkout's commit and whether it has local changes, when git answers. */
export function gitState(cwd: string): BenchReport['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return undefined;
  }
}

/** Rounds for display: integers as they are, others to 3 significant digits. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return 'n/a';
  if (!Number.isFinite(n)) return '∞';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const abs = Math.abs(n);
  if (abs >= 100) return Math.round(n).toLocaleString('en-US');
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

function factorCell(c: Comparison): string {
  if (c.factor !== undefined) return `${fmt(c.factor)}×`;
  return c.ours === 0 && c.naive > 0 ? 'ours is 0' : 'n/a';
}

function table(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map(r => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The report as markdown. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [];
  out.push(`# Benchmarks (${report.mode})`);
  out.push('');
  const commit = report.git
    ? `, commit ${report.git.commit}${
        report.git.dirty ? ' with local changes' : ''
      }`
    : '';
  out.push(`Run ${report.startedAt} to ${report.finishedAt}${commit}.`);
  out.push('');
  out.push(
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node.js ${m.node}, ${m.os}; load average ${m.loadAverageAtStart} at start (the machine is shared).`,
  );
  out.push('');
  out.push('## Reading');
  out.push('');
  for (const line of report.reading) out.push(`- ${line}`);
  out.push('');
  out.push('## Targets');
  out.push('');
  const targetRows: string[][] = [];
  for (const s of report.scenarios) {
    if (s.error) {
      targetRows.push([s.title, 'the scenario failed', s.error, 'no']);
    }
    for (const t of s.targets) {
      targetRows.push([
        s.title,
        t.target,
        t.measured,
        t.met ? 'yes' : `**no**${t.note ? `: ${t.note}` : ''}`,
      ]);
    }
  }
  out.push(table(['Scenario', 'Target', 'Measured', 'Met'], targetRows));
  out.push('');
  for (const s of report.scenarios) {
    out.push(`## ${s.title}`);
    out.push('');
    out.push(s.method);
    out.push('');
    const params = Object.entries(s.parameters)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`)
      .join(', ');
    if (params)
      out.push(
        `Parameters: ${params}.${
          s.seconds !== undefined ? ` Took ${fmt(s.seconds)} s.` : ''
        }`,
      );
    out.push('');
    if (s.error) {
      out.push(`**Failed:** ${s.error}`);
      out.push('');
      continue;
    }
    if (s.comparisons.length) {
      out.push(
        table(
          ['', 'Ours', 'Naive', 'Naive / ours'],
          s.comparisons.map(c => [
            `${c.what} (${c.unit})${c.note ? ` — ${c.note}` : ''}`,
            fmt(c.ours),
            fmt(c.naive),
            factorCell(c),
          ]),
        ),
      );
      out.push('');
    }
    const lat = Object.entries(s.latencies);
    if (lat.length) {
      out.push(
        table(
          ['Latency (ms)', 'n', 'p50', 'mean', 'p95', 'max'],
          lat.map(([name, v]) => [
            name,
            fmt(v.count),
            fmt(v.p50),
            fmt(v.mean),
            fmt(v.p95),
            fmt(v.max),
          ]),
        ),
      );
      out.push('');
    }
    for (const t of s.tables ?? []) {
      out.push(`${t.title}:`);
      out.push('');
      out.push(table(t.header, t.rows));
      out.push('');
    }
    const figs = Object.entries(s.figures);
    if (figs.length) {
      out.push(
        table(
          ['Figure', 'Value'],
          figs.map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : v]),
        ),
      );
      out.push('');
    }
    for (const n of s.notes) out.push(`- ${n}`);
    if (s.notes.length) out.push('');
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
