import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ClusterRegistry,
  DEFAULT_EXTERNAL_SECRETS_FLAVOUR,
  EnsureResult,
  EnvironmentRecordsApi,
  LOGGING_OPERATORS,
  assertExternalSecretsFlavour,
  ensureExternalSecretsConfig,
  ensureOperators,
  operatorManifests,
} from '@internal/plugin-logging-environments-node';
import { clusterClient } from './cluster';
import { examples } from './ensureOperators.examples';
import { recordForStep } from './records';
import { clusterInput, environmentInput } from './inputs';
import { assertEnvironmentName } from './util';

const KEYS = Object.keys(LOGGING_OPERATORS) as Array<
  keyof typeof LOGGING_OPERATORS
>;

/**
 * Creates `logging:operators:ensure`: the OLM Subscriptions of the stack's
 * operators, waited on until their ClusterServiceVersions succeed; for
 * External Secrets, in the flavour of the cluster's configuration
 * (`externalSecretsFlavour`), also the configuration object its operator
 * waits for, waited on until the operator reports the controller deployed.
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
      "Ensures the OLM Subscriptions of the Loki Operator, Cluster Logging, External Secrets and OpenShift GitOps (or a subset), skipping operators already installed, and waits, bounded, for their ClusterServiceVersions to succeed, on the cluster of the environment's record. External Secrets is installed in the flavour the cluster's configuration names (community by default, or Red Hat's), together with the configuration object its operator needs before it deploys a controller (OperatorConfig or ExternalSecretsConfig), waited on until the controller is deployed.",
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
      assertEnvironmentName('logging:operators:ensure', ctx.input.environment);
      await recordForStep(ctx, options.records, ctx.input.environment, {
        action: 'logging:operators:ensure',
        facts: { cluster: ctx.input.cluster },
      });
      const cluster = clusterClient(options.clusters, ctx.input.cluster);
      // A fact of the cluster, from configuration, never from the input.
      const flavour =
        options.clusters.get(ctx.input.cluster).externalSecretsFlavour ??
        DEFAULT_EXTERNAL_SECRETS_FLAVOUR;
      const keys = (ctx.input.operators ?? KEYS) as Array<
        keyof typeof LOGGING_OPERATORS
      >;
      const externalSecrets = keys.includes('externalSecrets');
      const objects = operatorManifests({
        operators: keys,
        channels: ctx.input.channels as any,
        externalSecretsFlavour: flavour,
      });
      const timeoutMs = (ctx.input.timeoutSeconds ?? 600) * 1000;
      const onWaiting = (line: string) => ctx.logger.info(line);
      const install = async (dryRun: boolean) => {
        if (externalSecrets)
          await assertExternalSecretsFlavour(cluster, flavour);
        return ensureOperators(cluster, objects as any, {
          dryRun,
          timeoutMs,
          onWaiting,
        });
      };
      // After the Subscriptions: the object's CRD comes with the operator.
      const configure = (dryRun: boolean) =>
        ensureExternalSecretsConfig(cluster, flavour, {
          dryRun,
          timeoutMs,
          onWaiting,
        });
      const key = `logging:operators:ensure/${ctx.input.cluster}/${keys.join(
        ',',
      )}${externalSecrets ? `/${flavour}` : ''}`;
      let results: EnsureResult[];
      if (ctx.isDryRun) {
        results = await install(true);
        if (externalSecrets) results.push(await configure(true));
      } else {
        results = (await ctx.checkpoint({
          key,
          fn: async () => (await install(false)) as any,
        })) as EnsureResult[];
        if (externalSecrets) {
          const configured = (await ctx.checkpoint({
            key: `${key}/config`,
            fn: async () => (await configure(false)) as any,
          })) as EnsureResult;
          results = [...results, configured];
        }
      }
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
