import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { TIERS } from '@internal/plugin-logging-environments-common';
import {
  ClusterRegistry,
  registerArgoApplications,
} from '@internal/plugin-logging-environments-node';
import { clusterClient, readWorkspaceManifests } from './cluster';
import { examples } from './registerArgoCd.examples';
import { assertValid } from './util';

/**
 * Creates `logging:argocd:register`: the environment's AppProject and
 * Applications, applied exactly as rendered, never synced.
 *
 * @public
 */
export function createRegisterArgoCdAction(options: {
  clusters: ClusterRegistry;
}) {
  return createTemplateAction({
    id: 'logging:argocd:register',
    description:
      "Applies the environment's rendered Argo CD AppProject and Applications exactly as rendered, by server-side apply, and never triggers a sync (staging and production Applications may not carry syncPolicy.automated). Outputs the Applications' URLs.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        cluster: z => z.string({ description: 'Name of a configured cluster' }),
        tier: z => z.string({ description: `Tier: ${TIERS.join(', ')}` }),
        manifests: z =>
          z
            .array(z.string(), {
              description:
                'Workspace paths of the rendered AppProject and Applications',
            })
            .min(1),
      },
      output: {
        applications: z =>
          z.array(
            z.object({
              name: z.string(),
              namespace: z.string(),
              url: z.string().optional(),
            }),
            {
              description:
                'The registered Applications, with their Argo CD URLs when configured',
            },
          ),
      },
    },
    async handler(ctx) {
      assertValid(
        'logging:argocd:register',
        (TIERS as readonly string[]).includes(ctx.input.tier)
          ? []
          : [{ field: 'tier', message: `must be one of ${TIERS.join(', ')}` }],
      );
      const objects = await readWorkspaceManifests(
        ctx.workspacePath,
        ctx.input.manifests,
      );
      const cluster = clusterClient(options.clusters, ctx.input.cluster);
      const register = (dryRun: boolean) =>
        registerArgoApplications(
          cluster,
          objects,
          { tier: ctx.input.tier },
          { dryRun },
        );
      const results = ctx.isDryRun
        ? await register(true)
        : ((await ctx.checkpoint({
            key: `logging:argocd:register/${ctx.input.cluster}/${objects
              .map(o => o.metadata?.name)
              .join(',')}`,
            fn: async () => (await register(false)) as any,
          })) as Awaited<ReturnType<typeof register>>);
      for (const r of results)
        ctx.logger.info(`${r.resource} ${r.action.replace('-', ' ')}`);
      const argocdUrl = options.clusters
        .get(ctx.input.cluster)
        .argocdUrl?.replace(/\/+$/, '');
      ctx.output(
        'applications',
        objects
          .filter(o => o.kind === 'Application')
          .map(o => ({
            name: o.metadata.name,
            namespace: o.metadata.namespace,
            ...(argocdUrl
              ? {
                  url: `${argocdUrl}/applications/${o.metadata.namespace}/${o.metadata.name}`,
                }
              : {}),
          })),
      );
    },
  });
}
