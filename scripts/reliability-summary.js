#!/usr/bin/env node
/*
 * Prints the reliability suite's summary: the counts the tests recorded in
 * test-artifacts/reliability/summary.jsonl (faults injected, restarts
 * survived, inputs rejected, authorization matrix cells checked, secret
 * surfaces searched, attacks on the trust boundary refused of tried), and
 * fails when an attack tried was not refused. `--reset` empties it before
 * a run.
 */
'use strict';

const { existsSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const FILE = join(__dirname, '..', 'test-artifacts/reliability/summary.jsonl');

if (process.argv.includes('--reset')) {
  rmSync(FILE, { force: true });
  process.exit(0);
}

if (!existsSync(FILE)) {
  console.log('Reliability summary: no counts recorded (did the suite run?)');
  process.exit(0);
}
const totals = new Map();
for (const line of readFileSync(FILE, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const { metric, count, source } = JSON.parse(line);
  const entry = totals.get(metric) ?? { count: 0, sources: new Map() };
  entry.count += count;
  entry.sources.set(source, (entry.sources.get(source) ?? 0) + count);
  totals.set(metric, entry);
}
console.log('\nReliability summary');
const tried = totals.get('attacks tried');
const refused = totals.get('attacks refused');
for (const [metric, { count, sources }] of totals) {
  if (metric === 'attacks tried') continue;
  const parts = [...sources].map(([s, n]) => `${s} ${n}`).join(', ');
  if (metric === 'attacks refused') {
    // An attack counts as refused only once every assertion about it held.
    const of = `${count} of ${tried?.count ?? 0}`;
    console.log(`  ${metric.padEnd(26)} ${of.padStart(6)}  (${parts})`);
    continue;
  }
  console.log(
    `  ${metric.padEnd(26)} ${String(count).padStart(6)}  (${parts})`,
  );
}
if (tried && (refused?.count ?? 0) < tried.count) {
  console.error(
    `\n${
      tried.count - (refused?.count ?? 0)
    } attack(s) on the trust boundary were not refused`,
  );
  process.exitCode = 1;
}
