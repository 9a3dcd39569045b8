import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  ApplicationRole,
  BootstrapRequest,
  BootstrapStepCheck,
  ENVIRONMENT_LABEL,
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
import {
  ClusterClient,
  ClusterRegistry,
  ExpectedArgoShape,
  appProjectProblems,
  applicationProblems,
  argoManifestProblems,
  assertMatchesRecord,
  awsNamesFor,
  clusterSecretStoreProblems,
} from '@internal/plugin-logging-environments-node';
import { EnvironmentRecordsStore } from '../../database/EnvironmentRecordsStore';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import { memberOfAny, normalizeRef, sameRef } from '../approvals/gate';
import { normalizeGroupRef } from '../environments/tierPolicies';
import { Caller } from '../types';

const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' };
const APP_PROJECT = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject' };
const PART_OF = 'app.kubernetes.io/part-of=logging-environments';
const ROLES: ApplicationRole[] = ['infrastructure', 'forwarder'];

/**
 * Options of {@link DefaultEnvironmentRecordService}.
 *
 * @public
 */
export interface EnvironmentRecordServiceOptions {
  records: EnvironmentRecordsStore;
  /** For the history entries of claims and administrator changes. */
  history: Pick<LoggingEnvironmentsStore, 'addHistory'>;
  clusters: ClusterRegistry;
  /** A Kubernetes client for a configured cluster. */
  clusterClient: (cluster: string) => ClusterClient;
  /** The tier policies in force (configuration over the defaults). */
  policies: Record<Tier, TierPolicy>;
  /** Entity refs of the groups whose members are platform administrators. */
  administrators: string[];
  /** The GitOps repository every environment's Applications read. */
  gitops: { repoUrl: string; branch: string };
  logger: LoggerService;
}

/** What a caller brings to a record decision. */
export interface RecordCaller extends Caller {
  /** Whether the permission policy grants `logging.environment.create`. */
  mayCreate?: boolean;
  /** Whether the permission policy grants `logging.environment.administer`. */
  mayAdminister?: boolean;
}

/** What an administrator may change in a record. */
export interface RecordChange {
  tier?: string;
  owner?: string;
  requester?: string;
  approverGroups?: string[];
  /** Why, in words; recorded in the history. */
  reason: string;
}

function sameSet(a: string[], b: string[]): boolean {
  const x = new Set(a.map(r => normalizeRef(r, 'group')));
  const y = new Set(b.map(r => normalizeRef(r, 'group')));
  return x.size === y.size && [...x].every(v => y.has(v));
}

function groupsOf(extra: Record<string, string[]>): string[] {
  return [...new Set(Object.values(extra).flat())];
}

/**
 * The trusted records of the environments (DESIGN, "How data flows" 1):
 * the only writer of the facts the gate, the policy, the sync and the
 * checklist act on.
 *
 * @remarks
 * The rules, whatever the permission policy allows:
 *
 * - A new environment is claimed by a signed-in user with
 *   `logging.environment.create`, for a group they belong to, on a
 *   configured cluster that no other record holds and that runs no
 *   environment without a record, with a bucket no other record uses. The
 *   caller becomes its requester.
 * - The bootstrap of an existing environment may be re-run only by its
 *   requester, a member of its owner group, or an administrator, and never
 *   changes its tier, cluster, owner, region, bucket or approver groups.
 * - Extra approver groups go only to roles configuration marks extendable.
 * - The Argo CD Applications are bound after the backend read them from the
 *   cluster itself and found them as the template renders them; a
 *   re-created Application (another uid) is re-bound only by an
 *   administrator.
 * - Administrators (members of a configured group who also hold
 *   `logging.environment.administer`) may change tier, owner, requester and
 *   approver groups, adopt an environment that has no record, and release a
 *   record; each change is a history entry.
 *
 * @public
 */
export class DefaultEnvironmentRecordService {
  constructor(private readonly options: EnvironmentRecordServiceOptions) {}

  /** The record of an environment, if any. */
  get(entityRef: string): Promise<EnvironmentRecord | undefined> {
    return this.options.records.get(entityRef);
  }

  /** Whether the caller is an administrator: a configured group and the permission. */
  isAdministrator(caller: RecordCaller): boolean {
    return (
      caller.mayAdminister === true &&
      memberOfAny(caller.ownershipEntityRefs, this.options.administrators)
    );
  }

  /**
   * Claims a new environment, or checks a re-run of an existing one's
   * bootstrap (see the class remarks). Returns the record and whether it
   * was created; with `dryRun` nothing is written.
   */
  async claim(
    request: BootstrapRequest & { requester?: string },
    caller: RecordCaller,
    options: { dryRun?: boolean } = {},
  ): Promise<{ record: EnvironmentRecord; created: boolean }> {
    const wanted = this.validate(request);
    const administrator = this.isAdministrator(caller);
    const existing = await this.options.records.get(wanted.entityRef);
    if (existing) {
      this.assertBootstrapper(existing, caller);
      this.assertUnchanged(existing, wanted);
      return { record: existing, created: false };
    }

    if (!caller.mayCreate) {
      throw new NotAllowedError(
        'you may not create logging environments (the permission logging.environment.create is not granted to you)',
      );
    }
    if (request.requester !== undefined && !administrator) {
      throw new NotAllowedError(
        'requester: only an administrator may name the requester; it is whoever runs the bootstrap',
      );
    }
    if (
      !administrator &&
      !memberOfAny(caller.ownershipEntityRefs, [wanted.owner])
    ) {
      throw new NotAllowedError(
        `owner: you are not a member of ${wanted.owner}; an environment can be created only for a group you belong to`,
      );
    }
    const [byCluster, byBucket] = await Promise.all([
      this.options.records.getByCluster(wanted.cluster),
      this.options.records.getByBucket(wanted.bucket),
    ]);
    if (byCluster) {
      throw new ConflictError(
        `cluster: "${wanted.cluster}" already has the logging environment ${byCluster.name} (one environment per cluster)`,
      );
    }
    if (byBucket) {
      throw new ConflictError(
        `bucket: "${wanted.bucket}" is already the bucket of the logging environment ${byBucket.name}`,
      );
    }
    if (!administrator) {
      const unrecorded = await this.environmentsOnCluster(
        wanted.cluster,
        wanted.argocdNamespace,
      );
      if (unrecorded.length > 0) {
        throw new ConflictError(
          `cluster: "${
            wanted.cluster
          }" already runs the logging environment ${unrecorded.join(
            ', ',
          )}, which has no record; an administrator must adopt it before anyone bootstraps there`,
        );
      }
    }
    const requester = request.requester
      ? normalizeRef(request.requester, 'user')
      : caller.userEntityRef;
    if (!/^user:/i.test(requester)) {
      throw new InputError('requester: must be a user entity ref');
    }
    const record: Omit<EnvironmentRecord, 'createdAt' | 'updatedAt'> = {
      ...wanted,
      requester,
      state: 'bootstrapping',
      updatedBy: caller.userEntityRef,
    };
    if (options.dryRun) {
      const now = new Date().toISOString();
      return {
        record: { ...record, createdAt: now, updatedAt: now },
        created: true,
      };
    }
    const created = await this.options.records.create(record);
    await this.options.history.addHistory(created.entityRef, {
      type: 'bootstrap',
      actor: caller.userEntityRef,
      message: `Claimed as a ${created.tier} environment on cluster ${
        created.cluster
      }, owned by ${created.owner}, requested by ${created.requester}${
        administrator && request.requester
          ? ' (adopted by an administrator)'
          : ''
      }`,
      details: {
        tier: created.tier,
        cluster: created.cluster,
        owner: created.owner,
        requester: created.requester,
      },
    });
    this.options.logger.info(
      `Logging environment ${created.name} claimed by ${caller.userEntityRef}: ${created.tier} on cluster ${created.cluster}`,
    );
    return { record: created, created: true };
  }

  /**
   * The record, for a bootstrap step run by the caller: NotFoundError
   * without one, NotAllowedError unless the caller may bootstrap it.
   */
  async forBootstrap(
    entityRef: string,
    caller: RecordCaller,
  ): Promise<EnvironmentRecord> {
    const record = await this.options.records.get(entityRef);
    if (!record) {
      throw new NotFoundError(
        `${entityRef} has no record: the bootstrap's first step (logging:environment:claim) creates it`,
      );
    }
    this.assertBootstrapper(record, caller);
    return record;
  }

  /**
   * Checks a bootstrap step the caller is about to run, and returns the
   * record: the caller may run the environment's bootstrap; the step's
   * facts (cluster, region, bucket, secret) are the record's; the Argo CD
   * objects it registers, or the ClusterSecretStore it applies, are what
   * the template renders for the record; and a rotation (replacing the
   * cluster's External Secrets credentials or another environment's store)
   * is the caller's to make: a development environment's bootstrappers, a
   * staging or production environment's administrators only, since those
   * credentials decide which AWS account External Secrets reads and no
   * approval covers them.
   */
  async checkStep(
    entityRef: string,
    caller: RecordCaller,
    step: BootstrapStepCheck,
  ): Promise<EnvironmentRecord> {
    const record = await this.forBootstrap(entityRef, caller);
    const action = String(step.action);
    assertMatchesRecord(action, record, step.facts ?? {});
    if (step.manifests !== undefined) {
      const objects = Array.isArray(step.manifests) ? step.manifests : [];
      let problems: string[];
      let what: string;
      if (action === 'logging:argocd:register') {
        problems = argoManifestProblems(objects as any[], this.shape(record));
        what = `manifests: not what ${record.name}'s record implies`;
      } else if (action === 'logging:secret-store:ensure') {
        problems =
          objects.length === 1
            ? clusterSecretStoreProblems(objects[0] as any, record)
            : ['there must be exactly one ClusterSecretStore'];
        what = `manifest: the ClusterSecretStore is not the one ${record.name}'s record implies`;
      } else {
        throw new InputError(
          `manifests: ${action} applies no manifests the backend checks`,
        );
      }
      if (problems.length > 0) {
        throw new ConflictError(`${what}: ${problems.join('; ')}`);
      }
    }
    if (
      step.rotate &&
      record.tier !== 'development' &&
      !this.isAdministrator(caller)
    ) {
      throw new NotAllowedError(
        `rotate: only an administrator may replace the External Secrets credentials of the ${record.tier} environment ${record.name}: they decide which AWS account its logs' key is read from, and no approval covers them`,
      );
    }
    return record;
  }

  /**
   * Binds the environment's Argo CD Applications: reads its AppProject and
   * Applications from the cluster, checks them against what the template
   * renders for the record, and stores their uids (state `registered`).
   */
  async bindApplications(
    entityRef: string,
    caller: RecordCaller,
  ): Promise<EnvironmentRecord> {
    const record = await this.forBootstrap(entityRef, caller);
    const client = this.options.clusterClient(record.cluster);
    const shape = this.shape(record);
    const [project, ...apps] = await Promise.all([
      client.get<any>({
        ...APP_PROJECT,
        name: record.project,
        namespace: record.argocdNamespace,
      }),
      ...ROLES.map(role =>
        client.get<any>({
          ...APPLICATION,
          name: record.applications[role].name,
          namespace: record.argocdNamespace,
        }),
      ),
    ]);
    const problems: string[] = [];
    if (!project) {
      problems.push(
        `AppProject ${record.argocdNamespace}/${record.project} is not registered`,
      );
    } else {
      problems.push(...appProjectProblems(project, shape));
    }
    ROLES.forEach((role, i) => {
      if (!apps[i]) {
        problems.push(
          `Application ${record.argocdNamespace}/${record.applications[role].name} is not registered`,
        );
      } else {
        // A live Application may be syncing already (a development
        // infrastructure syncs on its own): its operation is Argo CD's.
        const { operation: _operation, ...registered } = apps[i];
        problems.push(...applicationProblems(registered, role, shape));
      }
    });
    if (problems.length > 0) {
      throw new ConflictError(
        `The Argo CD objects of ${
          record.name
        } are not what its bootstrap registers: ${problems.join('; ')}`,
      );
    }
    const uids = Object.fromEntries(
      ROLES.map((role, i) => [role, apps[i].metadata?.uid as string]),
    ) as Record<ApplicationRole, string>;
    const recreated = ROLES.filter(
      role =>
        record.applications[role].uid &&
        record.applications[role].uid !== uids[role],
    );
    if (recreated.length > 0 && !this.isAdministrator(caller)) {
      throw new ConflictError(
        `${recreated
          .map(r => `Application ${record.applications[r].name}`)
          .join(
            ' and ',
          )} was re-created since the bootstrap bound it (its uid changed); only an administrator may bind the new one`,
      );
    }
    if (
      record.state === 'registered' &&
      ROLES.every(r => record.applications[r].uid === uids[r])
    ) {
      return record;
    }
    const updated = await this.options.records.update(
      record.entityRef,
      record.updatedAt,
      {
        applications: {
          infrastructure: {
            name: record.applications.infrastructure.name,
            uid: uids.infrastructure,
          },
          forwarder: {
            name: record.applications.forwarder.name,
            uid: uids.forwarder,
          },
        },
        state: 'registered',
        updatedBy: caller.userEntityRef,
      },
    );
    if (!updated) {
      throw new ConflictError(
        `The record of ${record.name} changed meanwhile; run the step again`,
      );
    }
    await this.options.history.addHistory(updated.entityRef, {
      type: 'bootstrap',
      actor: caller.userEntityRef,
      message: `Argo CD Applications ${ROLES.map(
        r => updated.applications[r].name,
      ).join(' and ')} registered and bound to the record`,
      details: {
        infrastructureUid: uids.infrastructure,
        forwarderUid: uids.forwarder,
      },
    });
    return updated;
  }

  /**
   * An administrator's change of tier, owner, requester or approver groups.
   * NotAllowedError for anyone else; the reason is recorded.
   */
  async administer(
    entityRef: string,
    caller: RecordCaller,
    change: RecordChange,
  ): Promise<EnvironmentRecord> {
    this.assertAdministrator(caller, 'change a record');
    const record = await this.options.records.get(entityRef);
    if (!record) throw new NotFoundError(`${entityRef} has no record`);
    const reason = (change.reason ?? '').trim();
    if (!reason) {
      throw new InputError('reason: say why the record changes');
    }
    const problems: FieldProblem[] = [];
    const patch: Partial<EnvironmentRecord> = {};
    const said: string[] = [];
    if (change.tier !== undefined) {
      if (!isTier(change.tier)) {
        problems.push({
          field: 'tier',
          message: `must be one of ${TIERS.join(', ')}`,
        });
      } else if (change.tier !== record.tier) {
        patch.tier = change.tier;
        said.push(`tier ${record.tier} -> ${change.tier}`);
      }
    }
    if (change.owner !== undefined) {
      const owner = normalizeGroupRef(change.owner);
      if (!owner.ok) problems.push({ field: 'owner', message: owner.problem });
      else if (!sameRef(owner.ref, record.owner, 'group')) {
        patch.owner = owner.ref;
        said.push(`owner ${record.owner} -> ${owner.ref}`);
      }
    }
    if (change.requester !== undefined) {
      const requester = normalizeRef(change.requester, 'user');
      if (!/^user:/.test(requester)) {
        problems.push({
          field: 'requester',
          message: 'must be a user entity ref',
        });
      } else if (!sameRef(requester, record.requester, 'user')) {
        patch.requester = requester;
        said.push(`requester ${record.requester} -> ${requester}`);
      }
    }
    const tier = (patch.tier ?? record.tier) as Tier;
    if (change.approverGroups !== undefined || patch.tier) {
      const extra = this.extraApprovers(
        tier,
        change.approverGroups ?? groupsOf(record.extraApprovers),
        problems,
      );
      if (JSON.stringify(extra) !== JSON.stringify(record.extraApprovers)) {
        patch.extraApprovers = extra;
        said.push(
          `extra approver groups ${groupsOf(extra).join(', ') || '(none)'}`,
        );
      }
    }
    if (problems.length > 0) {
      throw new InputError(
        `Invalid record change: ${formatProblems(problems)}`,
      );
    }
    if (said.length === 0) return record;
    const updated = await this.options.records.update(
      record.entityRef,
      record.updatedAt,
      { ...patch, updatedBy: caller.userEntityRef },
    );
    if (!updated) {
      throw new ConflictError(
        `The record of ${record.name} changed meanwhile; read it again`,
      );
    }
    await this.options.history.addHistory(updated.entityRef, {
      type: 'bootstrap',
      actor: caller.userEntityRef,
      message: `Record changed by an administrator: ${said.join(
        '; ',
      )}. Reason: ${reason}`,
      details: { reason },
    });
    return updated;
  }

  /** An administrator releases a record (e.g. an abandoned claim). */
  async release(
    entityRef: string,
    caller: RecordCaller,
    reason: string,
  ): Promise<void> {
    this.assertAdministrator(caller, 'release a record');
    if (!(reason ?? '').trim()) {
      throw new InputError('reason: say why the record is released');
    }
    if (!(await this.options.records.delete(entityRef))) {
      throw new NotFoundError(`${entityRef} has no record`);
    }
    await this.options.history.addHistory(entityRef, {
      type: 'bootstrap',
      actor: caller.userEntityRef,
      message: `Record released by an administrator. Reason: ${reason.trim()}`,
      details: { reason: reason.trim() },
    });
  }

  /** The Argo CD shape the record's objects must have. */
  shape(record: EnvironmentRecord): ExpectedArgoShape {
    return {
      name: record.name,
      tier: record.tier,
      namespace: record.namespace,
      argocdNamespace: record.argocdNamespace,
      project: record.project,
      applications: {
        infrastructure: record.applications.infrastructure.name,
        forwarder: record.applications.forwarder.name,
      },
      gitopsPath: record.gitopsPath,
      repoUrl: this.options.gitops.repoUrl,
      branch: this.options.gitops.branch,
    };
  }

  // ---------------------------------------------------------------------

  private assertAdministrator(caller: RecordCaller, what: string) {
    if (!this.isAdministrator(caller)) {
      throw new NotAllowedError(
        `only an administrator may ${what} (a member of ${
          this.options.administrators.join(' or ') || 'a configured group'
        } with the permission logging.environment.administer; loggingEnvironments.administrators)`,
      );
    }
  }

  private assertBootstrapper(record: EnvironmentRecord, caller: RecordCaller) {
    if (
      sameRef(caller.userEntityRef, record.requester, 'user') ||
      memberOfAny(caller.ownershipEntityRefs, [record.owner]) ||
      this.isAdministrator(caller)
    ) {
      return;
    }
    throw new NotAllowedError(
      `only the requester of ${record.name} (${record.requester}), members of its owner group (${record.owner}) or an administrator may run its bootstrap`,
    );
  }

  private assertUnchanged(
    record: EnvironmentRecord,
    wanted: Omit<
      EnvironmentRecord,
      'requester' | 'state' | 'updatedBy' | 'createdAt' | 'updatedAt'
    >,
  ) {
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
      !sameSet(groupsOf(wanted.extraApprovers), groupsOf(record.extraApprovers))
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

  /** The request as record fields, or InputError naming every bad field. */
  private validate(request: BootstrapRequest) {
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
    const known = this.options.clusters.list().map(c => c.name);
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
    const extraApprovers = isTier(request.tier)
      ? this.extraApprovers(
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
      extraApprovers,
    };
  }

  /**
   * The extra approver groups by role: every given group goes to each role
   * of the tier that configuration marks extendable. Groups given for a
   * tier without such a role are a problem of the field.
   */
  private extraApprovers(
    tier: Tier,
    groups: unknown,
    problems: FieldProblem[],
  ): Record<string, string[]> {
    if (!Array.isArray(groups)) {
      problems.push({
        field: 'approverGroups',
        message: 'must be a list of group entity refs',
      });
      return {};
    }
    const refs: string[] = [];
    groups.forEach((g, i) => {
      const ref =
        typeof g === 'string'
          ? normalizeGroupRef(g)
          : ({ ok: false, problem: 'must be a string' } as const);
      if (!ref.ok) {
        problems.push({ field: `approverGroups[${i}]`, message: ref.problem });
      } else if (!refs.includes(ref.ref)) refs.push(ref.ref);
    });
    if (refs.length === 0) return {};
    const extendable = this.options.policies[tier].requiredApprovals.filter(
      r => r.extendable,
    );
    if (extendable.length === 0) {
      problems.push({
        field: 'approverGroups',
        message: `the ${tier} tier has no approval role that accepts extra groups (configuration decides which roles do: loggingEnvironments.tiers.${tier}.requiredApprovals[].extendable)`,
      });
      return {};
    }
    return Object.fromEntries(extendable.map(r => [r.role, [...refs]]));
  }

  /**
   * The environments that run on a cluster without a record: AppProjects
   * of the plugins in the cluster's Argo CD namespace whose environment has
   * no record.
   */
  private async environmentsOnCluster(
    cluster: string,
    argocdNamespace: string,
  ): Promise<string[]> {
    const projects = await this.options
      .clusterClient(cluster)
      .list<any>(APP_PROJECT.apiVersion, APP_PROJECT.kind, {
        namespace: argocdNamespace,
        labelSelector: PART_OF,
      });
    const names = [
      ...new Set(
        projects
          .map(p => p.metadata?.labels?.[ENVIRONMENT_LABEL] as string)
          .filter(Boolean),
      ),
    ];
    const unrecorded: string[] = [];
    for (const name of names) {
      if (
        !(await this.options.records.get(environmentLayout(name).entityRef))
      ) {
        unrecorded.push(name);
      }
    }
    return unrecorded;
  }
}
