import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  CLUSTER_CREDENTIALS,
  ensureClusterCredentials,
} from '@internal/plugin-logging-environments-node';
import { ClusterActionOptions, clusterForStep } from './cluster';
import { examples } from './applyClusterCredentials.examples';
import { runEnsure } from './util';
import { clusterStepInput, ensureOutput, rotateInput } from './inputs';

/**
 * Creates `logging:cluster-credentials:apply`: the `aws-credentials` Secret
 * in `external-secrets-system`, from the template's secret fields.
 *
 * @public
 */
export function createApplyClusterCredentialsAction(
  options: ClusterActionOptions,
) {
  return createTemplateAction({
    id: 'logging:cluster-credentials:apply',
    description: `Applies the Secret ${CLUSTER_CREDENTIALS.namespace}/${CLUSTER_CREDENTIALS.name} (by server-side apply) with the credentials External Secrets uses to read Secrets Manager, taken from the task's secret fields, on the cluster of the environment's record. Different credentials already there are replaced only with rotate: true. The values are never logged or output.`,
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...clusterStepInput,
        rotate: rotateInput('credentials'),
        accessKeyIdSecret: z =>
          z
            .string({
              description:
                'Task secret holding the access key id (default awsAccessKeyId)',
            })
            .optional(),
        secretAccessKeySecret: z =>
          z
            .string({
              description:
                'Task secret holding the secret access key (default awsSecretAccessKey)',
            })
            .optional(),
      },
      output: {
        secret: z => z.string({ description: 'namespace/name of the Secret' }),
        ...ensureOutput,
      },
    },
    async handler(ctx) {
      const idField = ctx.input.accessKeyIdSecret ?? 'awsAccessKeyId';
      const keyField = ctx.input.secretAccessKeySecret ?? 'awsSecretAccessKey';
      const accessKeyId = ctx.secrets?.[idField];
      const secretAccessKey = ctx.secrets?.[keyField];
      const missing = [
        ...(accessKeyId ? [] : [idField]),
        ...(secretAccessKey ? [] : [keyField]),
      ];
      if (missing.length) {
        throw new InputError(
          `Invalid input to logging:cluster-credentials:apply: ${missing
            .map(f => `${f}: is a required secret field and was not given`)
            .join('; ')}`,
        );
      }
      const { cluster } = await clusterForStep(
        ctx,
        options,
        'logging:cluster-credentials:apply',
      );
      await runEnsure(
        ctx,
        `logging:cluster-credentials:apply/${ctx.input.cluster}${
          ctx.input.rotate ? '/rotate' : ''
        }`,
        dryRun =>
          ensureClusterCredentials(
            cluster,
            { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! },
            { dryRun, rotate: ctx.input.rotate },
          ),
      );
      ctx.output(
        'secret',
        `${CLUSTER_CREDENTIALS.namespace}/${CLUSTER_CREDENTIALS.name}`,
      );
    },
  });
}
