import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { environmentLayout } from '@internal/plugin-logging-environments-common';
import {
  ArgoCdHealthCheckSettings,
  ClusterRegistry,
  EnvironmentRecordsApi,
  argoCdHealthCheckSettings,
  ensureArgoCdHealthChecks,
  registerArgoApplications,
} from '@internal/plugin-logging-environments-node';
import { clusterClient, readWorkspaceManifests } from './cluster';
import { examples } from './registerArgoCd.examples';
import { recordForStep } from './records';
import { clusterInput, environmentField } from './inputs';
import { assertEnvironmentName } from './util';

/**
 * Creates `logging:argocd:register`: first the product's Argo CD health
 * checks of LokiStack and ClusterLogForwarder on the record's cluster (Argo
 * CD has none built in, so without them the forwarder's wave never turns
 * healthy), in the form its Argo CD takes; then the environment's
 * AppProject and Applications, applied exactly as rendered when they are
 * what the environment's record implies, never synced, then bound to the
 * record.
 *
 * @public
 */
export function createRegisterArgoCdAction(options: {
  clusters: ClusterRegistry;
  records: EnvironmentRecordsApi;
  gitops: { repoUrl: string; branch: string };
  /**
   * Where the health checks come from and how each cluster takes them
   * (default: the workspace's `manifests/argocd/health`, each cluster's
   * configured `argocdFlavour`).
   */
  argoCd?: ArgoCdHealthCheckSettings;
}) {
  const argoCd =
    options.argoCd ?? argoCdHealthCheckSettings({ clusters: options.clusters });
  return createTemplateAction({
    id: 'logging:argocd:register',
    description:
      "Installs the product's Argo CD health checks of LokiStack and ClusterLogForwarder on the cluster (upstream Argo CD: server-side apply of their argocd-cm keys only; OpenShift GitOps: entries of the ArgoCD resource's spec.resourceHealthChecks, others' entries kept), then applies the environment's rendered Argo CD AppProject and Applications by server-side apply, only when they are what its record implies (the GitOps repository at the environment's path, its namespace, the stack's kinds, an automated policy only for a development infrastructure Application), and never triggers a sync; then asks the backend to bind them to the record. Outputs the Applications' URLs.",
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
      assertEnvironmentName('logging:argocd:register', environment);
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

      // The health checks first: an Application whose waves can never turn
      // healthy must not be registered. They are cluster-wide; the record
      // check above made sure this is the environment's cluster.
      const shipped = await argoCd.healthChecks();
      const installChecks = (dryRun: boolean) =>
        ensureArgoCdHealthChecks(cluster, shipped, {
          namespace: environmentLayout(environment).argocdNamespace,
          flavour: argoCd.flavour(ctx.input.cluster),
          dryRun,
        });
      const checks = ctx.isDryRun
        ? await installChecks(true)
        : ((await ctx.checkpoint({
            key: `logging:argocd:register/health-checks/${ctx.input.cluster}`,
            fn: async () => (await installChecks(false)) as any,
          })) as Awaited<ReturnType<typeof installChecks>>);
      ctx.logger.info(
        `Argo CD health checks: ${checks.resource} ${checks.action.replace(
          '-',
          ' ',
        )}${checks.changes.length ? `: ${checks.changes.join('; ')}` : ''}`,
      );

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
              taskId: ctx.task.id,
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
