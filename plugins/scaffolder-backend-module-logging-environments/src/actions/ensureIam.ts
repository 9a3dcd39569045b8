import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  awsNamesFor,
  ensureLokiIamUser,
} from '@internal/plugin-logging-environments-node';
import { AwsActionOptions, lokiSecretForStep } from './aws';
import { examples } from './ensureIam.examples';
import { runEnsure } from './util';
import { ensureOutput, lokiSecretStepInput } from './inputs';

/**
 * Creates `logging:iam:ensure`: the least-privilege IAM user for Loki and
 * its one access key, stored straight into Secrets Manager.
 *
 * @public
 */
export function createEnsureIamAction(options: AwsActionOptions) {
  return createTemplateAction({
    id: 'logging:iam:ensure',
    description:
      "Ensures the environment's Loki IAM user with exactly s3:ListBucket on the bucket and s3:GetObject/PutObject/DeleteObject on its objects, and issues its one access key straight into the Secrets Manager secret. The key is never an output, a log line or part of an error.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...lokiSecretStepInput,
        endpoint: z =>
          z
            .string({
              description:
                'S3 endpoint Loki uses (default: the region endpoint)',
            })
            .url()
            .optional(),
        rotateAccessKey: z =>
          z
            .boolean({
              description:
                'Issue a new key, store it, then delete the old one (runbook: rotation)',
            })
            .optional(),
      },
      output: {
        userName: z => z.string({ description: 'The IAM user' }),
        secretName: z =>
          z.string({ description: 'The secret holding the key' }),
        ...ensureOutput,
      },
    },
    async handler(ctx) {
      const { environment, bucket } = ctx.input;
      const names = awsNamesFor(environment);
      // The policy grants the record's bucket only: never another
      // environment's.
      const { secretName, clients } = await lokiSecretForStep(
        ctx,
        options,
        'logging:iam:ensure',
      );
      await runEnsure(
        ctx,
        `logging:iam:ensure/${environment}${
          ctx.input.rotateAccessKey ? '/rotate' : ''
        }`,
        dryRun =>
          ensureLokiIamUser(
            clients,
            {
              environment,
              bucket,
              secretName,
              endpoint: ctx.input.endpoint,
              kmsKeyId: ctx.input.kmsKeyId,
              rotateAccessKey: ctx.input.rotateAccessKey,
            },
            { dryRun },
          ),
      );
      ctx.output('userName', names.iamUser);
      ctx.output('secretName', secretName);
    },
  });
}
