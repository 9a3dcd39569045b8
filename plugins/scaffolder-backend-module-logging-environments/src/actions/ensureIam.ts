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
import {
  BUCKET_PATTERN,
  ENVIRONMENT_PATTERN,
  REGION_PATTERN,
  assertValid,
  runEnsure,
} from './util';

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
        environment: z =>
          z
            .string({ description: 'Environment name (DNS-1123 label)' })
            .regex(new RegExp(ENVIRONMENT_PATTERN)),
        bucket: z =>
          z
            .string({
              description: 'The Loki bucket the policy grants access to',
            })
            .regex(new RegExp(BUCKET_PATTERN)),
        region: z =>
          z
            .string({ description: 'AWS region of the bucket and the secret' })
            .regex(new RegExp(REGION_PATTERN)),
        secretName: z =>
          z
            .string({
              description:
                'Secrets Manager secret receiving the key (default logging/<environment>/loki-s3)',
            })
            .optional(),
        endpoint: z =>
          z
            .string({
              description:
                'S3 endpoint Loki uses (default: the region endpoint)',
            })
            .url()
            .optional(),
        kmsKeyId: z =>
          z.string({ description: 'KMS key for the secret' }).optional(),
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
        action: z =>
          z.string({ description: 'created, adopted, updated or unchanged' }),
        changes: z =>
          z.array(z.string(), { description: 'What was changed, in words' }),
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
