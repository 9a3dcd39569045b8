import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ensureLokiSecret } from '@internal/plugin-logging-environments-node';
import { AwsActionOptions, lokiSecretForStep } from './aws';
import { examples } from './ensureSecret.examples';
import { runEnsure } from './util';
import { ensureOutput, lokiSecretStepInput } from './inputs';

/**
 * Creates `logging:secret:ensure`: the Loki S3 secret in AWS Secrets
 * Manager, created or updated (the access key in it is written by
 * `logging:iam:ensure` and kept here).
 *
 * @public
 */
export function createEnsureSecretAction(options: AwsActionOptions) {
  return createTemplateAction({
    id: 'logging:secret:ensure',
    description:
      "Creates or updates the environment's Loki S3 secret in AWS Secrets Manager (bucket, region, endpoint; the access key written by logging:iam:ensure is kept), with a client request token so a retried call creates one version, an optional KMS key and tags.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...lokiSecretStepInput,
        endpoint: z =>
          z.string({ description: 'S3 endpoint Loki uses' }).url().optional(),
        tags: z =>
          z
            .record(z.string(), z.string(), { description: 'Extra tags' })
            .optional(),
      },
      output: {
        secretName: z => z.string({ description: 'The secret name' }),
        ...ensureOutput,
      },
    },
    async handler(ctx) {
      const { environment, bucket } = ctx.input;
      const { secretName, clients } = await lokiSecretForStep(
        ctx,
        options,
        'logging:secret:ensure',
      );
      await runEnsure(
        ctx,
        `logging:secret:ensure/${environment}/${secretName}`,
        dryRun =>
          ensureLokiSecret(
            clients,
            {
              name: secretName,
              environment,
              bucket,
              endpoint: ctx.input.endpoint,
              kmsKeyId: ctx.input.kmsKeyId,
              tags: ctx.input.tags,
            },
            { dryRun },
          ),
      );
      ctx.output('secretName', secretName);
    },
  });
}
