import { ConfigReader } from '@backstage/config';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { ConfigClusterRegistry } from '@internal/plugin-logging-environments-node';
import yaml from 'yaml';
import { createValidateEnvironmentAction } from './validateEnvironment';
import { examples } from './validateEnvironment.examples';

const clusters = ConfigClusterRegistry.fromConfig(
  new ConfigReader({
    loggingEnvironments: {
      clusters: [{ name: 'sandbox', url: 'http://127.0.0.1:6443' }],
    },
  }),
);

describe('logging:environment:validate', () => {
  const action = createValidateEnvironmentAction({ clusters });

  it.each(examples.map(e => [e.description, e.example]))(
    'runs the example "%s"',
    async (_description, example) => {
      const input = yaml.parse(example).steps[0].input;
      const ctx = createMockActionContext({ input });
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith(
        'infrastructureApplication',
        `${input.name}-logging-infrastructure`,
      );
      expect(ctx.output).toHaveBeenCalledWith(
        'bucketName',
        input.bucketName ?? `${input.name}-loki`,
      );
    },
  );

  it('reports every bad field at once, naming field and rule', async () => {
    const ctx = createMockActionContext({
      input: {
        name: 'Acme.Prod',
        tier: 'prod',
        cluster: 'elsewhere',
        region: 'US',
        bucketName: 'acme_loki',
      },
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /name: must be a DNS-1123 label.*region: must be an AWS region.*bucketName: may contain only.*tier: must be one of development, staging, production.*cluster: must be a configured cluster \(sandbox\)/,
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });
});
