/**
 * The template's first step, `logging:environment:validate`, checks what
 * the later steps need before any of them has a side effect: External
 * Secrets keys AWS does not know, or keys of an IAM user who may not read
 * the environment's secret, fail the task within seconds, naming the field,
 * with the sandbox (Kubernetes objects, AWS, the GitOps repository) exactly
 * as before. Real scaffolder, real template, the sandbox.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { mockCredentials } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModelModule from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModule from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { join } from 'node:path';
import request from 'supertest';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';
import { startPortalBackend } from '../gitops/__testUtils__/portal';
import { sandboxSnapshot } from '../reliability/__testUtils__/corpus';

jest.setTimeout(180_000);

const user = mockCredentials.user.header('user:default/requester');

const values = {
  name: 'acme-dev',
  tier: 'development',
  owner: 'group:default/platform-team',
  cluster: 'sandbox',
  region: 'us-east-2',
  tlsStrategy: 'system-ca',
};

describe('the pre-flight of logging:environment:validate', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    ({ server } = await startPortalBackend(
      sandbox,
      [scaffolderPlugin, scaffolderModule, catalogPlugin, catalogModelModule],
      {
        catalog: {
          rules: [{ allow: ['Template', 'Resource', 'Location'] }],
          locations: [
            {
              type: 'file',
              target: join(
                REPO_ROOT,
                'templates/logging-environment/template.yaml',
              ),
            },
          ],
          processingInterval: { seconds: 1 },
        },
      },
    ));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await request(server)
        .get(
          '/api/catalog/entities/by-name/template/default/logging-environment',
        )
        .set('authorization', user);
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error('template not in the catalog');
      await new Promise(r => setTimeout(r, 250));
    }
  }, 120_000);
  afterAll(() => sandbox?.stop());

  /** Runs the template to its end; the task's log, steps and duration. */
  async function run(secrets: Record<string, string>) {
    const started = Date.now();
    const res = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('authorization', user)
      .send({
        templateRef: 'template:default/logging-environment',
        values,
        secrets,
      });
    expect(res.status).toBe(201);
    let task: any;
    for (;;) {
      task = (
        await request(server)
          .get(`/api/scaffolder/v2/tasks/${res.body.id}`)
          .set('authorization', user)
      ).body;
      if (['completed', 'failed', 'cancelled'].includes(task.status)) break;
      if (Date.now() - started > 60_000) throw new Error('task did not end');
      await new Promise(r => setTimeout(r, 100));
    }
    const seconds = (Date.now() - started) / 1000;
    const events = (
      await request(server)
        .get(`/api/scaffolder/v2/tasks/${res.body.id}/events`)
        .set('authorization', user)
    ).body;
    const log = events.map((e: any) => e.body?.message ?? '').join('\n');
    const steps = [
      ...new Set(
        events
          .filter((e: any) => e.body?.status === 'processing' && e.body?.stepId)
          .map((e: any) => e.body.stepId),
      ),
    ];
    return { status: task.status, seconds, log, steps };
  }

  it('fails at the first step in under 10 s, naming the field, when AWS does not know the keys; nothing is created', async () => {
    const before = await sandboxSnapshot(sandbox);
    const result = await run({
      awsAccessKeyId: 'FAKEKEYIDNEVERISSUED',
      awsSecretAccessKey: 'wrong-secret-access-key-0000000000000000',
    });
    expect(result.status).toBe('failed');
    expect(result.seconds).toBeLessThan(10);
    expect(result.steps).toEqual(['validate']);
    expect(result.log).toContain(
      'Pre-flight failed, nothing was created: awsAccessKeyId: is not an access key AWS knows',
    );
    expect(result.log).not.toContain('wrong-secret-access-key');
    expect(await sandboxSnapshot(sandbox)).toEqual(before);
  });

  it("fails at the first step when the keys' IAM user may not read the environment's secret; nothing is created", async () => {
    const iam = new IAMClient({
      endpoint: sandbox.aws.url,
      region: sandbox.aws.region,
      credentials: {
        accessKeyId: sandbox.aws.accessKeyId,
        secretAccessKey: sandbox.aws.secretAccessKey,
      },
    });
    await iam.send(new CreateUserCommand({ UserName: 'eso-elsewhere' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'eso-elsewhere',
        PolicyName: 'read-other',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['secretsmanager:GetSecretValue'],
              Resource:
                'arn:aws:secretsmanager:us-east-2:123456789012:secret:logging/other-env/*',
            },
          ],
        }),
      }),
    );
    const key = (
      await iam.send(new CreateAccessKeyCommand({ UserName: 'eso-elsewhere' }))
    ).AccessKey!;
    const before = await sandboxSnapshot(sandbox);
    const result = await run({
      awsAccessKeyId: key.AccessKeyId!,
      awsSecretAccessKey: key.SecretAccessKey!,
    });
    expect(result.status).toBe('failed');
    expect(result.seconds).toBeLessThan(10);
    expect(result.steps).toEqual(['validate']);
    expect(result.log).toContain(
      `awsAccessKeyId: belongs to IAM user "eso-elsewhere", who may not read this environment's secret logging/acme-dev/loki-s3`,
    );
    expect(result.log).not.toContain(key.SecretAccessKey!);
    expect(await sandboxSnapshot(sandbox)).toEqual(before);
  });

  it('passes keys that may read the environment secret, and the bootstrap goes on', async () => {
    // The administrator's keys are the account root: they read everything
    // (the checklist's secret-scope item refuses them later).
    const result = await run({
      awsAccessKeyId: sandbox.aws.accessKeyId,
      awsSecretAccessKey: sandbox.aws.secretAccessKey,
    });
    expect(result.log).toContain('Pre-flight passed in');
    expect(result.steps).toEqual(expect.arrayContaining(['validate', 'claim']));
  });
});
