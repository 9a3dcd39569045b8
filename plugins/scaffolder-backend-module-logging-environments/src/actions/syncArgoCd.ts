import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ArgoCdApiClient,
  ClusterRegistry,
  syncApplicationViaOperation,
} from '@internal/plugin-logging-environments-node';
import { clusterClient } from './cluster';
import { examples } from './syncArgoCd.examples';

/**
 * Creates `logging:argocd:sync`: starts an Argo CD sync of Applications at a
 * pinned revision (used by the development tier; staging and production
 * sync through the portal after approval).
 *
 * @public
 */
export function createSyncArgoCdAction(options: { clusters: ClusterRegistry }) {
  return createTemplateAction({
    id: 'logging:argocd:sync',
    description:
      'Starts an Argo CD sync of the given Applications at a pinned revision: through the Argo CD API when the cluster has argocdUrl and argocdToken (its RBAC and sync windows apply; a blocking window is an error, never forced), else by setting .operation on the Application. Never uses the refresh annotation, which does not sync. For development environments; staging and production are synced from the environment page after approval.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        cluster: z => z.string({ description: 'Name of a configured cluster' }),
        applications: z =>
          z
            .array(z.string(), {
              description: 'Application names, synced in this order',
            })
            .min(1),
        namespace: z =>
          z
            .string({
              description:
                'Namespace of the Applications (default openshift-gitops)',
            })
            .optional(),
        revision: z =>
          z.string({
            description: 'The Git revision to sync (branch, tag or commit)',
          }),
      },
    },
    async handler(ctx) {
      const namespace = ctx.input.namespace ?? 'openshift-gitops';
      const cluster = clusterClient(options.clusters, ctx.input.cluster);
      const api = options.clusters.argocdApi(ctx.input.cluster);
      const initiatedBy = (await ctx.getInitiatorCredentials()).principal;
      const who =
        (initiatedBy as { userEntityRef?: string }).userEntityRef ??
        'backstage';
      for (const name of ctx.input.applications) {
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Would sync Application ${namespace}/${name} at ${ctx.input.revision}`,
          );
          continue;
        }
        await ctx.checkpoint({
          key: `logging:argocd:sync/${ctx.input.cluster}/${namespace}/${name}/${ctx.input.revision}`,
          fn: async () => {
            if (api) {
              await new ArgoCdApiClient(api).sync(name, {
                appNamespace: namespace,
                revision: ctx.input.revision,
              });
            } else {
              await syncApplicationViaOperation(
                cluster,
                { name, namespace },
                { revision: ctx.input.revision, initiatedBy: who },
              );
            }
          },
        });
        ctx.logger.info(
          `Started a sync of Application ${namespace}/${name} at ${
            ctx.input.revision
          } ${api ? 'through the Argo CD API' : 'by setting its operation'}`,
        );
      }
    },
  });
}
