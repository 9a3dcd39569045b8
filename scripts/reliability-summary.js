#!/usr/bin/env node
/*
 * Prints the reliability suite's summary: the counts the tests recorded in
 * test-artifacts/reliability/summary.jsonl from what they observed (faults
 * injected, restarts survived, inputs rejected, authorization matrix cells
 * checked, secret surfaces searched, attacks on the trust boundary refused
 * of tried), and fails when a line is below its minimum (what one full run
 * of the suite records; see "Reliability summary" in README.md) or an
 * attack tried was not refused. `--reset` empties it before a run;
 * `--file <path>` reads another records file.
 */
'use strict';

const { existsSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

/** The least each line must count after a full run of the test suite. */
const MINIMUMS = {
  'faults injected': 30,
  'restarts survived': 9,
  'inputs rejected': 600,
  'matrix cells checked': 112,
  'secret surfaces searched': 12,
  'attacks tried': 21,
  'attacks refused': 21,
};

const fileArg = process.argv.indexOf('--file');
const FILE =
  fileArg >= 0
    ? process.argv[fileArg + 1]
    : join(__dirname, '..', 'test-artifacts/reliability/summary.jsonl');

if (process.argv.includes('--reset')) {
  rmSync(FILE, { force: true });
  process.exit(0);
}

const totals = new Map();
if (existsSync(FILE)) {
  for (const line of readFileSync(FILE, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const { metric, count, source } = JSON.parse(line);
    const entry = totals.get(metric) ?? { count: 0, sources: new Map() };
    entry.count += count;
    entry.sources.set(source, (entry.sources.get(source) ?? 0) + count);
    totals.set(metric, entry);
  }
}
console.log('\nReliability summary');
const tried = totals.get('attacks tried');
const refused = totals.get('attacks refused');
const metrics = [
  ...Object.keys(MINIMUMS),
  ...[...totals.keys()].filter(m => !(m in MINIMUMS)),
];
const problems = [];
for (const metric of metrics) {
  if (metric === 'attacks tried') continue;
  const { count, sources } = totals.get(metric) ?? {
    count: 0,
    sources: new Map(),
  };
  const parts = [...sources].map(([s, n]) => `${s} ${n}`).join(', ');
  const min = MINIMUMS[metric];
  const shown =
    metric === 'attacks refused'
      ? // An attack counts as refused only once every assertion about it held.
        `${count} of ${tried?.count ?? 0}`
      : String(count);
  console.log(
    `  ${metric.padEnd(26)} ${shown.padStart(9)}  (${parts || 'none'})${
      min !== undefined ? `  minimum ${min}` : ''
    }`,
  );
  if (min !== undefined && count < min) {
    problems.push(`"${metric}" counted ${count}, below its minimum of ${min}`);
  }
}
if ((tried?.count ?? 0) < MINIMUMS['attacks tried']) {
  problems.push(
    `"attacks tried" counted ${tried?.count ?? 0}, below its minimum of ${
      MINIMUMS['attacks tried']
    }`,
  );
}
if (tried && (refused?.count ?? 0) < tried.count) {
  problems.push(
    `${
      tried.count - (refused?.count ?? 0)
    } attack(s) on the trust boundary were not refused`,
  );
}
if (problems.length > 0) {
  console.error(
    `\nThe reliability suite proved less than its summary needs${
      existsSync(FILE) ? '' : ` (no counts recorded in ${FILE}: did it run?)`
    }:\n${problems.map(p => `  - ${p}`).join('\n')}`,
  );
  process.exitCode = 1;
}
