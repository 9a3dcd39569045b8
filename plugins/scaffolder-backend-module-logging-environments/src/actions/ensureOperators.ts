import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ClusterRegistry,
  EnvironmentRecordsApi,
  LOGGING_OPERATORS,
  ensureOperators,
  operatorManifests,
} from '@internal/plugin-logging-environments-node';
import { clusterClient } from './cluster';
import { examples } from './ensureOperators.examples';
import { recordForStep } from './records';
import { clusterInput, environmentInput } from './inputs';

const KEYS = Object.keys(LOGGING_OPERATORS) as Array<
  keyof typeof LOGGING_OPERATORS
>;

/**
 * Creates `logging:operators:ensure`: the OLM Subscriptions of the stack's
 * operators, waited on until their ClusterServiceVersions succeed.
 *
 * @public
 */
export function createEnsureOperatorsAction(options: {
  clusters: ClusterRegistry;
  records: EnvironmentRecordsApi;
}) {
  return createTemplateAction({
    id: 'logging:operators:ensure',
    description:
      "Ensures the OLM Subscriptions of the Loki Operator, Cluster Logging, External Secrets and OpenShift GitOps (or a subset), skipping operators already installed, and waits, bounded, for their ClusterServiceVersions to succeed, on the cluster of the environment's record.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        environment: environmentInput,
        cluster: clusterInput,
        operators: z =>
          z
            .array(z.enum(KEYS as [string, ...string[]]), {
              description: `Which operators (default all: ${KEYS.join(', ')})`,
            })
            .optional(),
        channels: z =>
          z
            .record(z.string(), z.string(), {
              description: 'Channel overrides by operator key',
            })
            .optional(),
        timeoutSeconds: z =>
          z
            .number({
              description: 'How long to wait for each operator (default 600)',
            })
            .int()
            .min(1)
            .max(3600)
            .optional(),
      },
      output: {
        results: z =>
          z.array(z.object({ resource: z.string(), action: z.string() }), {
            description: 'What happened to each object',
          }),
      },
    },
    async handler(ctx) {
      await recordForStep(ctx, options.records, ctx.input.environment, {
        action: 'logging:operators:ensure',
        facts: { cluster: ctx.input.cluster },
      });
      const cluster = clusterClient(options.clusters, ctx.input.cluster);
      const objects = operatorManifests({
        operators: ctx.input.operators as
          | Array<keyof typeof LOGGING_OPERATORS>
          | undefined,
        channels: ctx.input.channels as any,
      });
      const run = (dryRun: boolean) =>
        ensureOperators(cluster, objects as any, {
          dryRun,
          timeoutMs: (ctx.input.timeoutSeconds ?? 600) * 1000,
        });
      const results = ctx.isDryRun
        ? await run(true)
        : ((await ctx.checkpoint({
            key: `logging:operators:ensure/${ctx.input.cluster}/${(
              ctx.input.operators ?? KEYS
            ).join(',')}`,
            fn: async () => (await run(false)) as any,
          })) as Awaited<ReturnType<typeof run>>);
      for (const r of results) {
        ctx.logger.info(
          `${r.resource} ${r.action}${
            r.changes.length ? `: ${r.changes.join('; ')}` : ''
          }`,
        );
      }
      ctx.output(
        'results',
        results.map(r => ({ resource: r.resource, action: r.action })),
      );
    },
  });
}
