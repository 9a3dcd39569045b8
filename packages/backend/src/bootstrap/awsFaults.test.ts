import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createEnsureIamAction } from '@internal/plugin-scaffolder-backend-module-logging-environments';
import {
  Harness,
  expectBootstrapped,
  expectCompleted,
  expectNoSecrets,
  runBootstrap,
  startHarness,
  watchAccessKeys,
} from './__testUtils__/bootstrap';
import {
  Scenario,
  failThenRerun,
  letThrough,
  persistent,
} from './__testUtils__/faults';

/**
 * The bootstrap sequence (bucket -> IAM and key -> secret -> cluster
 * credentials -> ClusterSecretStore -> Argo CD registration) with the real
 * actions against the sandbox, one AWS call failing with a 5xx for longer
 * than the SDK's retry budget; then the same sequence again, the fault gone.
 */
describe('bootstrap after a persistent AWS 5xx', () => {
  jest.setTimeout(60_000);
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h?.stop());
  // Each test starts from an empty sandbox.
  afterEach(async () => {
    h.sandbox.faults.clear();
    await h.reset();
  });

  const scenarios: Record<string, Scenario> = {
    'S3 CreateBucket (bucket)': {
      step: 'bucket',
      rules: [persistent('aws', 's3:CreateBucket')],
      message: env =>
        new RegExp(
          `^S3 bucket "${env}-loki": CreateBucket failed \\(InternalError\\): .+\\. Nothing was changed$`,
        ),
      attempts: ['aws', 's3:CreateBucket', 6],
      keysAfter: 0,
    },
    'S3 PutBucketPolicy, a hardening call (bucket)': {
      step: 'bucket',
      rules: [persistent('aws', 's3:PutBucketPolicy', 503)],
      message: env =>
        new RegExp(
          `^S3 bucket "${env}-loki": TLS-only bucket policy failed \\(ServiceUnavailable from s3:PutBucketPolicy\\): .+\\. Already done: created the bucket; tag the bucket; block all public access; default encryption with SSE-S3; enable versioning; lifecycle rules$`,
        ),
      attempts: ['aws', 's3:PutBucketPolicy', 6],
      keysAfter: 0,
    },
    'IAM CreateAccessKey (iam)': {
      step: 'iam',
      rules: [persistent('aws', 'iam:CreateAccessKey')],
      message: env =>
        new RegExp(
          `^IAM user "loki-${env}": issue the access key into secret "logging/${env}/loki-s3" failed \\(ServiceFailure from iam:CreateAccessKey\\): .+\\. Already done: create the user; put the inline policy loki-object-storage$`,
        ),
      attempts: ['aws', 'iam:CreateAccessKey', 6],
      keysAfter: 0,
    },
    // Right after CreateAccessKey succeeded, before the key reached Secrets
    // Manager: every Secrets Manager call fails but the IAM step's first
    // DescribeSecret (which comes before the key is issued).
    'Secrets Manager, after the key was issued (iam)': {
      step: 'iam',
      rules: [
        letThrough('aws', 'secretsmanager:DescribeSecret'),
        persistent('aws', 'secretsmanager:*'),
      ],
      message: env =>
        new RegExp(
          `^IAM user "loki-${env}": store the access key failed \\(InternalServiceError\\): could not store the new access key in Secrets Manager secret "logging/${env}/loki-s3"; the key was deleted again \\(Secrets Manager secret "logging/${env}/loki-s3": DescribeSecret failed \\(InternalServiceError\\): .+\\)\\. Already done: create the user; put the inline policy loki-object-storage$`,
        ),
      keysAfter: 0,
    },
    'IAM TagUser, after the key was stored (iam)': {
      step: 'iam',
      rules: [persistent('aws', 'iam:TagUser')],
      message: env =>
        new RegExp(
          `^IAM user "loki-${env}": record the issued access key on the user failed \\(ServiceFailure from iam:TagUser\\): .+\\. Already done: create the user; put the inline policy loki-object-storage; issued access key AKIA[A-Z0-9]+ into secret "logging/${env}/loki-s3"$`,
        ),
      attempts: ['aws', 'iam:TagUser', 6],
      keysAfter: 1,
    },
    'Secrets Manager GetSecretValue (secret)': {
      step: 'secret',
      rules: [persistent('aws', 'secretsmanager:GetSecretValue')],
      message: env =>
        new RegExp(
          `^Secrets Manager secret "logging/${env}/loki-s3": GetSecretValue failed \\(InternalServiceError\\): .+\\. Nothing was changed$`,
        ),
      attempts: ['aws', 'secretsmanager:GetSecretValue', 6],
      keysAfter: 1,
    },
  };

  it.each(Object.entries(scenarios))(
    'a 5xx in %s fails naming the step, and a re-run completes without duplicates',
    async (name, scenario) => {
      expect.hasAssertions();
      await failThenRerun(h, name, scenario);
    },
  );

  it('never mints a second key when the new key can be neither stored nor deleted', async () => {
    const env = 'acme-prod';
    const aws = h.awsFactory();
    const keys = await watchAccessKeys(aws, h.region);
    const ruleIds = [
      h.sandbox.faults.add(persistent('aws', 'secretsmanager:CreateSecret')),
      h.sandbox.faults.add(persistent('aws', 'iam:DeleteAccessKey')),
    ];
    const failed = await runBootstrap(h, env, { aws });
    expect(failed.failed?.step).toBe('iam');
    const orphan = keys.issued[0].id;
    expect(failed.failed!.error.message).toBe(
      `IAM user "loki-${env}": store the access key failed (InternalServiceError): could not store the new access key in Secrets Manager secret "logging/${env}/loki-s3"; deleting the new access key ${orphan} failed too (ServiceFailure): nobody holds it; delete it, or rotate deliberately with rotateAccessKey (Secrets Manager secret "logging/${env}/loki-s3": CreateSecret failed (InternalServiceError): An error occurred on the server side. Nothing was changed). Already done: create the user; put the inline policy loki-object-storage; issued access key ${orphan} (not stored)`,
    );
    expectNoSecrets(h, failed.shown, keys);
    for (const id of ruleIds) h.sandbox.faults.remove(id);

    // A re-run cannot account for the key: it stops rather than mint another.
    const rerun = await runBootstrap(h, env, { aws });
    expect(rerun.failed?.step).toBe('iam');
    expect(rerun.failed!.error.message).toMatch(
      /access key failed \(AccessKeyNotStored\): the user has 1 access key\(s\) but Secrets Manager secret "logging\/acme-prod\/loki-s3" holds none of them/,
    );
    expect(keys.issued).toHaveLength(1);
    expect((await h.readAws(env)).user?.accessKeyIds).toEqual([orphan]);

    // The deliberate rotation the error asks for: one new key, stored, and
    // the orphan gone; then the sequence completes.
    const rotate = createMockActionContext({
      input: {
        environment: env,
        bucket: `${env}-loki`,
        region: h.region,
        rotateAccessKey: true,
      },
    });
    await createEnsureIamAction({ aws, records: h.records.api }).handler(
      rotate as any,
    );
    const completed = await runBootstrap(h, env, { aws });
    expectCompleted(completed);
    const { aws: state } = await expectBootstrapped(h, env, keys);
    expectNoSecrets(h, completed.shown, keys, state);
    expect(keys.issued).toHaveLength(2);
    expect(keys.deleted).toEqual([orphan]);
    // Rotation overlaps the old and the new key, by design, and only then.
    expect(keys.maxLive).toBe(2);
  });
});
