import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  validateBucketName,
  validateEnvironmentName,
  validateRegion,
} from '@internal/plugin-logging-environments-common';
import {
  AwsClientFactory,
  EnvironmentRecordsApi,
  ensureLokiBucket,
  partitionOf,
} from '@internal/plugin-logging-environments-node';
import { examples } from './ensureBucket.examples';
import { recordForStep } from './records';
import {
  BUCKET_PATTERN,
  ENVIRONMENT_PATTERN,
  REGION_PATTERN,
  assertValid,
  runEnsure,
} from './util';

/**
 * Creates `logging:bucket:ensure`: the environment's S3 bucket for Loki,
 * created or adopted, hardened on every run.
 *
 * @public
 */
export function createEnsureBucketAction(options: {
  aws: AwsClientFactory;
  records: EnvironmentRecordsApi;
}) {
  return createTemplateAction({
    id: 'logging:bucket:ensure',
    description:
      "Creates the logging environment's S3 bucket for Loki, or adopts it when it carries the environment's tag, and (re-)applies the hardening: Block Public Access, BucketOwnerEnforced, default encryption, versioning with lifecycle rules, a TLS-only policy and tags. Only the bucket the environment's record names, for someone who may run its bootstrap.",
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
              description:
                'S3 bucket name (3-63 lowercase letters, digits and "-")',
            })
            .regex(new RegExp(BUCKET_PATTERN)),
        region: z =>
          z
            .string({ description: 'AWS region, e.g. us-east-2' })
            .regex(new RegExp(REGION_PATTERN)),
        kmsKeyId: z =>
          z
            .string({
              description:
                'KMS key (id or ARN) for default encryption; SSE-S3 when absent',
            })
            .optional(),
        noncurrentVersionExpirationDays: z =>
          z
            .number({
              description:
                'Days after which noncurrent object versions expire (default 30)',
            })
            .int()
            .min(1)
            .max(3650)
            .optional(),
        abortIncompleteMultipartUploadDays: z =>
          z
            .number({
              description:
                'Days after which incomplete multipart uploads are aborted (default 7)',
            })
            .int()
            .min(1)
            .max(365)
            .optional(),
        tags: z =>
          z
            .record(z.string(), z.string(), {
              description: 'Extra tags for the bucket',
            })
            .optional(),
      },
      output: {
        bucket: z => z.string({ description: 'The bucket name' }),
        bucketArn: z => z.string({ description: 'The bucket ARN' }),
        action: z =>
          z.string({
            description:
              'created, adopted, updated or unchanged (would-create / would-update in a dry run)',
          }),
        changes: z =>
          z.array(z.string(), { description: 'What was changed, in words' }),
      },
    },
    async handler(ctx) {
      const { environment, bucket, region } = ctx.input;
      assertValid('logging:bucket:ensure', [
        ...validateEnvironmentName(environment, 'environment'),
        ...validateBucketName(bucket, 'bucket'),
        ...validateRegion(region, 'region'),
      ]);
      await recordForStep(ctx, options.records, environment, {
        action: 'logging:bucket:ensure',
        facts: { bucket, region },
      });
      const clients = await options.aws.clients(region);
      await runEnsure(
        ctx,
        `logging:bucket:ensure/${environment}/${bucket}`,
        dryRun =>
          ensureLokiBucket(
            clients,
            {
              environment,
              bucket,
              kmsKeyId: ctx.input.kmsKeyId,
              noncurrentVersionExpirationDays:
                ctx.input.noncurrentVersionExpirationDays,
              abortIncompleteMultipartUploadDays:
                ctx.input.abortIncompleteMultipartUploadDays,
              tags: ctx.input.tags,
            },
            { dryRun },
          ),
      );
      ctx.output('bucket', bucket);
      ctx.output('bucketArn', `arn:${partitionOf(region)}:s3:::${bucket}`);
    },
  });
}
