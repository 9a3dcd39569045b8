import { ConflictError } from '@backstage/errors';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  BootstrapRequest,
  EnvironmentRecord,
} from '@internal/plugin-logging-environments-common';
import { EnvironmentRecordsApi } from '@internal/plugin-logging-environments-node';
import yaml from 'yaml';
import { createClaimEnvironmentAction } from './claimEnvironment';
import { examples } from './claimEnvironment.examples';

/** Records what the action asks the backend, and answers as it would for a new environment. */
function backend() {
  const claims: Array<{
    request: BootstrapRequest;
    dryRun?: boolean;
    taskId?: string;
  }> = [];
  const api: EnvironmentRecordsApi = {
    async claim(request, { dryRun, taskId }) {
      claims.push({ request, dryRun, taskId });
      if (request.tier === 'development' && request.name === 'acme-prod') {
        throw new ConflictError(
          'tier: acme-prod is a production environment; a downgrade from production to development is refused',
        );
      }
      return {
        created: true,
        record: {
          entityRef: `resource:default/${request.name}`,
          name: request.name,
          tier: request.tier,
          cluster: request.cluster,
          owner: request.owner,
          requester: 'user:default/requester',
        } as EnvironmentRecord,
      };
    },
    checkStep: async () => {
      throw new Error('not used');
    },
    bindApplications: async () => {
      throw new Error('not used');
    },
  };
  return { api, claims };
}

describe('logging:environment:claim', () => {
  it.each(examples.map(e => [e.description, e.example]))(
    'runs the example "%s": the backend is asked, once, inside a checkpoint, naming the task',
    async (_d, example) => {
      const { api, claims } = backend();
      const input = yaml.parse(example).steps[0].input;
      const ctx = createMockActionContext({ input });
      await createClaimEnvironmentAction({ records: api }).handler(ctx);
      expect(claims).toEqual([
        {
          request: {
            name: input.name,
            tier: input.tier,
            cluster: input.cluster,
            owner: input.owner,
            region: input.region,
            bucket: input.bucketName,
            approverGroups: input.approverGroups ?? [],
          },
          dryRun: false,
          taskId: ctx.task.id,
        },
      ]);
      expect(ctx.task.id).toEqual(expect.any(String));
      expect(ctx.output).toHaveBeenCalledWith(
        'entityRef',
        `resource:default/${input.name}`,
      );
      expect(ctx.output).toHaveBeenCalledWith(
        'requester',
        'user:default/requester',
      );
      expect(ctx.output).toHaveBeenCalledWith('created', true);
    },
  );

  it('writes nothing in a dry run, and names no task (a dry run has no history entry)', async () => {
    const { api, claims } = backend();
    const input = yaml.parse(examples[0].example).steps[0].input;
    await createClaimEnvironmentAction({ records: api }).handler(
      Object.assign(createMockActionContext({ input }), { isDryRun: true }),
    );
    expect(claims.map(c => [c.dryRun, c.taskId])).toEqual([[true, undefined]]);
  });

  it("fails the step with the backend's reason", async () => {
    const { api } = backend();
    const input = {
      ...yaml.parse(examples[0].example).steps[0].input,
      tier: 'development',
    };
    await expect(
      createClaimEnvironmentAction({ records: api }).handler(
        createMockActionContext({ input }),
      ),
    ).rejects.toThrow(
      'tier: acme-prod is a production environment; a downgrade from production to development is refused',
    );
  });
});
