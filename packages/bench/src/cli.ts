/**
 * `yarn bench [--smoke] [--only <ids>] [--out <dir>]`: runs the benchmarks
 * against the sandbox and writes `bench/results/<timestamp>.{md,json}`.
 */
import { relative, resolve } from 'node:path';
import { SCENARIOS, runBench, writeReport } from './run';
import { REPO_ROOT } from './util';

function usage(): never {
  process.stderr.write(
    `Usage: yarn bench [--smoke] [--only ${SCENARIOS.join(
      ',',
    )}] [--out <dir>]\n`,
  );
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  let smoke = false;
  let only: string[] | undefined;
  let out = resolve(REPO_ROOT, 'bench/results');
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--smoke') smoke = true;
    else if (a === '--only') {
      only = (args[++i] ?? '').split(',').filter(Boolean);
      if (
        !only.length ||
        only.some(o => !(SCENARIOS as readonly string[]).includes(o))
      )
        usage();
    } else if (a === '--out') out = resolve(args[++i] ?? usage());
    else usage();
  }
  const started = Date.now();
  const log = (line: string) =>
    process.stderr.write(
      `[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`,
    );
  const report = await runBench({ mode: smoke ? 'smoke' : 'full', only, log });
  const files = await writeReport(report, out);
  process.stdout.write(`${report.reading.map(l => `- ${l}`).join('\n')}\n\n`);
  process.stdout.write(
    `Report: ${relative(process.cwd(), files.markdown)} and ${relative(
      process.cwd(),
      files.json,
    )}\n`,
  );
  const failed = report.scenarios.filter(s => s.error);
  process.exit(failed.length ? 1 : 0);
}

main().catch(e => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
