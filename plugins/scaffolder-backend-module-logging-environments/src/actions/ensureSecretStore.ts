import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ClusterRegistry,
  ensureClusterSecretStore,
} from '@internal/plugin-logging-environments-node';
import { clusterClient, readWorkspaceManifests } from './cluster';
import { examples } from './ensureSecretStore.examples';
import { runEnsure } from './util';

/**
 * Creates `logging:secret-store:ensure`: the rendered `aws-secrets-manager`
 * ClusterSecretStore, applied and waited on until Ready.
 *
 * @public
 */
export function createEnsureSecretStoreAction(options: {
  clusters: ClusterRegistry;
}) {
  return createTemplateAction({
    id: 'logging:secret-store:ensure',
    description:
      "Applies the rendered aws-secrets-manager ClusterSecretStore (External Secrets v1, AWS Secrets Manager, auth.secretRef to aws-credentials, conditions limiting it to the logging namespace) and waits, bounded, until External Secrets reports it Ready; on failure reports External Secrets' own reason and message.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        cluster: z => z.string({ description: 'Name of a configured cluster' }),
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
        action: z => z.string({ description: 'created, updated or unchanged' }),
        changes: z => z.array(z.string(), { description: 'What was changed' }),
      },
    },
    async handler(ctx) {
      const [store, ...rest] = await readWorkspaceManifests(
        ctx.workspacePath,
        [ctx.input.manifest],
        'manifest',
      );
      if (!store || rest.length > 0) {
        throw new Error(
          `manifest: "${ctx.input.manifest}" must hold exactly one ClusterSecretStore`,
        );
      }
      const cluster = clusterClient(options.clusters, ctx.input.cluster);
      await runEnsure(
        ctx,
        `logging:secret-store:ensure/${ctx.input.cluster}/${store.metadata?.name}`,
        dryRun =>
          ensureClusterSecretStore(cluster, store, {
            dryRun,
            timeoutMs: (ctx.input.timeoutSeconds ?? 120) * 1000,
          }),
      );
    },
  });
}
