import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ensureLokiBucket,
  partitionOf,
} from '@internal/plugin-logging-environments-node';
import { AwsActionOptions, awsClientsForStep } from './aws';
import { examples } from './ensureBucket.examples';
import { runEnsure } from './util';
import { awsStepInput, ensureOutput } from './inputs';

/**
 * Creates `logging:bucket:ensure`: the environment's S3 bucket for Loki,
 * created or adopted, hardened on every run.
 *
 * @public
 */
export function createEnsureBucketAction(options: AwsActionOptions) {
  return createTemplateAction({
    id: 'logging:bucket:ensure',
    description:
      "Creates the logging environment's S3 bucket for Loki, or adopts it when it carries the environment's tag, and (re-)applies the hardening: Block Public Access, BucketOwnerEnforced, default encryption, versioning with lifecycle rules, a TLS-only policy and tags. Only the bucket the environment's record names, for someone who may run its bootstrap.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...awsStepInput,
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
        ...ensureOutput,
      },
    },
    async handler(ctx) {
      const { environment, bucket, region } = ctx.input;
      const clients = await awsClientsForStep(
        ctx,
        options,
        'logging:bucket:ensure',
      );
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
