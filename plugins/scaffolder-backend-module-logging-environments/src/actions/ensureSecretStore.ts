import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { InputError } from '@backstage/errors';
import { ensureClusterSecretStore } from '@internal/plugin-logging-environments-node';
import {
  ClusterActionOptions,
  clusterForStep,
  readWorkspaceManifests,
} from './cluster';
import { examples } from './ensureSecretStore.examples';
import { runEnsure } from './util';
import { clusterStepInput, ensureOutput, rotateInput } from './inputs';
import { assertEnvironmentName } from './util';

/**
 * Creates `logging:secret-store:ensure`: the rendered `aws-secrets-manager`
 * ClusterSecretStore, applied and waited on until Ready.
 *
 * @public
 */
export function createEnsureSecretStoreAction(options: ClusterActionOptions) {
  return createTemplateAction({
    id: 'logging:secret-store:ensure',
    description:
      "Applies the rendered aws-secrets-manager ClusterSecretStore (External Secrets v1, AWS Secrets Manager, auth.secretRef to aws-credentials, conditions limiting it to the logging namespace), exactly as the environment's record implies, on its cluster, and waits, bounded, until External Secrets reports it Ready; on failure reports External Secrets' own reason and message.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...clusterStepInput,
        rotate: rotateInput('a store for another environment'),
        manifest: z =>
          z.string({
            description: 'Workspace path of the rendered ClusterSecretStore',
          }),
        timeoutSeconds: z =>
          z
            .number({ description: 'How long to wait for Ready (default 120)' })
            .int()
            .min(1)
            .max(1800)
            .optional(),
      },
      output: {
        ...ensureOutput,
      },
    },
    async handler(ctx) {
      assertEnvironmentName(
        'logging:secret-store:ensure',
        ctx.input.environment,
      );
      const [store, ...rest] = await readWorkspaceManifests(
        ctx.workspacePath,
        [ctx.input.manifest],
        'manifest',
      );
      if (!store || rest.length > 0) {
        throw new InputError(
          `manifest: "${ctx.input.manifest}" must hold exactly one ClusterSecretStore`,
        );
      }
      // The backend checks the store is the one the record implies (only
      // the environment's namespace, its region, aws-credentials).
      const { cluster } = await clusterForStep(
        ctx,
        options,
        'logging:secret-store:ensure',
        [store],
      );
      await runEnsure(
        ctx,
        `logging:secret-store:ensure/${ctx.input.cluster}/${
          store.metadata?.name
        }${ctx.input.rotate ? '/rotate' : ''}`,
        dryRun =>
          ensureClusterSecretStore(cluster, store, {
            dryRun,
            rotate: ctx.input.rotate,
            timeoutMs: (ctx.input.timeoutSeconds ?? 120) * 1000,
            onWaiting: line => ctx.logger.info(line),
          }),
      );
    },
  });
}
