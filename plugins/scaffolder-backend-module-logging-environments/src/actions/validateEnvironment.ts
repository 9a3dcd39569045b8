import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  FieldProblem,
  TIERS,
  applicationNames,
  formatProblems,
  isTier,
  validateBucketName,
  validateEnvironmentName,
  validateRegion,
} from '@internal/plugin-logging-environments-common';
import { ClusterRegistry } from '@internal/plugin-logging-environments-node';
import { examples } from './validateEnvironment.examples';

/**
 * The bucket name used when the template does not give one.
 *
 * @public
 */
export function defaultBucketName(environment: string): string {
  return `${environment}-loki`;
}

/**
 * Creates `logging:environment:validate`: checks a logging-environment
 * request as a whole before any step has a side effect, and outputs the
 * names derived from it.
 *
 * @public
 */
export function createValidateEnvironmentAction(options: {
  clusters: ClusterRegistry;
}) {
  const { clusters } = options;
  return createTemplateAction({
    id: 'logging:environment:validate',
    description:
      'Checks a logging environment request (name, tier, cluster, region, bucket) and outputs the derived names. Run it first: it has no side effects.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z.string({
            description:
              'Environment name: a DNS-1123 label of at most 40 characters',
          }),
        tier: z =>
          z.string({
            description: `Tier: ${TIERS.join(', ')}`,
          }),
        cluster: z =>
          z.string({
            description: 'Name of a cluster configured in the backend',
          }),
        region: z => z.string({ description: 'AWS region, e.g. us-east-2' }),
        bucketName: z =>
          z
            .string({
              description: 'S3 bucket for Loki; defaults to "<name>-loki"',
            })
            .optional(),
      },
      output: {
        bucketName: z => z.string({ description: 'The S3 bucket to use' }),
        infrastructureApplication: z =>
          z.string({ description: 'Name of the infrastructure Application' }),
        forwarderApplication: z =>
          z.string({ description: 'Name of the forwarder Application' }),
      },
    },
    async handler(ctx) {
      const { name, tier, cluster, region } = ctx.input;
      const bucketName = ctx.input.bucketName || defaultBucketName(name);

      const problems: FieldProblem[] = [
        ...validateEnvironmentName(name, 'name'),
        ...validateRegion(region, 'region'),
        ...validateBucketName(bucketName, 'bucketName'),
      ];
      if (!isTier(tier)) {
        problems.push({
          field: 'tier',
          message: `must be one of ${TIERS.join(', ')}`,
        });
      }
      const known = clusters.list().map(c => c.name);
      if (!known.includes(cluster)) {
        problems.push({
          field: 'cluster',
          message: `must be a configured cluster (${
            known.join(', ') || 'none configured'
          })`,
        });
      }
      if (problems.length > 0) {
        throw new InputError(
          `Invalid logging environment request: ${formatProblems(problems)}`,
        );
      }

      const apps = applicationNames(name);
      ctx.logger.info(
        `Request is valid: ${tier} environment "${name}" on cluster "${cluster}", bucket "${bucketName}" in ${region}`,
      );
      ctx.output('bucketName', bucketName);
      ctx.output('infrastructureApplication', apps.infrastructure);
      ctx.output('forwarderApplication', apps.forwarder);
    },
  });
}
