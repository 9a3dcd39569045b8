import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { TIERS } from '@internal/plugin-logging-environments-common';
import { EnvironmentRecordsApi } from '@internal/plugin-logging-environments-node';
import { examples } from './claimEnvironment.examples';
import { assertEnvironmentName } from './util';
import { clusterInput } from './inputs';

/**
 * Creates `logging:environment:claim`: the bootstrap's first step with an
 * effect. It asks the backend to write the environment's trusted record
 * (the person running the task becomes its requester), or to confirm that
 * this person may re-run an existing environment's bootstrap with the same
 * choices. Every later `logging:*` step acts only on what the record holds.
 *
 * @public
 */
export function createClaimEnvironmentAction(options: {
  records: EnvironmentRecordsApi;
}) {
  return createTemplateAction({
    id: 'logging:environment:claim',
    description:
      "Claims a logging environment in the backend's trusted records, as the person running the task: a new environment is recorded with them as its requester (on a free cluster, for a group they belong to); an existing one may be re-run only by its requester, its owner group or an administrator, and never with another tier, cluster, owner, region, bucket or approver groups. Every later logging:* step acts only on what the record holds. The run is a bootstrap entry of the environment's history, linking this task. In a dry run nothing is written.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z.string({
            description:
              'Environment name: a DNS-1123 label of at most 40 characters',
          }),
        tier: z => z.string({ description: `Tier: ${TIERS.join(', ')}` }),
        cluster: clusterInput,
        owner: z => z.string({ description: 'Entity ref of the owning group' }),
        region: z => z.string({ description: 'AWS region' }),
        bucketName: z => z.string({ description: 'The S3 bucket for Loki' }),
        approverGroups: z =>
          z
            .array(z.string(), {
              description:
                "Groups added to the tier's extendable approval roles (configuration decides which roles are)",
            })
            .optional(),
      },
      output: {
        entityRef: z =>
          z.string({ description: "The environment's entity ref" }),
        requester: z =>
          z.string({ description: 'The requester the record names' }),
        created: z =>
          z.boolean({
            description:
              'Whether the environment is new (false: a re-run of an existing one)',
          }),
      },
    },
    async handler(ctx) {
      assertEnvironmentName(
        'logging:environment:claim',
        ctx.input.name,
        'name',
      );
      const request = {
        name: ctx.input.name,
        tier: ctx.input.tier,
        cluster: ctx.input.cluster,
        owner: ctx.input.owner,
        region: ctx.input.region,
        bucket: ctx.input.bucketName,
        approverGroups: ctx.input.approverGroups ?? [],
      };
      const claim = async (dryRun: boolean) =>
        options.records.claim(request, {
          credentials: await ctx.getInitiatorCredentials(),
          dryRun,
          // The history's bootstrap entry links this run. A dry run writes
          // no history, and the scaffolder runs it with the user's own
          // credentials, which may not name a task.
          taskId: dryRun ? undefined : ctx.task.id,
        });
      const { record, created } = ctx.isDryRun
        ? await claim(true)
        : ((await ctx.checkpoint({
            key: `logging:environment:claim/${request.name}`,
            fn: async () => (await claim(false)) as any,
          })) as Awaited<ReturnType<typeof claim>>);
      ctx.logger.info(
        created
          ? `${ctx.isDryRun ? 'Would claim' : 'Claimed'} the new ${
              record.tier
            } environment ${record.name} on cluster ${
              record.cluster
            }, requested by ${record.requester}`
          : `${record.name} exists (${record.tier}, cluster ${record.cluster}, owner ${record.owner}); you may re-run its bootstrap`,
      );
      ctx.output('entityRef', record.entityRef);
      ctx.output('requester', record.requester);
      ctx.output('created', created);
    },
  });
}
