/**
 * The smoke benchmark (`yarn bench --smoke`: every scenario at tiny sizes)
 * run as the CLI runs it, in a process of its own, and its report checked
 * for every scenario and for numbers that make sense. No timing
 * thresholds: those belong to the full run's report, not to a unit test.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport, ScenarioResult } from './report';
import { SCENARIOS, SMOKE } from './run';

jest.setTimeout(600_000);

function runSmoke(out: string): Promise<{ code: number; stderr: string }> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [
        '--expose-gc',
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        join(__dirname, 'cli.ts'),
        '--smoke',
        '--out',
        out,
      ],
      { cwd: join(__dirname, '..'), maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        resolve({ code: error ? (error.code as number) ?? 1 : 0, stderr });
      },
    );
  });
}

const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n);

describe('yarn bench --smoke', () => {
  let out: string;
  let report: BenchReport;
  let markdown: string;
  const scenario = (id: string): ScenarioResult =>
    report.scenarios.find(s => s.id === id)!;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    const { code, stderr } = await runSmoke(out);
    const files = await readdir(out);
    const json = files.find(f => f.endsWith('-smoke.json'));
    if (!json) {
      throw new Error(
        `no report written (exit ${code}):\n${stderr.slice(-4000)}`,
      );
    }
    report = JSON.parse(await readFile(join(out, json), 'utf8'));
    markdown = await readFile(
      join(out, json.replace(/\.json$/, '.md')),
      'utf8',
    );
    if (code !== 0) {
      throw new Error(
        `the smoke run failed (exit ${code}):\n${stderr.slice(-4000)}`,
      );
    }
  });

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('reports every scenario, none failed, with the machine and a reading', () => {
    expect(report.mode).toBe('smoke');
    expect(report.scenarios.map(s => s.id)).toEqual([...SCENARIOS]);
    for (const s of report.scenarios) {
      expect({ id: s.id, error: s.error }).toEqual({
        id: s.id,
        error: undefined,
      });
      expect(s.targets.length).toBeGreaterThan(0);
      expect(s.method).not.toBe('');
    }
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.memoryGiB).toBeGreaterThan(0);
    expect(report.machine.cpuModel).not.toBe('');
    expect(report.machine.node).toBe(process.version);
    expect(report.reading).toHaveLength(SCENARIOS.length);
    for (const s of report.scenarios)
      expect(markdown).toContain(`## ${s.title}`);
    expect(markdown).toContain('Machine:');
  });

  it('counts no upstream request per page view for ours, one per Application for the naive fetch', () => {
    const s = scenario('requests');
    const [perView, atServices, inWindow] = s.comparisons;
    expect(perView.ours).toBe(0);
    expect(atServices.ours).toBe(0);
    expect(inWindow.ours).toBe(0);
    expect(perView.naive).toBeGreaterThanOrEqual(2);
    expect(inWindow.naive).toBeGreaterThan(0);
    expect(s.figures['page views through the plugin']).toBeGreaterThan(0);
  });

  it('coalesces concurrent cold requests into as many upstream requests as one', () => {
    const [many, one] = scenario('coalescing').comparisons;
    expect(many.ours).toBeLessThanOrEqual(one.ours);
    expect(many.naive).toBe(SMOKE.concurrent * one.naive);
  });

  it('times every probe of the checklist, in parallel and one after another', () => {
    const s = scenario('checklist');
    expect(s.tables?.[0].rows).toHaveLength(10);
    const [wall] = s.comparisons;
    expect(finite(wall.ours) && wall.ours > 0).toBe(true);
    expect(finite(wall.naive) && wall.naive > 0).toBe(true);
  });

  it('measures every change to signal, ours and the polling page', () => {
    const s = scenario('signal');
    const lat = Object.values(s.latencies);
    expect(lat.map(l => l.count)).toEqual([SMOKE.changes, SMOKE.changes]);
    for (const l of lat) expect(finite(l.p50) && l.p50 >= 0).toBe(true);
  });

  it('reports memory and list latency for every size', () => {
    const s = scenario('scale');
    expect(s.tables?.[0].rows.map(r => Number(r[0]))).toEqual(SMOKE.scaleSizes);
    for (const row of s.tables![0].rows) {
      // Clusters watched: one per environment, up to the cap.
      expect(Number(row[1])).toBe(
        Math.min(Number(row[0]), SMOKE.scaleWatchedMax),
      );
      expect(Number(row[2])).toBeGreaterThan(0); // RSS MiB, watching
      expect(Number(row[3])).toBeGreaterThan(0); // RSS MiB, cache full
      // List p50 / p95 with the permission backend and with allow-all.
      expect(row[7]).toMatch(/^\d+(\.\d)? \/ \d+(\.\d)?$/);
      expect(row[8]).toMatch(/^\d+(\.\d)? \/ \d+(\.\d)?$/);
    }
    expect(finite(s.figures['KB of RSS per environment (largest size)'])).toBe(
      true,
    );
  });

  it('puts the bootstrap, claim first, beside its critical path', () => {
    const s = scenario('bootstrap');
    const rows = s.tables![0].rows;
    expect(rows.map(r => r[0]).slice(0, 2)).toEqual(['validate', 'claim']);
    expect(rows.map(r => r[0])).not.toContain('sync');
    // Every step but the validation waits for something (the claim).
    expect(
      rows.filter(r => r[0] !== 'validate' && r[1] === '—').map(r => r[0]),
    ).toEqual([]);
    // Both runs ran every step (the graph run leaves out the catalog
    // registration): the steps without a duration.
    expect(rows.filter(r => !/^\d+$/.test(r[2])).map(r => r[0])).toEqual([]);
    expect(rows.filter(r => !/^\d+$/.test(r[4])).map(r => r[0])).toEqual([
      'catalog',
    ]);
    const f = s.figures;
    const wall = f['template: submit to phase 1 done ms'] as number;
    const cp = f['template: critical path ms'] as number;
    const sum = f['template: sum of the steps ms'] as number;
    expect(cp).toBeGreaterThan(0);
    // Steps run one after another inside the wall time.
    expect(sum).toBeLessThanOrEqual(wall);
    expect(cp).toBeLessThanOrEqual(sum);
    expect(f['graph run: wall ms'] as number).toBeGreaterThanOrEqual(
      (f['graph run: critical path ms'] as number) - 1,
    );
  });
});
