import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ClusterRegistry,
  EnvironmentRecordsApi,
  registerArgoApplications,
} from '@internal/plugin-logging-environments-node';
import { clusterClient, readWorkspaceManifests } from './cluster';
import { examples } from './registerArgoCd.examples';
import { recordForStep } from './records';
import { clusterInput, environmentField } from './inputs';

/**
 * Creates `logging:argocd:register`: the environment's AppProject and
 * Applications, applied exactly as rendered when they are what the
 * environment's record implies, never synced, then bound to the record.
 *
 * @public
 */
export function createRegisterArgoCdAction(options: {
  clusters: ClusterRegistry;
  records: EnvironmentRecordsApi;
  gitops: { repoUrl: string; branch: string };
}) {
  return createTemplateAction({
    id: 'logging:argocd:register',
    description:
      "Applies the environment's rendered Argo CD AppProject and Applications by server-side apply, only when they are what its record implies (the GitOps repository at the environment's path, its namespace, the stack's kinds, an automated policy only for a development infrastructure Application), and never triggers a sync; then asks the backend to bind them to the record. Outputs the Applications' URLs.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        environment: environmentField(
          'Environment name: the objects must be what its record implies',
        ),
        cluster: clusterInput,
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
      const { environment } = ctx.input;
      const objects = await readWorkspaceManifests(
        ctx.workspacePath,
        ctx.input.manifests,
      );
      // The backend checks they are what the record implies: exactly the
      // environment's AppProject and Applications, as the template renders
      // them.
      const record = await recordForStep(ctx, options.records, environment, {
        action: 'logging:argocd:register',
        facts: { cluster: ctx.input.cluster },
        manifests: objects,
      });
      const cluster = clusterClient(options.clusters, ctx.input.cluster);
      const register = (dryRun: boolean) =>
        registerArgoApplications(
          cluster,
          objects,
          // A new environment in a dry run has no record (and nothing is
          // applied): its tier is unknown then.
          { tier: record?.tier },
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
      if (!ctx.isDryRun) {
        await ctx.checkpoint({
          key: `logging:argocd:register/bind/${environment}`,
          fn: async () => {
            await options.records.bindApplications(environment, {
              credentials: await ctx.getInitiatorCredentials(),
            });
          },
        });
        ctx.logger.info(
          `The backend checked the registered Applications and bound them to ${environment}'s record`,
        );
      }
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
