#!/usr/bin/env node
/*
 * Prints the reliability suite's summary: the counts the tests recorded in
 * test-artifacts/reliability/summary.jsonl (faults injected, restarts
 * survived, inputs rejected, authorization matrix cells checked, secret
 * surfaces searched). `--reset` empties it before a run.
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
for (const [metric, { count, sources }] of totals) {
  const parts = [...sources].map(([s, n]) => `${s} ${n}`).join(', ');
  console.log(
    `  ${metric.padEnd(26)} ${String(count).padStart(6)}  (${parts})`,
  );
}
