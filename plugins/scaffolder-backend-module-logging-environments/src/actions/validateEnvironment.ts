import { parseEntityRef } from '@backstage/catalog-model';
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
  validateKmsKeyId,
  validateRegion,
} from '@internal/plugin-logging-environments-common';
import {
  ClusterRegistry,
  awsNamesFor,
} from '@internal/plugin-logging-environments-node';
import { examples } from './validateEnvironment.examples';
import { Preflight } from './preflight';

/**
 * The bucket name used when the template does not give one.
 *
 * @public
 */
export function defaultBucketName(environment: string): string {
  return `${environment}-loki`;
}

const LOKI_SIZES = [
  '1x.demo',
  '1x.pico',
  '1x.extra-small',
  '1x.small',
  '1x.medium',
];
const TLS_STRATEGIES = ['system-ca', 'custom-ca'];

/** The problem of an optional value that is given but not one of `allowed`. */
function oneOfProblems(
  field: string,
  value: string | undefined,
  allowed: string[],
): FieldProblem[] {
  return value === undefined || allowed.includes(value)
    ? []
    : [{ field, message: `must be one of ${allowed.join(', ')}` }];
}

/** Names and namespaces of the groups we accept: DNS-1123 labels. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function entityRefProblem(
  field: string,
  value: unknown,
  kind: string,
): FieldProblem | undefined {
  if (typeof value !== 'string')
    return { field, message: 'must be an entity reference string' };
  try {
    const ref = parseEntityRef(value, {
      defaultKind: kind,
      defaultNamespace: 'default',
    });
    const ok =
      ref.kind.toLocaleLowerCase('en-US') === kind &&
      DNS_LABEL.test(ref.name) &&
      DNS_LABEL.test(ref.namespace);
    return ok
      ? undefined
      : {
          field,
          message: `must reference a ${kind} (e.g. ${kind}:default/platform-team)`,
        };
  } catch {
    return {
      field,
      message: `must reference a ${kind} (e.g. ${kind}:default/platform-team)`,
    };
  }
}

/**
 * Creates `logging:environment:validate`: checks a logging-environment
 * request as a whole before any step has a side effect, and outputs the
 * names derived from it. The field rules come first (no network); a
 * request that passes them goes through the {@link Preflight}: the
 * portal's AWS and cluster access, whether the cluster is free, and the
 * External Secrets keys. Every problem is reported at once, in words.
 *
 * @public
 */
export function createValidateEnvironmentAction(options: {
  clusters: ClusterRegistry;
  gitops: { repoUrl: string; branch: string };
  preflight: Preflight;
}) {
  const { clusters, gitops, preflight } = options;
  return createTemplateAction({
    id: 'logging:environment:validate',
    description:
      "Checks a logging environment request field by field (name, tier, owner, cluster, region, bucket, stack settings, the secret fields), then, in a few seconds, what the later steps need: the portal's own AWS and cluster access, that the backend would record the environment (the cluster is free, the caller may create it; a dry-run claim) and the External Secrets keys (who they are, and that they may read logging/<name>/*). Outputs the derived names. Run it first: it has no side effects; logging:environment:claim then records the environment.",
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
        owner: z =>
          z
            .string({ description: 'Entity ref of the owning group' })
            .optional(),
        kmsKeyId: z =>
          z
            .string({
              description:
                'KMS key id, key ARN or alias for the bucket and the secret; empty for SSE-S3',
            })
            .optional(),
        approverGroups: z =>
          z
            .array(z.string(), {
              description: 'Entity refs of extra approver groups',
            })
            .optional(),
        retentionDays: z =>
          z.number({ description: 'Retention in days (1-3650)' }).optional(),
        lokiSize: z =>
          z
            .string({ description: `LokiStack size: ${LOKI_SIZES.join(', ')}` })
            .optional(),
        tlsStrategy: z =>
          z
            .string({
              description: `TLS strategy: ${TLS_STRATEGIES.join(', ')}`,
            })
            .optional(),
        requiredSecrets: z =>
          z
            .array(z.string(), {
              description: 'Names of secret fields that must have been given',
            })
            .optional(),
      },
      output: {
        bucketName: z => z.string({ description: 'The S3 bucket to use' }),
        secretName: z =>
          z.string({ description: 'The Secrets Manager secret for Loki' }),
        infrastructureApplication: z =>
          z.string({ description: 'Name of the infrastructure Application' }),
        forwarderApplication: z =>
          z.string({ description: 'Name of the forwarder Application' }),
        gitopsRepoUrl: z =>
          z.string({
            description: 'The GitOps repository the Applications read',
          }),
        gitopsBranch: z =>
          z.string({ description: 'The branch the Applications track' }),
      },
    },
    async handler(ctx) {
      const { name, tier, cluster, region } = ctx.input;
      const bucketName = ctx.input.bucketName || defaultBucketName(name);

      const problems: FieldProblem[] = [
        ...validateEnvironmentName(name, 'name'),
        ...validateRegion(region, 'region'),
        ...validateBucketName(bucketName, 'bucketName'),
        ...validateKmsKeyId(ctx.input.kmsKeyId, 'kmsKeyId'),
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
      if (ctx.input.owner !== undefined) {
        const p = entityRefProblem('owner', ctx.input.owner, 'group');
        if (p) problems.push(p);
      }
      (ctx.input.approverGroups ?? []).forEach((g, i) => {
        const p = entityRefProblem(`approverGroups[${i}]`, g, 'group');
        if (p) problems.push(p);
      });
      const retention = ctx.input.retentionDays;
      if (
        retention !== undefined &&
        (!Number.isInteger(retention) || retention < 1 || retention > 3650)
      ) {
        problems.push({
          field: 'retentionDays',
          message: 'must be a whole number of days from 1 to 3650',
        });
      }
      problems.push(
        ...oneOfProblems('lokiSize', ctx.input.lokiSize, LOKI_SIZES),
        ...oneOfProblems('tlsStrategy', ctx.input.tlsStrategy, TLS_STRATEGIES),
      );
      for (const secret of ctx.input.requiredSecrets ?? []) {
        const value = ctx.secrets?.[secret];
        if (typeof value !== 'string' || value.trim() === '') {
          problems.push({
            field: secret,
            message: 'is a required secret field and was not given',
          });
        } else if (/[\r\n\0]/.test(value) || value.length > 1024) {
          problems.push({
            field: secret,
            message: 'must be a single line of at most 1024 characters',
          });
        }
      }
      if (problems.length > 0) {
        throw new InputError(
          `Invalid logging environment request: ${formatProblems(problems)}`,
        );
      }

      const accessKeyId = ctx.secrets?.awsAccessKeyId;
      const secretAccessKey = ctx.secrets?.awsSecretAccessKey;
      ctx.logger.info(
        `Pre-flight: the portal's AWS and cluster access, whether cluster "${cluster}" is free${
          accessKeyId ? ', and the External Secrets keys' : ''
        }`,
      );
      const started = Date.now();
      const preflightProblems = await preflight.check(
        {
          name,
          tier,
          cluster,
          region,
          bucketName,
          owner: ctx.input.owner,
          approverGroups: ctx.input.approverGroups,
          keys:
            accessKeyId && secretAccessKey
              ? { accessKeyId, secretAccessKey }
              : undefined,
        },
        { credentials: await ctx.getInitiatorCredentials() },
      );
      if (preflightProblems.length > 0) {
        throw new InputError(
          `Pre-flight failed, nothing was created: ${formatProblems(
            preflightProblems,
          )}`,
        );
      }
      ctx.logger.info(
        `Pre-flight passed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );

      const apps = applicationNames(name);
      ctx.logger.info(
        `Request is valid: ${tier} environment "${name}" on cluster "${cluster}", bucket "${bucketName}" in ${region}`,
      );
      ctx.output('bucketName', bucketName);
      ctx.output('secretName', awsNamesFor(name).secret);
      ctx.output('infrastructureApplication', apps.infrastructure);
      ctx.output('forwarderApplication', apps.forwarder);
      ctx.output('gitopsRepoUrl', gitops.repoUrl);
      ctx.output('gitopsBranch', gitops.branch);
    },
  });
}
