import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  validateBucketName,
  validateEnvironmentName,
  validateRegion,
} from '@internal/plugin-logging-environments-common';
import {
  AwsClientFactory,
  EnvironmentRecordsApi,
  awsNamesFor,
  ensureLokiSecret,
} from '@internal/plugin-logging-environments-node';
import { examples } from './ensureSecret.examples';
import { recordForStep } from './records';
import { assertValid, runEnsure } from './util';
import {
  actionOutput,
  bucketInput,
  changesOutput,
  environmentInput,
  regionInput,
  secretKmsKeyInput,
  secretNameInput,
} from './inputs';

/**
 * Creates `logging:secret:ensure`: the Loki S3 secret in AWS Secrets
 * Manager, created or updated (the access key in it is written by
 * `logging:iam:ensure` and kept here).
 *
 * @public
 */
export function createEnsureSecretAction(options: {
  aws: AwsClientFactory;
  records: EnvironmentRecordsApi;
}) {
  return createTemplateAction({
    id: 'logging:secret:ensure',
    description:
      "Creates or updates the environment's Loki S3 secret in AWS Secrets Manager (bucket, region, endpoint; the access key written by logging:iam:ensure is kept), with a client request token so a retried call creates one version, an optional KMS key and tags.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        environment: environmentInput,
        bucket: bucketInput,
        region: regionInput,
        secretName: secretNameInput,
        endpoint: z =>
          z.string({ description: 'S3 endpoint Loki uses' }).url().optional(),
        kmsKeyId: secretKmsKeyInput,
        tags: z =>
          z
            .record(z.string(), z.string(), { description: 'Extra tags' })
            .optional(),
      },
      output: {
        secretName: z => z.string({ description: 'The secret name' }),
        action: actionOutput,
        changes: changesOutput,
      },
    },
    async handler(ctx) {
      const { environment, bucket, region } = ctx.input;
      assertValid('logging:secret:ensure', [
        ...validateEnvironmentName(environment, 'environment'),
        ...validateBucketName(bucket, 'bucket'),
        ...validateRegion(region, 'region'),
      ]);
      const secretName =
        ctx.input.secretName ?? awsNamesFor(environment).secret;
      await recordForStep(ctx, options.records, environment, {
        action: 'logging:secret:ensure',
        facts: { bucket, region, secretName },
      });
      const clients = await options.aws.clients(region);
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
