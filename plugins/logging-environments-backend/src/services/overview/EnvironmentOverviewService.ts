import {
  Availability,
  EnvironmentDetails,
  EnvironmentSummary,
  WaveState,
} from '@internal/plugin-logging-environments-common';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import {
  ApprovalService,
  Caller,
  Environment,
  SyncService,
  WaveStatusService,
} from '../types';
import { environmentPhase } from './phase';

/**
 * One environment in the list: its summary, whether its gate is passed and
 * the state of each Application's waves in order.
 *
 * @public
 */
export interface EnvironmentListItem extends EnvironmentSummary {
  approvalsComplete: boolean;
  waves: Record<string, WaveState[]>;
}

/** What the caller is allowed by the permission framework, decided by the router. */
export interface PermissionGrants {
  approve: boolean;
  sync: boolean;
}

const NOT_A_USER = 'Only a signed-in user can decide or sync';

function notAUser(): { approve: Availability; reject: Availability } {
  return {
    approve: { allowed: false, reason: NOT_A_USER },
    reject: { allowed: false, reason: NOT_A_USER },
  };
}

/**
 * Puts together what the environment page and the environment list show,
 * from the store, the approval gate, the sync runs and the wave status
 * cache. Asks no cluster: wave status and revisions come from the watch
 * cache.
 *
 * @public
 */
export class EnvironmentOverviewService {
  constructor(
    private readonly options: {
      store: LoggingEnvironmentsStore;
      approvals: ApprovalService;
      sync: SyncService;
      waves: WaveStatusService;
    },
  ) {}

  /** The list entry of an environment. */
  async listItem(environment: Environment): Promise<EnvironmentListItem> {
    const { approvals, sync, waves } = this.options;
    const applications = waves.applications(environment);
    const [gate, latest] = await Promise.all([
      approvals.state(environment),
      sync.latest(environment),
    ]);
    return {
      ...summaryOf(environment),
      // Claimed, its Applications not bound yet: phase 1 is not done.
      phase:
        environment.state === 'bootstrapping'
          ? 'bootstrap'
          : environmentPhase(applications, latest),
      approvalsComplete: gate.complete,
      waves: Object.fromEntries(
        applications.map(app => [app.name, app.waves.map(w => w.state)]),
      ),
    };
  }

  /**
   * Everything the environment page shows, with what the caller may do now.
   * A caller that is not a user (a service) may read but never decide.
   */
  async details(
    environment: Environment,
    caller: Caller | undefined,
    grants: PermissionGrants,
  ): Promise<EnvironmentDetails> {
    const { store, approvals, sync, waves } = this.options;
    const applications = waves.applications(environment);
    const [checklist, gate, latest, syncAvailability, decide] =
      await Promise.all([
        store.latestChecklistRun(environment.entityRef),
        approvals.state(environment),
        sync.latest(environment),
        sync.availability(environment, grants.sync && caller !== undefined),
        caller
          ? approvals.availability(environment, caller, grants.approve)
          : Promise.resolve(notAUser()),
      ]);
    return {
      ...summaryOf(environment),
      // Claimed, its Applications not bound yet: phase 1 is not done.
      phase:
        environment.state === 'bootstrapping'
          ? 'bootstrap'
          : environmentPhase(applications, latest),
      namespace: environment.namespace,
      ...(environment.requester ? { requester: environment.requester } : {}),
      record: {
        state: environment.state,
        argocdNamespace: environment.argocdNamespace,
        applications: environment.applications,
        region: environment.region,
        bucket: environment.bucket,
        secret: environment.secret,
        gitopsPath: environment.gitopsPath,
        extraApprovers: environment.extraApprovers,
      },
      ...(checklist ? { checklist } : {}),
      approvals: gate,
      ...(latest ? { sync: latest } : {}),
      applications,
      can: {
        runChecklist: { allowed: true },
        approve: decide.approve,
        reject: decide.reject,
        sync: caller
          ? syncAvailability
          : { allowed: false, reason: NOT_A_USER },
      },
    };
  }
}

function summaryOf(
  environment: Environment,
): Omit<EnvironmentSummary, 'phase'> {
  return {
    entityRef: environment.entityRef,
    name: environment.name,
    ...(environment.title ? { title: environment.title } : {}),
    ...(environment.owner ? { owner: environment.owner } : {}),
    tier: environment.tier,
    cluster: environment.cluster,
    policy: environment.policy,
  };
}
