import { HeadBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { JsonObject } from '@backstage/types';
import { startMoto } from '@internal/plugin-logging-environments-node/testUtils';
import { NotFoundError } from '@backstage/errors';
import { EnvironmentRecord } from '@internal/plugin-logging-environments-common';
import {
  EnvironmentRecordsApi,
  assertMatchesRecord,
} from '@internal/plugin-logging-environments-node';
import yaml from 'yaml';
import { auditedAction } from './audit';
import { capturingAuditor } from './__testUtils__/capturingAuditor';
import { createEnsureBucketAction } from './ensureBucket';
import { examples as bucketExamples } from './ensureBucket.examples';
import { createEnsureIamAction } from './ensureIam';
import { examples as iamExamples } from './ensureIam.examples';
import { createEnsureSecretAction } from './ensureSecret';
import { examples as secretExamples } from './ensureSecret.examples';

const inputOf = (example: string) => yaml.parse(example).steps[0].input;

/**
 * The backend's answers for the examples' environments, as their records
 * say (acme-prod in us-east-2, acme-stage in eu-west-1), for a caller who
 * may run their bootstrap. The rules behind those answers are the
 * backend's, tested on the real record service in packages/backend.
 */
function exampleRecords(): EnvironmentRecordsApi {
  const record = (name: string, region: string): EnvironmentRecord => ({
    entityRef: `resource:default/${name}`,
    name,
    tier: 'production',
    cluster: 'sandbox',
    namespace: 'openshift-logging',
    argocdNamespace: 'openshift-gitops',
    project: `${name}-logging`,
    applications: {
      infrastructure: { name: `${name}-logging-infrastructure` },
      forwarder: { name: `${name}-logging-forwarder` },
    },
    owner: 'group:default/platform-team',
    requester: 'user:default/requester',
    region,
    bucket: `${name}-loki`,
    secret: `logging/${name}/loki-s3`,
    gitopsPath: `environments/${name}`,
    extraApprovers: {},
    state: 'bootstrapping',
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    updatedBy: 'user:default/requester',
  });
  const records = [
    record('acme-prod', 'us-east-2'),
    record('acme-stage', 'eu-west-1'),
  ];
  return {
    claim: async () => {
      throw new Error('not used');
    },
    bindApplications: async () => {
      throw new Error('not used');
    },
    // The backend's answer: the record, once the step's facts are its own
    // (the same check the backend runs).
    checkStep: async (name, step) => {
      const found = records.find(r => r.name === name);
      if (!found) {
        throw new NotFoundError(`resource:default/${name} has no record`);
      }
      assertMatchesRecord(step.action, found, step.facts ?? {});
      return found;
    },
  };
}

/** A context whose logger lines and outputs are recorded. */
function context(
  input: JsonObject,
  extra: Partial<ActionContext<any, any, any>> = {},
) {
  const lines: string[] = [];
  // createMockActionContext takes only some overrides; set the others on it.
  const ctx: ActionContext<any, any, any> = Object.assign(
    createMockActionContext({ input }),
    extra,
  );
  for (const level of ['info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(ctx.logger, level).mockImplementation(((m: string) => {
      lines.push(String(m));
    }) as any);
  }
  const outputs = () => (ctx.output as jest.Mock).mock.calls;
  return { ctx, lines, outputs };
}

describe('AWS bootstrap actions', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let bucketAction: ReturnType<typeof createEnsureBucketAction>;
  let iamAction: ReturnType<typeof createEnsureIamAction>;
  let secretAction: ReturnType<typeof createEnsureSecretAction>;

  beforeAll(async () => {
    moto = await startMoto();
    const records = exampleRecords();
    bucketAction = createEnsureBucketAction({ aws: moto.factory, records });
    iamAction = createEnsureIamAction({ aws: moto.factory, records });
    secretAction = createEnsureSecretAction({ aws: moto.factory, records });
  }, 60_000);
  afterAll(() => moto?.stop());
  beforeEach(() => moto.reset());

  describe('logging:bucket:ensure', () => {
    it.each(bucketExamples.map(e => [e.description, e.example]))(
      'runs the example: %s',
      async (_d, example) => {
        const { ctx, outputs } = context(inputOf(example));
        await bucketAction.handler(ctx);
        expect(outputs()).toContainEqual(['action', 'created']);
        expect(outputs()).toContainEqual([
          'bucketArn',
          `arn:aws:s3:::${inputOf(example).bucket}`,
        ]);
        const s3 = (await moto.factory.clients(inputOf(example).region)).s3;
        await expect(
          s3.send(new HeadBucketCommand({ Bucket: inputOf(example).bucket })),
        ).resolves.toBeDefined();
      },
    );

    it('says so when a second run changes nothing', async () => {
      const input = inputOf(bucketExamples[0].example);
      await bucketAction.handler(context(input).ctx);
      const second = context(input);
      await bucketAction.handler(second.ctx);
      expect(second.outputs()).toContainEqual(['action', 'adopted']);
      expect(second.outputs()).toContainEqual(['changes', []]);
      expect(second.lines).toEqual(['S3 bucket "acme-prod-loki" adopted']);
    });

    it('changes nothing in a dry run', async () => {
      const input = inputOf(bucketExamples[0].example);
      const { ctx, outputs } = context(input, { isDryRun: true });
      await bucketAction.handler(ctx);
      expect(outputs()).toContainEqual(['action', 'would-create']);
      const s3 = (await moto.factory.clients('us-east-2')).s3;
      await expect(
        s3.send(new HeadBucketCommand({ Bucket: input.bucket })),
      ).rejects.toThrow();
    });

    it('does not redo its work when a task resumes past its checkpoint', async () => {
      const input = inputOf(bucketExamples[0].example);
      const saved = new Map<string, unknown>();
      const checkpoint = (async ({
        key,
        fn,
      }: {
        key: string;
        fn: () => Promise<any>;
      }) => {
        if (!saved.has(key)) saved.set(key, await fn());
        return saved.get(key);
      }) as ActionContext<any, any, any>['checkpoint'];
      await bucketAction.handler(context(input, { checkpoint }).ctx);
      expect([...saved.keys()]).toEqual([
        'logging:bucket:ensure/acme-prod/acme-prod-loki',
      ]);
      // Had the step run again, it would recreate the (now deleted) bucket.
      const s3 = (await moto.factory.clients('us-east-2')).s3;
      await s3.send(new DeleteBucketCommand({ Bucket: input.bucket }));
      const resumed = context(input, { checkpoint });
      await bucketAction.handler(resumed.ctx);
      expect(resumed.outputs()).toContainEqual(['action', 'created']);
      await expect(
        s3.send(new HeadBucketCommand({ Bucket: input.bucket })),
      ).rejects.toThrow();
    });

    it('rejects bad input naming the field and the rule', async () => {
      const { ctx } = context({
        environment: 'Acme',
        bucket: 'a.b',
        region: 'mars',
      });
      await expect(bucketAction.handler(ctx)).rejects.toThrow(
        /Invalid input to logging:bucket:ensure: environment: must be a DNS-1123 label.*bucket: must not contain "\.".*region: must be an AWS region/,
      );
    });
  });

  describe('logging:iam:ensure', () => {
    it('runs the examples, never showing the key', async () => {
      const [create, rotate] = iamExamples.map(e => inputOf(e.example));
      const first = context(create);
      await iamAction.handler(first.ctx);
      expect(first.outputs()).toContainEqual(['action', 'created']);
      expect(first.outputs()).toContainEqual([
        'secretName',
        'logging/acme-prod/loki-s3',
      ]);

      const second = context(rotate);
      await iamAction.handler(second.ctx);
      expect(second.outputs()).toContainEqual([
        'changes',
        ['rotate the access key into secret "logging/acme-prod/loki-s3"'],
      ]);

      const clients = await moto.factory.clients('us-east-2');
      const keys = await clients.iam.send(
        new ListAccessKeysCommand({ UserName: 'loki-acme-prod' }),
      );
      expect(keys.AccessKeyMetadata).toHaveLength(1);
      const stored = JSON.parse(
        (
          await clients.secretsManager.send(
            new GetSecretValueCommand({
              SecretId: 'logging/acme-prod/loki-s3',
            }),
          )
        ).SecretString!,
      );
      const everything = JSON.stringify([
        first.lines,
        first.outputs(),
        second.lines,
        second.outputs(),
      ]);
      expect(everything).not.toContain(stored.access_key_secret);
      expect(everything).not.toContain(stored.access_key_id);
    });

    it('audits each run without the key it issues', async () => {
      const { auditor, events } = capturingAuditor();
      const audited = auditedAction(auditor, iamAction);
      const [create, rotate] = iamExamples.map(e => inputOf(e.example));
      await audited.handler(context(create).ctx);
      await audited.handler(context(rotate).ctx);
      expect(events.map(e => [e.outcome, e.meta])).toEqual(
        [create, rotate].map(input => [
          'success',
          {
            action: 'logging:iam:ensure',
            taskId: expect.any(String),
            user: expect.any(String),
            environment: 'acme-prod',
            resource: {
              bucket: 'acme-prod-loki',
              region: 'us-east-2',
              ...(input.rotateAccessKey ? { rotateAccessKey: true } : {}),
            },
            dryRun: false,
            outcome: 'success',
            result: { action: input.rotateAccessKey ? 'updated' : 'created' },
          },
        ]),
      );
      const clients = await moto.factory.clients('us-east-2');
      const stored = JSON.parse(
        (
          await clients.secretsManager.send(
            new GetSecretValueCommand({
              SecretId: 'logging/acme-prod/loki-s3',
            }),
          )
        ).SecretString!,
      );
      const everything = JSON.stringify(events);
      expect(everything).not.toContain(stored.access_key_secret);
      expect(everything).not.toContain(stored.access_key_id);
    });

    it('creates one access key over three runs', async () => {
      const input = inputOf(iamExamples[0].example);
      for (let i = 0; i < 3; i++) await iamAction.handler(context(input).ctx);
      const clients = await moto.factory.clients('us-east-2');
      const keys = await clients.iam.send(
        new ListAccessKeysCommand({ UserName: 'loki-acme-prod' }),
      );
      expect(keys.AccessKeyMetadata).toHaveLength(1);
    });
  });

  describe('logging:secret:ensure', () => {
    it.each(secretExamples.map(e => [e.description, e.example]))(
      'runs the example: %s',
      async (_d, example) => {
        const input = inputOf(example);
        const { ctx, outputs } = context(input);
        await secretAction.handler(ctx);
        expect(outputs()).toContainEqual(['action', 'created']);
        const clients = await moto.factory.clients(input.region);
        const value = JSON.parse(
          (
            await clients.secretsManager.send(
              new GetSecretValueCommand({
                SecretId: `logging/${input.environment}/loki-s3`,
              }),
            )
          ).SecretString!,
        );
        expect(value).toMatchObject({
          bucketnames: input.bucket,
          region: input.region,
        });
      },
    );
  });

  it("acts only on the bucket, region and secret of the environment's record", async () => {
    // An IAM policy for production's bucket, asked for by another
    // environment's bootstrap, or production's key stored elsewhere.
    const iam = context({
      environment: 'acme-stage',
      bucket: 'acme-prod-loki',
      region: 'eu-west-1',
    });
    await expect(iamAction.handler(iam.ctx)).rejects.toThrow(
      'logging:iam:ensure refused for acme-stage: bucket: the record of acme-stage says "acme-stage-loki", not "acme-prod-loki"',
    );
    const secret = context({
      environment: 'acme-prod',
      bucket: 'acme-prod-loki',
      region: 'us-east-2',
      secretName: 'logging/acme-stage/loki-s3',
    });
    await expect(secretAction.handler(secret.ctx)).rejects.toThrow(
      'secretName: the record of acme-prod says "logging/acme-prod/loki-s3", not "logging/acme-stage/loki-s3"',
    );
    const unknown = context({
      environment: 'nobody-claimed',
      bucket: 'nobody-claimed-loki',
      region: 'us-east-2',
    });
    await expect(bucketAction.handler(unknown.ctx)).rejects.toThrow(
      'resource:default/nobody-claimed has no record',
    );
    // Nothing was created by the refused steps.
    const { iam: iamClient } = await moto.factory.clients('eu-west-1');
    await expect(
      iamClient.send(
        new ListAccessKeysCommand({ UserName: 'loki-acme-stage' }),
      ),
    ).rejects.toThrow();
  });
});
