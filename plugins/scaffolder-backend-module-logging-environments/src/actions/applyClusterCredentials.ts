import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  CLUSTER_CREDENTIALS,
  ClusterRegistry,
  ensureClusterCredentials,
} from '@internal/plugin-logging-environments-node';
import { clusterClient } from './cluster';
import { examples } from './applyClusterCredentials.examples';
import { runEnsure } from './util';

/**
 * Creates `logging:cluster-credentials:apply`: the `aws-credentials` Secret
 * in `external-secrets-system`, from the template's secret fields.
 *
 * @public
 */
export function createApplyClusterCredentialsAction(options: {
  clusters: ClusterRegistry;
}) {
  return createTemplateAction({
    id: 'logging:cluster-credentials:apply',
    description: `Applies the Secret ${CLUSTER_CREDENTIALS.namespace}/${CLUSTER_CREDENTIALS.name} (by server-side apply) with the credentials External Secrets uses to read Secrets Manager, taken from the task's secret fields. The values are never logged or output.`,
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        cluster: z => z.string({ description: 'Name of a configured cluster' }),
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
        action: z => z.string({ description: 'created, updated or unchanged' }),
        changes: z => z.array(z.string(), { description: 'What was changed' }),
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
      const cluster = clusterClient(options.clusters, ctx.input.cluster);
      await runEnsure(
        ctx,
        `logging:cluster-credentials:apply/${ctx.input.cluster}`,
        dryRun =>
          ensureClusterCredentials(
            cluster,
            { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! },
            { dryRun },
          ),
      );
      ctx.output(
        'secret',
        `${CLUSTER_CREDENTIALS.namespace}/${CLUSTER_CREDENTIALS.name}`,
      );
    },
  });
}
