/**
 * Runs the benchmark scenarios in the order that shares their set-up and
 * puts the report together.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixtureEnvironments } from './fixtures';
import { startFleet } from './fleet';
import {
  BenchReport,
  ScenarioResult,
  fmt,
  gitState,
  machine,
  renderMarkdown,
} from './report';
import {
  bootstrapScenario,
  bootstrapTemplatePart,
} from './scenarios/bootstrap';
import { checklistScenario } from './scenarios/checklist';
import { coalescingScenario } from './scenarios/coalescing';
import { requestsScenario } from './scenarios/requests';
import { scaleScenario } from './scenarios/scale';
import { signalScenario } from './scenarios/signal';
import { REPO_ROOT } from './util';
import { startWorld } from './world';

/** The sizes of a run. */
export interface BenchSizes {
  /** Environments of scenarios 1, 2 and 4, each on a cluster of its own. */
  environments: number;
  resources: number;
  viewers: number;
  durationMs: number;
  thinkMs: number;
  tickMs: number;
  concurrent: number;
  coldMs: number;
  changes: number;
  maxGapMs: number;
  pollMs: number;
  scaleSizes: number[];
  /** Scenario 5 serves and watches at most this many clusters (one per environment). */
  scaleWatchedMax: number;
  scaleRequests: number;
  pageSize: number;
  checklistLatencyMs: number;
  checklistRuns: number;
  bootstrapLatencyMs: number;
}

/** The sizes of issue 8. */
export const FULL: BenchSizes = {
  environments: 500,
  resources: 25,
  viewers: 100,
  durationMs: 60_000,
  thinkMs: 1_000,
  tickMs: 5_000,
  concurrent: 100,
  coldMs: 1_000,
  changes: 50,
  maxGapMs: 300,
  pollMs: 10_000,
  scaleSizes: [1, 100, 5_000],
  scaleWatchedMax: 1_000,
  scaleRequests: 100,
  pageSize: 100,
  checklistLatencyMs: 200,
  checklistRuns: 5,
  bootstrapLatencyMs: 50,
};

/** Tiny sizes: every scenario, in about a minute. */
export const SMOKE: BenchSizes = {
  environments: 12,
  resources: 25,
  viewers: 4,
  durationMs: 1_500,
  thinkMs: 100,
  tickMs: 500,
  concurrent: 10,
  coldMs: 300,
  changes: 4,
  maxGapMs: 50,
  pollMs: 500,
  scaleSizes: [1, 10, 30],
  // Below the largest size, so the smoke run covers records without a
  // served cluster too (the page stays on watched clusters).
  scaleWatchedMax: 20,
  scaleRequests: 5,
  pageSize: 10,
  checklistLatencyMs: 20,
  checklistRuns: 1,
  bootstrapLatencyMs: 5,
};

/** The scenarios, by id, in the report's order. */
export const SCENARIOS = [
  'requests',
  'coalescing',
  'checklist',
  'signal',
  'scale',
  'bootstrap',
] as const;

/** Options of {@link runBench}. */
export interface RunOptions {
  mode: 'full' | 'smoke';
  /** Override some sizes. */
  sizes?: Partial<BenchSizes>;
  /** Only these scenarios. */
  only?: string[];
  /** Progress lines. */
  log?: (line: string) => void;
}

function emptyResult(id: string, title: string): ScenarioResult {
  return {
    id,
    title,
    method: '',
    parameters: {},
    comparisons: [],
    latencies: {},
    figures: {},
    targets: [],
    notes: [],
  };
}

async function timedScenario(
  id: string,
  title: string,
  log: (line: string) => void,
  fn: () => Promise<ScenarioResult>,
): Promise<ScenarioResult> {
  log(`${title}...`);
  const start = performance.now();
  try {
    const result = await fn();
    result.seconds = Math.round((performance.now() - start) / 100) / 10;
    log(`${title}: done in ${result.seconds} s`);
    return result;
  } catch (e) {
    const error = String((e as Error)?.stack ?? e);
    log(`${title}: FAILED: ${error}`);
    return {
      ...emptyResult(id, title),
      error: (e as Error)?.message ?? String(e),
      seconds: Math.round((performance.now() - start) / 100) / 10,
    };
  }
}

/** Runs the benchmarks and returns the report. */
export async function runBench(options: RunOptions): Promise<BenchReport> {
  const sizes = {
    ...(options.mode === 'full' ? FULL : SMOKE),
    ...options.sizes,
  };
  const log = options.log ?? (() => {});
  const wanted = (id: string) => !options.only || options.only.includes(id);
  const startedAt = new Date().toISOString();
  const host = machine();
  const results = new Map<string, ScenarioResult>();

  // Scenarios 1, 2 and 4 share one fleet of environments, each on a
  // cluster of its own (a record binds one environment to one cluster).
  if (wanted('requests') || wanted('coalescing') || wanted('signal')) {
    const envs = fixtureEnvironments(sizes.environments);
    const fleet = await startFleet(envs.map(e => e.cluster));
    try {
      log(
        `Seeding ${envs.length} environments on ${fleet.clusters.length} clusters...`,
      );
      const uids = fleet.seed(envs, { resources: sizes.resources });
      if (wanted('requests')) {
        results.set(
          'requests',
          await timedScenario(
            'requests',
            '1. Upstream requests per page view',
            log,
            () =>
              requestsScenario({
                fleet,
                environments: envs,
                uids,
                resources: sizes.resources,
                viewers: sizes.viewers,
                durationMs: sizes.durationMs,
                thinkMs: sizes.thinkMs,
                tickMs: sizes.tickMs,
              }),
          ),
        );
      }
      if (wanted('coalescing')) {
        results.set(
          'coalescing',
          await timedScenario(
            'coalescing',
            '2. Coalescing with a cold cache',
            log,
            () =>
              coalescingScenario({
                fleet,
                environment: envs[envs.length - 1],
                concurrent: sizes.concurrent,
                coldMs: sizes.coldMs,
              }),
          ),
        );
      }
      if (wanted('signal')) {
        results.set(
          'signal',
          await timedScenario('signal', '4. Change to browser', log, () =>
            signalScenario({
              fleet,
              environments: envs,
              uids,
              resources: sizes.resources,
              changes: Math.min(sizes.changes, envs.length),
              maxGapMs: sizes.maxGapMs,
              pollMs: sizes.pollMs,
            }),
          ),
        );
      }
    } finally {
      await fleet.stop();
    }
  }

  if (wanted('scale')) {
    results.set(
      'scale',
      await timedScenario('scale', '5. Scale', log, () =>
        scaleScenario({
          sizes: sizes.scaleSizes,
          watchedMax: sizes.scaleWatchedMax,
          resources: sizes.resources,
          requests: sizes.scaleRequests,
          pageSize: sizes.pageSize,
        }),
      ),
    );
  }

  // Scenarios 6 and 3 share the whole sandbox: the template bootstraps the
  // environment the checklist then checks.
  if (wanted('bootstrap') || wanted('checklist')) {
    log('Starting the sandbox...');
    const world = await startWorld();
    try {
      const bootstrap = {
        world,
        latencyMs: sizes.bootstrapLatencyMs,
        templateEnvironment: 'bench-prod',
        graphEnvironment: 'bench-graph',
      };
      let template:
        | Awaited<ReturnType<typeof bootstrapTemplatePart>>
        | undefined;
      const templateResult = await timedScenario(
        'bootstrap',
        '6. Bootstrap (phase 1): the template',
        log,
        async () => {
          template = await bootstrapTemplatePart(bootstrap);
          return emptyResult('bootstrap', '6. Bootstrap (phase 1)');
        },
      );
      if (templateResult.error) {
        results.set('bootstrap', {
          ...templateResult,
          title: '6. Bootstrap (phase 1)',
        });
        if (wanted('checklist')) {
          results.set('checklist', {
            ...templateResult,
            id: 'checklist',
            title: '3. Checklist latency',
            error: `no environment to check: the template failed (${templateResult.error})`,
          });
        }
      } else {
        if (wanted('checklist')) {
          results.set(
            'checklist',
            await timedScenario('checklist', '3. Checklist latency', log, () =>
              checklistScenario({
                world,
                environment: bootstrap.templateEnvironment,
                latencyMs: sizes.checklistLatencyMs,
                runs: sizes.checklistRuns,
              }),
            ),
          );
        }
        if (wanted('bootstrap')) {
          const result = await timedScenario(
            'bootstrap',
            '6. Bootstrap (phase 1): the dependency graph',
            log,
            () => bootstrapScenario(bootstrap, template!),
          );
          result.seconds =
            (result.seconds ?? 0) + (templateResult.seconds ?? 0);
          results.set('bootstrap', result);
        }
      }
    } finally {
      await world.stop();
    }
  }

  const scenarios = SCENARIOS.filter(id => results.has(id)).map(
    id => results.get(id)!,
  );
  return {
    mode: options.mode,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: host,
    git: gitState(REPO_ROOT),
    scenarios,
    reading: reading(scenarios),
  };
}

/** A short reading: per scenario, the headline comparison and the targets. */
export function reading(scenarios: ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const s of scenarios) {
    if (s.error) {
      lines.push(`${s.title}: failed (${s.error}).`);
      continue;
    }
    const c = s.comparisons[0];
    let versus = '';
    if (c?.factor !== undefined) {
      versus = ` (${fmt(c.factor)}× ${c.factor >= 1 ? 'better' : 'worse'})`;
    } else if (c && c.ours === 0 && c.naive > 0) {
      versus = ' (ours makes none)';
    }
    const headline = c
      ? `${c.what}: ours ${fmt(c.ours)} ${c.unit}, naive ${fmt(c.naive)} ${
          c.unit
        }${versus}`
      : undefined;
    const targets = s.targets
      .map(t =>
        t.met
          ? `met "${t.target}" (${t.measured})`
          : `MISSED "${t.target}" (${t.measured}${
              t.note ? `; ${t.note}` : ''
            })`,
      )
      .join('; ');
    lines.push(
      `${s.title}: ${[headline, targets].filter(Boolean).join('. ')}.`,
    );
  }
  return lines;
}

/** Writes `<dir>/<timestamp>.md` and `.json`; returns their paths. */
export async function writeReport(
  report: BenchReport,
  dir: string,
): Promise<{ markdown: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const base = join(dir, `${stamp}${report.mode === 'smoke' ? '-smoke' : ''}`);
  const markdown = `${base}.md`;
  const json = `${base}.json`;
  await writeFile(markdown, renderMarkdown(report));
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  return { markdown, json };
}
