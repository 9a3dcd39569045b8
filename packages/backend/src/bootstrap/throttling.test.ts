import {
  Harness,
  countCalls,
  expectBootstrapped,
  expectCompleted,
  expectNoSecrets,
  runBootstrap,
  startHarness,
  watchAccessKeys,
} from './__testUtils__/bootstrap';
import { recordReliability } from '../reliability/__testUtils__/summary';

/**
 * The bootstrap sequence (bucket -> IAM and key -> secret -> cluster
 * credentials -> ClusterSecretStore -> Argo CD registration) with the real
 * actions against the sandbox, AWS and the Kubernetes API answering a share
 * of the calls with their throttling errors.
 */
describe('bootstrap under throttling', () => {
  jest.setTimeout(60_000);
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    // Which calls the `fraction` rules hit is the same on every run.
    h.seedFaults(20250101);
  }, 60_000);
  afterAll(() => h?.stop());
  afterEach(async () => {
    h.sandbox.faults.clear();
    await h.reset();
  });

  it('completes, each thing once, with a third of the AWS calls throttled', async () => {
    const env = 'acme-prod';
    // The calls that must not happen twice, throttled for sure: twice each.
    for (const match of [
      'iam:CreateAccessKey',
      'secretsmanager:CreateSecret',
    ]) {
      h.sandbox.faults.add({
        target: 'aws',
        match,
        action: { type: 'throttle' },
        times: 2,
      });
    }
    // Every Kubernetes write, once (429 with Retry-After).
    for (const match of [
      'patch:secrets',
      'patch:clustersecretstores',
      'patch:appprojects',
      'patch:applications',
    ]) {
      h.sandbox.faults.add({
        target: 'kube',
        match,
        action: { type: 'throttle' },
        times: 1,
      });
    }
    // Then a third of all AWS calls, retries included (rules apply in
    // order: the ones above first).
    h.sandbox.faults.add({
      target: 'aws',
      match: '*',
      action: { type: 'throttle' },
      fraction: 1 / 3,
    });
    const aws = h.awsFactory();
    const keys = await watchAccessKeys(aws, h.region);

    const t0 = Date.now();
    const run = await runBootstrap(h, env, { aws });
    const ms = Date.now() - t0;
    expectCompleted(run);

    // Every rule that had to fire did; the fraction hit many AWS calls.
    expect(
      h.sandbox.faults.list().filter(r => r.times !== undefined && r.times > 0),
    ).toEqual([]);
    const hits = h.sandbox.faults.history();
    const awsHits = hits.filter(x => x.target === 'aws');
    const kubeHits = hits.filter(x => x.target === 'kube');
    expect(awsHits.length).toBeGreaterThanOrEqual(10);
    expect(new Set(awsHits.map(x => x.operation.split(':')[0]))).toEqual(
      new Set(['s3', 'iam', 'secretsmanager']),
    );
    expect(kubeHits).toHaveLength(4);
    const awsCalls = h.sandbox.faults.calls.aws.length;
    // The throttled calls were retried (and CreateAccessKey succeeded once).
    expect(awsCalls).toBeGreaterThan(awsHits.length);
    expect(countCalls(h.sandbox, 'aws', 'iam:CreateAccessKey')).toBeGreaterThan(
      2,
    );

    const { aws: state, cluster } = await expectBootstrapped(h, env, keys);
    // One key issued over the whole run, never two at once.
    expect(keys.issued).toHaveLength(1);
    expect(keys.deleted).toEqual([]);
    expectNoSecrets(h, run.shown, keys, state);

    recordReliability(
      'faults injected',
      awsHits.length + kubeHits.length,
      'bootstrap throttling',
    );
    // eslint-disable-next-line no-console
    console.log(
      `throttling: ${awsHits.length} of ${awsCalls} AWS calls throttled (${
        new Set(awsHits.map(x => x.operation)).size
      } operations), ${
        kubeHits.length
      } Kubernetes writes; completed in ${ms} ms; found ${
        state.bucketNames.length
      } bucket, ${state.userNames.length} user, ${
        state.user!.accessKeyIds.length
      } access key (${keys.issued.length} issued), ${
        state.secretNames.length
      } secret with ${state.secret!.versionIds.length} version, store Ready=${
        cluster.storeReady
      }, ${
        cluster.apps.filter(Boolean).length
      } Applications registered, unsynced`,
    );
  });

  it('gives up after the configured attempts when throttling persists, then a re-run completes', async () => {
    const env = 'acme-prod';
    // A small retry budget keeps the backoff (from 0.5 s, doubling) short.
    const aws = h.awsFactory(3);
    const keys = await watchAccessKeys(aws, h.region);
    const rule = h.sandbox.faults.add({
      target: 'aws',
      match: 'iam:PutUserPolicy',
      action: { type: 'throttle' },
    });

    const failed = await runBootstrap(h, env, { aws });
    expect(failed.completed).toEqual(['bucket']);
    expect(failed.failed?.step).toBe('iam');
    expect(failed.failed!.error.message).toBe(
      `IAM user "loki-${env}": put the inline policy loki-object-storage failed (Throttling from iam:PutUserPolicy): Rate exceeded. Already done: create the user`,
    );
    // Bounded: exactly the configured attempts, then no further call.
    expect(countCalls(h.sandbox, 'aws', 'iam:PutUserPolicy')).toBe(3);
    expect(countCalls(h.sandbox, 'aws', 'iam:CreateAccessKey')).toBe(0);
    expectNoSecrets(h, failed.shown, keys);

    h.sandbox.faults.remove(rule);
    const rerun = await runBootstrap(h, env, { aws });
    expectCompleted(rerun);
    const { aws: state } = await expectBootstrapped(h, env, keys);
    expect(keys.issued).toHaveLength(1);
    expectNoSecrets(h, rerun.shown, keys, state);
  });
});
