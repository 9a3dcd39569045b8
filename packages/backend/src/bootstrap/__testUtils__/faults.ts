import type { FaultRule } from '@internal/sandbox';
import {
  Harness,
  StepId,
  countCalls,
  expectBootstrapped,
  expectCompleted,
  expectNoSecrets,
  runBootstrap,
  watchAccessKeys,
} from './bootstrap';
import { recordReliability } from '../../reliability/__testUtils__/summary';

/**
 * A 5xx on every matching call, more of them than the AWS SDK's (6
 * attempts) or the Kubernetes client's (6 attempts) retry budget.
 */
export const persistent = (
  target: FaultRule['target'],
  match: string,
  status?: number,
): FaultRule => ({
  target,
  match,
  action: { type: 'error', ...(status ? { status } : {}) },
  times: 50,
});

/** Lets the next call of an operation through (rules apply in order). */
export const letThrough = (
  target: FaultRule['target'],
  match: string,
): FaultRule => ({
  target,
  match,
  action: { type: 'latency', ms: 0 },
  times: 1,
});

/** A persistent fault in one step of the bootstrap sequence. */
export interface Scenario {
  /** The template step that must fail. */
  step: StepId;
  rules: FaultRule[];
  /** What the error must say (resource, step, code, call, what was done). */
  message: (env: string) => RegExp;
  /** Calls of the faulted operation: the retry budget, then no more. */
  attempts?: [FaultRule['target'], string, number];
  /** Access keys the user has after the failure. */
  keysAfter: number;
}

/**
 * Runs the bootstrap sequence with the scenario's faults: it must stop at
 * the scenario's step with its error, having retried a bounded number of
 * times and shown no secret; then, the faults gone, a re-run must complete
 * with each thing once.
 */
export async function failThenRerun(
  h: Harness,
  name: string,
  scenario: Scenario,
) {
  const env = 'acme-prod';
  const aws = h.awsFactory();
  const keys = await watchAccessKeys(aws, h.region);
  const ruleIds = scenario.rules.map(r => h.sandbox.faults.add(r));

  const failed = await runBootstrap(h, env, { aws });
  expect(failed.failed?.step).toBe(scenario.step);
  expect(failed.failed!.error.message).toMatch(scenario.message(env));
  if (scenario.attempts) {
    const [target, operation, count] = scenario.attempts;
    expect(countCalls(h.sandbox, target, operation)).toBe(count);
  }
  expectNoSecrets(h, failed.shown, keys);
  const afterFailure = await h.readAws(env);
  expect(afterFailure.user?.accessKeyIds ?? []).toHaveLength(
    scenario.keysAfter,
  );
  expect(afterFailure.secret?.versionIds.length ?? 0).toBeLessThanOrEqual(1);
  const injected = h.sandbox.faults.history().length;
  recordReliability('faults injected', injected, 'bootstrap 5xx');

  for (const id of ruleIds) h.sandbox.faults.remove(id);
  const rerun = await runBootstrap(h, env, { aws });
  expectCompleted(rerun);
  const { aws: state } = await expectBootstrapped(h, env, keys);
  expectNoSecrets(h, rerun.shown, keys, state);
  // Never two keys at once; any key issued but not stored was deleted.
  expect(keys.maxLive).toBe(1);
  expect(keys.issued.filter(k => !keys.deleted.includes(k.id))).toEqual([
    keys.issued[keys.issued.length - 1],
  ]);

  // eslint-disable-next-line no-console
  console.log(
    `5xx in ${name}: ${injected} faults injected; ${
      afterFailure.user?.accessKeyIds.length ?? 0
    } key(s) after the failure; after the re-run ${
      state.bucketNames.length
    } bucket, ${state.userNames.length} user, ${
      state.user!.accessKeyIds.length
    } access key (${keys.issued.length} issued, ${
      keys.deleted.length
    } deleted), ${state.secretNames.length} secret with ${
      state.secret!.versionIds.length
    } version`,
  );
}
