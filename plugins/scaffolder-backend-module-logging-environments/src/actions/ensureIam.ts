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
  ensureLokiIamUser,
} from '@internal/plugin-logging-environments-node';
import { examples } from './ensureIam.examples';
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
 * Creates `logging:iam:ensure`: the least-privilege IAM user for Loki and
 * its one access key, stored straight into Secrets Manager.
 *
 * @public
 */
export function createEnsureIamAction(options: {
  aws: AwsClientFactory;
  records: EnvironmentRecordsApi;
}) {
  return createTemplateAction({
    id: 'logging:iam:ensure',
    description:
      "Ensures the environment's Loki IAM user with exactly s3:ListBucket on the bucket and s3:GetObject/PutObject/DeleteObject on its objects, and issues its one access key straight into the Secrets Manager secret. The key is never an output, a log line or part of an error.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        environment: environmentInput,
        bucket: bucketInput,
        region: regionInput,
        secretName: secretNameInput,
        endpoint: z =>
          z
            .string({
              description:
                'S3 endpoint Loki uses (default: the region endpoint)',
            })
            .url()
            .optional(),
        kmsKeyId: secretKmsKeyInput,
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
        action: actionOutput,
        changes: changesOutput,
      },
    },
    async handler(ctx) {
      const { environment, bucket, region } = ctx.input;
      assertValid('logging:iam:ensure', [
        ...validateEnvironmentName(environment, 'environment'),
        ...validateBucketName(bucket, 'bucket'),
        ...validateRegion(region, 'region'),
      ]);
      const names = awsNamesFor(environment);
      const secretName = ctx.input.secretName ?? names.secret;
      // The policy grants the record's bucket only: never another
      // environment's.
      await recordForStep(ctx, options.records, environment, {
        action: 'logging:iam:ensure',
        facts: { bucket, region, secretName },
      });
      const clients = await options.aws.clients(region);
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
