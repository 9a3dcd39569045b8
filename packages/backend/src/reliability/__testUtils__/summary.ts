import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../gitops/__testUtils__/kustomize';

/**
 * What the reliability summary counts; scripts/reliability-summary.js holds
 * each line's minimum (README.md, "Reliability summary").
 */
export type ReliabilityMetric =
  | 'faults injected'
  | 'restarts survived'
  | 'inputs rejected'
  | 'matrix cells checked'
  | 'secret surfaces searched'
  | 'attacks tried'
  | 'attacks refused';

/** Where tests append their counts; scripts/reliability-summary.js prints them. */
export const RELIABILITY_SUMMARY_FILE = join(
  REPO_ROOT,
  'test-artifacts/reliability/summary.jsonl',
);

/**
 * Records a count for the summary printed at the end of the test command
 * (one JSON line per call; jest workers append concurrently). The count is
 * what the test observed and asserted (faults the sandbox reports it
 * injected, kills that hit an unfinished run), recorded once the test's
 * assertions about it held; never a constant standing for "it ran".
 */
export function recordReliability(
  metric: ReliabilityMetric,
  count: number,
  source: string,
): void {
  mkdirSync(join(RELIABILITY_SUMMARY_FILE, '..'), { recursive: true });
  appendFileSync(
    RELIABILITY_SUMMARY_FILE,
    `${JSON.stringify({
      metric,
      count,
      source,
      at: new Date().toISOString(),
    })}\n`,
  );
}
