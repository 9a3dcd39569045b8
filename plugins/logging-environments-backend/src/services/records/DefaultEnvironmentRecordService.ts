import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  BootstrapRequest,
  BootstrapStepCheck,
  EnvironmentRecord,
  Tier,
  TierPolicy,
} from '@internal/plugin-logging-environments-common';
import {
  ClusterClient,
  ClusterRegistry,
  ExpectedArgoShape,
} from '@internal/plugin-logging-environments-node';
import {
  EnvironmentRecordsStore,
  takenFactConflict,
} from '../../database/EnvironmentRecordsStore';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import { memberOfAny, normalizeRef } from '../approvals/gate';
import {
  APPLICATION_ROLES,
  expectedArgoShape,
  recreatedApplications,
  registeredApplicationUids,
  unrecordedEnvironments,
} from './argoApplications';
import {
  assertRerunUnchanged,
  validateBootstrapRequest,
} from './bootstrapRequest';
import { checkBootstrapStep } from './bootstrapSteps';
import {
  assertAdministrator,
  assertBootstrapper,
  bootstrapTask,
  isAdministrator,
  requiredReason,
} from './recordAccess';
import { planRecordChange } from './recordChange';
import { RecordCaller, RecordChange } from './types';
import type { EnvironmentChanges } from '../events/EnvironmentEvents';

export type { RecordCaller, RecordChange } from './types';

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
  /** Told about every stored change of a record (browsers get a signal). */
  events?: EnvironmentChanges;
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
 * - A template run is a `bootstrap` entry of the history linking its
 *   scaffolder task; only the scaffolder, calling on the user's behalf, may
 *   name that task (a user naming one directly is refused).
 *
 * The rules live in the modules beside this class (`recordAccess`,
 * `bootstrapRequest`, `approverGroups`, `bootstrapSteps`,
 * `argoApplications`, `recordChange`); the class reads and writes the
 * records and the history.
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
    return isAdministrator(caller, this.options.administrators);
  }

  /**
   * Claims a new environment, or checks a re-run of an existing one's
   * bootstrap (see the class remarks). Returns the record and whether it
   * was created; with `dryRun` nothing is written.
   *
   * With `taskId` (the scaffolder's task running the bootstrap, named only
   * by the scaffolder: see `bootstrapTask`) the run is a `bootstrap` entry
   * of the history linking that task: the claim's entry for a new
   * environment, an entry of its own for a re-run.
   */
  async claim(
    request: BootstrapRequest & { requester?: string },
    caller: RecordCaller,
    options: { dryRun?: boolean; taskId?: string } = {},
  ): Promise<{ record: EnvironmentRecord; created: boolean }> {
    const { records, clusters, policies } = this.options;
    const taskId = bootstrapTask(caller, options.taskId);
    const wanted = validateBootstrapRequest(request, {
      clusters: clusters.list().map(c => c.name),
      policies,
    });
    const administrator = this.isAdministrator(caller);
    const existing = await records.get(wanted.entityRef);
    if (existing) {
      assertBootstrapper(existing, caller, this.options.administrators);
      assertRerunUnchanged(existing, wanted);
      if (taskId && !options.dryRun) {
        await this.options.history.addHistory(existing.entityRef, {
          type: 'bootstrap',
          actor: caller.userEntityRef,
          message: `Bootstrap run again by the template (scaffolder task ${taskId})`,
          details: { taskId },
        });
        this.options.events?.changed(existing.entityRef, 'record');
      }
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
      records.getByCluster(wanted.cluster),
      records.getByBucket(wanted.bucket),
    ]);
    const taken = takenFactConflict(wanted, { byCluster, byBucket });
    if (taken) throw taken;
    if (!administrator) {
      const unrecorded = await unrecordedEnvironments(
        this.options.clusterClient(wanted.cluster),
        wanted.argocdNamespace,
        records,
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
    const created = await records.create(record);
    await this.options.history.addHistory(created.entityRef, {
      type: 'bootstrap',
      actor: caller.userEntityRef,
      message: `Claimed as a ${created.tier} environment on cluster ${
        created.cluster
      }, owned by ${created.owner}, requested by ${created.requester}${
        administrator && request.requester
          ? ' (adopted by an administrator)'
          : ''
      }${taskId ? ` (scaffolder task ${taskId})` : ''}`,
      details: {
        tier: created.tier,
        cluster: created.cluster,
        owner: created.owner,
        requester: created.requester,
        ...(taskId ? { taskId } : {}),
      },
    });
    this.options.logger.info(
      `Logging environment ${created.name} claimed by ${caller.userEntityRef}: ${created.tier} on cluster ${created.cluster}`,
      {
        environment: created.entityRef,
        tier: created.tier,
        cluster: created.cluster,
        actor: caller.userEntityRef,
      },
    );
    this.options.events?.changed(created.entityRef, 'record');
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
    assertBootstrapper(record, caller, this.options.administrators);
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
    checkBootstrapStep(record, step, {
      shape: this.shape(record),
      administrator: this.isAdministrator(caller),
    });
    return record;
  }

  /**
   * Binds the environment's Argo CD Applications: reads its AppProject and
   * Applications from the cluster, checks them against what the template
   * renders for the record, and stores their uids (state `registered`).
   * With `taskId` (as for {@link DefaultEnvironmentRecordService.claim})
   * the history entry links the task.
   */
  async bindApplications(
    entityRef: string,
    caller: RecordCaller,
    options: { taskId?: string } = {},
  ): Promise<EnvironmentRecord> {
    const taskId = bootstrapTask(caller, options.taskId);
    const record = await this.forBootstrap(entityRef, caller);
    const uids = await registeredApplicationUids(
      this.options.clusterClient(record.cluster),
      record,
      this.shape(record),
    );
    const recreated = recreatedApplications(record, uids);
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
      APPLICATION_ROLES.every(r => record.applications[r].uid === uids[r])
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
      message: `Argo CD Applications ${APPLICATION_ROLES.map(
        r => updated.applications[r].name,
      ).join(' and ')} registered and bound to the record${
        taskId ? ` (scaffolder task ${taskId})` : ''
      }`,
      details: {
        infrastructureUid: uids.infrastructure,
        forwarderUid: uids.forwarder,
        ...(taskId ? { taskId } : {}),
      },
    });
    this.options.events?.changed(updated.entityRef, 'record');
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
    assertAdministrator(caller, this.options.administrators, 'change a record');
    const record = await this.options.records.get(entityRef);
    if (!record) throw new NotFoundError(`${entityRef} has no record`);
    const reason = requiredReason(change.reason, 'the record changes');
    const { patch, said } = planRecordChange(
      record,
      change,
      this.options.policies,
    );
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
    this.options.events?.changed(updated.entityRef, 'record');
    return updated;
  }

  /** An administrator releases a record (e.g. an abandoned claim). */
  async release(
    entityRef: string,
    caller: RecordCaller,
    reason: string,
  ): Promise<void> {
    assertAdministrator(
      caller,
      this.options.administrators,
      'release a record',
    );
    const why = requiredReason(reason, 'the record is released');
    if (!(await this.options.records.delete(entityRef))) {
      throw new NotFoundError(`${entityRef} has no record`);
    }
    await this.options.history.addHistory(entityRef, {
      type: 'bootstrap',
      actor: caller.userEntityRef,
      message: `Record released by an administrator. Reason: ${why}`,
      details: { reason: why },
    });
    this.options.events?.changed(entityRef, 'record');
  }

  /** The Argo CD shape the record's objects must have. */
  shape(record: EnvironmentRecord): ExpectedArgoShape {
    return expectedArgoShape(record, this.options.gitops);
  }
}
