/**
 * A bootstrap request judged against configuration and against the
 * environment's existing record: the record fields it asks for (or
 * InputError naming every bad field at once), and the refusal of a re-run
 * that would change what the record holds.
 */
import { ConflictError, InputError } from '@backstage/errors';
import {
  BootstrapRequest,
  EnvironmentRecord,
  FieldProblem,
  TIERS,
  Tier,
  TierPolicy,
  environmentLayout,
  formatProblems,
  isTier,
  validateBucketName,
  validateEnvironmentName,
  validateRegion,
} from '@internal/plugin-logging-environments-common';
import { awsNamesFor } from '@internal/plugin-logging-environments-node';
import { sameRef } from '../approvals/gate';
import { normalizeGroupRef } from '../environments/tierPolicies';
import { extraApprovers, groupsOf, sameGroups } from './approverGroups';

/** The record fields a bootstrap request asks for. */
export type RequestedRecord = Omit<
  EnvironmentRecord,
  'requester' | 'state' | 'updatedBy' | 'createdAt' | 'updatedAt'
>;

/** The request as record fields, or InputError naming every bad field. */
export function validateBootstrapRequest(
  request: BootstrapRequest,
  config: {
    /** The names of the configured clusters. */
    clusters: string[];
    policies: Record<Tier, TierPolicy>;
  },
): RequestedRecord {
  const problems: FieldProblem[] = [
    ...validateEnvironmentName(request.name, 'name'),
    ...validateRegion(request.region, 'region'),
    ...validateBucketName(request.bucket, 'bucketName'),
  ];
  if (!isTier(request.tier)) {
    problems.push({
      field: 'tier',
      message: `must be one of ${TIERS.join(', ')}`,
    });
  }
  const known = config.clusters;
  if (!known.includes(request.cluster)) {
    problems.push({
      field: 'cluster',
      message: `must be a configured cluster (${
        known.join(', ') || 'none configured'
      })`,
    });
  }
  const owner =
    typeof request.owner === 'string'
      ? normalizeGroupRef(request.owner)
      : ({ ok: false, problem: 'is required' } as const);
  if (!owner.ok) problems.push({ field: 'owner', message: owner.problem });
  const extra = isTier(request.tier)
    ? extraApprovers(
        config.policies,
        request.tier,
        request.approverGroups ?? [],
        problems,
      )
    : {};
  if (problems.length > 0) {
    throw new InputError(
      `Invalid logging environment request: ${formatProblems(problems)}`,
    );
  }
  const layout = environmentLayout(request.name);
  return {
    entityRef: layout.entityRef,
    name: request.name,
    tier: request.tier as Tier,
    cluster: request.cluster,
    namespace: layout.namespace,
    argocdNamespace: layout.argocdNamespace,
    project: layout.project,
    applications: {
      infrastructure: { name: layout.applications.infrastructure },
      forwarder: { name: layout.applications.forwarder },
    },
    owner: (owner as { ref: string }).ref,
    region: request.region,
    bucket: request.bucket,
    secret: awsNamesFor(request.name).secret,
    gitopsPath: layout.gitopsPath,
    extraApprovers: extra,
  };
}

/**
 * ConflictError naming each fact a re-run of an existing environment's
 * bootstrap would change: its tier, cluster, owner, region, bucket and
 * extra approver groups are the record's.
 */
export function assertRerunUnchanged(
  record: EnvironmentRecord,
  wanted: RequestedRecord,
): void {
  const problems: string[] = [];
  if (wanted.tier !== record.tier) {
    problems.push(
      record.tier === 'production'
        ? `tier: ${record.name} is a production environment; a downgrade from production to ${wanted.tier} is refused (only an administrator can change a tier)`
        : `tier: ${record.name} is a ${record.tier} environment; a bootstrap run cannot change its tier to ${wanted.tier} (only an administrator can)`,
    );
  }
  if (wanted.cluster !== record.cluster) {
    problems.push(
      `cluster: ${record.name} runs on cluster "${record.cluster}"; a bootstrap run cannot move it to "${wanted.cluster}"`,
    );
  }
  if (!sameRef(wanted.owner, record.owner, 'group')) {
    problems.push(
      `owner: ${record.name} is owned by ${record.owner}; a bootstrap run cannot change its owner (only an administrator can)`,
    );
  }
  if (wanted.region !== record.region) {
    problems.push(
      `region: ${record.name} keeps its data in ${record.region}; a bootstrap run cannot change the region`,
    );
  }
  if (wanted.bucket !== record.bucket) {
    problems.push(
      `bucketName: ${record.name} keeps its logs in the bucket "${record.bucket}"; a bootstrap run cannot change it`,
    );
  }
  if (
    !sameGroups(
      groupsOf(wanted.extraApprovers),
      groupsOf(record.extraApprovers),
    )
  ) {
    problems.push(
      `approverGroups: ${record.name} has the extra approver groups ${
        groupsOf(record.extraApprovers).join(', ') || '(none)'
      }; a bootstrap run cannot change them (only an administrator can)`,
    );
  }
  if (problems.length > 0) {
    throw new ConflictError(
      `The bootstrap of the existing environment ${
        record.name
      } cannot change what its record holds: ${problems.join('; ')}`,
    );
  }
}
