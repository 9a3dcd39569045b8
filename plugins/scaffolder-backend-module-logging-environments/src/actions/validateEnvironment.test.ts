import { ConfigReader } from '@backstage/config';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { FieldProblem } from '@internal/plugin-logging-environments-common';
import { ConfigClusterRegistry } from '@internal/plugin-logging-environments-node';
import yaml from 'yaml';
import { createValidateEnvironmentAction } from './validateEnvironment';
import { examples } from './validateEnvironment.examples';

const clusters = ConfigClusterRegistry.fromConfig(
  new ConfigReader({
    loggingEnvironments: {
      clusters: [
        { name: 'sandbox', url: 'http://127.0.0.1:6443' },
        { name: 'other', url: 'http://127.0.0.1:6444' },
        { name: 'staging', url: 'http://127.0.0.1:6445' },
      ],
    },
  }),
);
const gitops = { repoUrl: 'http://git.example.com/gitops.git', branch: 'main' };
const secrets = {
  awsAccessKeyId: 'AKIDEXAMPLE',
  awsSecretAccessKey: 'example-secret',
};

describe('logging:environment:validate', () => {
  const preflight = { check: jest.fn(async () => [] as FieldProblem[]) };
  const action = createValidateEnvironmentAction({
    clusters,
    gitops,
    preflight,
  });
  beforeEach(() => preflight.check.mockClear());

  it.each(examples.map(e => [e.description, e.example]))(
    'runs the example "%s"',
    async (_description, example) => {
      const input = yaml.parse(example).steps[0].input;
      const ctx = createMockActionContext({ input, secrets });
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith(
        'infrastructureApplication',
        `${input.name}-logging-infrastructure`,
      );
      expect(ctx.output).toHaveBeenCalledWith(
        'bucketName',
        input.bucketName ?? `${input.name}-loki`,
      );
      expect(ctx.output).toHaveBeenCalledWith(
        'secretName',
        `logging/${input.name}/loki-s3`,
      );
      expect(ctx.output).toHaveBeenCalledWith('gitopsRepoUrl', gitops.repoUrl);
      expect(preflight.check).toHaveBeenCalledWith(
        expect.objectContaining({
          name: input.name,
          cluster: input.cluster,
          keys: {
            accessKeyId: secrets.awsAccessKeyId,
            secretAccessKey: secrets.awsSecretAccessKey,
          },
        }),
        expect.anything(),
      );
    },
  );

  it('fails with every pre-flight problem in words, before any output', async () => {
    preflight.check.mockResolvedValueOnce([
      {
        field: 'awsAccessKeyId',
        message: 'is not an access key AWS knows (deleted, or mistyped)',
      },
      {
        field: 'cluster',
        message: '"sandbox" already has the logging environment acme-prod',
      },
    ]);
    const input = yaml.parse(examples[0].example).steps[0].input;
    const ctx = createMockActionContext({ input, secrets });
    const error = await action.handler(ctx).catch(e => e);
    expect(error.name).toBe('InputError');
    expect(error.message).toBe(
      'Pre-flight failed, nothing was created: awsAccessKeyId: is not an access key AWS knows (deleted, or mistyped); cluster: "sandbox" already has the logging environment acme-prod',
    );
    expect(error.message).not.toContain(secrets.awsSecretAccessKey);
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('reports every bad field at once, naming field and rule', async () => {
    const ctx = createMockActionContext({
      input: {
        name: 'Acme.Prod',
        tier: 'prod',
        cluster: 'elsewhere',
        region: 'US',
        bucketName: 'acme_loki',
        owner: 'user:default/someone',
        approverGroups: [
          'group:default/ok',
          '${{ parameters.x }}',
          'group:default/trailing-',
        ],
        kmsKeyId: 'alias/loki\nkind: Secret',
        retentionDays: 0,
        lokiSize: 'huge',
        tlsStrategy: 'none',
        requiredSecrets: ['awsAccessKeyId', 'awsSecretAccessKey'],
      },
      secrets: { awsAccessKeyId: 'AKID\nINJECTED' },
    });
    const error = await action.handler(ctx).catch(e => e);
    expect(error.name).toBe('InputError');
    for (const fragment of [
      'name: must be a DNS-1123 label',
      'region: must be an AWS region',
      'bucketName: may contain only',
      'tier: must be one of development, staging, production',
      'cluster: must be a configured cluster (sandbox, other, staging)',
      'owner: must reference a group',
      'approverGroups[1]: must reference a group',
      'approverGroups[2]: must reference a group',
      'kmsKeyId: must be a KMS key id',
      'retentionDays: must be a whole number of days from 1 to 3650',
      'lokiSize: must be one of 1x.demo',
      'tlsStrategy: must be one of system-ca, custom-ca',
      'awsAccessKeyId: must be a single line',
      'awsSecretAccessKey: is a required secret field and was not given',
    ]) {
      expect(error.message).toContain(fragment);
    }
    // The secret itself is never echoed.
    expect(error.message).not.toContain('INJECTED');
    expect(ctx.output).not.toHaveBeenCalled();
    // A request that breaks the rules goes no further: no network.
    expect(preflight.check).not.toHaveBeenCalled();
  });
});
