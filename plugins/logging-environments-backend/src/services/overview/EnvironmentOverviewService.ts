import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  ApplicationStatus,
  Availability,
  EnvironmentDetails,
  EnvironmentSummary,
  HistoryEvent,
  SyncRun,
  WaveState,
} from '@internal/plugin-logging-environments-common';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import {
  ApprovalService,
  Caller,
  Environment,
  EnvironmentCatalog,
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

/** Options of {@link EnvironmentOverviewService}. */
export interface EnvironmentOverviewServiceOptions {
  store: LoggingEnvironmentsStore;
  environments: EnvironmentCatalog;
  approvals: ApprovalService;
  sync: SyncService;
  waves: WaveStatusService;
  /**
   * Whether a read decision (possibly conditional) allows an environment:
   * `createConditionAuthorizer` over the plugin's permission ruleset.
   */
  readableBy: (decision: PolicyDecision, environment: Environment) => boolean;
}

/**
 * Puts together what the environment page, the environment list and the
 * history show, from the store, the approval gate, the sync runs and the
 * wave status cache. Only reads: a page view writes nothing. Asks no
 * cluster: wave status and revisions come from the watch cache.
 *
 * @public
 */
export class EnvironmentOverviewService {
  constructor(private readonly options: EnvironmentOverviewServiceOptions) {}

  /**
   * One page of the environments the caller may read, in entity ref order,
   * under one read decision for the whole list (as the catalog does: a
   * request per environment would not scale, and the permission backend
   * refuses large batches).
   */
  async list(
    credentials: BackstageCredentials,
    decision: PolicyDecision,
    filter: { owner?: string; tier?: string },
    page: { limit: number; offset: number },
  ): Promise<{ items: EnvironmentListItem[]; totalItems: number }> {
    const { environments, readableBy } = this.options;
    let items: Environment[];
    let totalItems: number;
    if (decision.result === AuthorizeResult.DENY) {
      items = [];
      totalItems = 0;
    } else if (decision.result === AuthorizeResult.ALLOW) {
      // Everything the catalog shows is readable: let it page.
      ({ items, totalItems } = await environments.page(
        credentials,
        filter,
        page,
      ));
    } else {
      const readable = (await environments.list(credentials, filter))
        .filter(e => readableBy(decision, e))
        .sort((a, b) => a.entityRef.localeCompare(b.entityRef));
      items = readable.slice(page.offset, page.offset + page.limit);
      totalItems = readable.length;
    }
    return {
      items: await Promise.all(items.map(e => this.listItem(e))),
      totalItems,
    };
  }

  /** The environment's history, newest first. */
  async history(
    environment: Environment,
    options: { limit: number },
  ): Promise<HistoryEvent[]> {
    return this.options.store.listHistory(environment.entityRef, options);
  }

  /** The list entry of an environment. */
  async listItem(environment: Environment): Promise<EnvironmentListItem> {
    const { approvals, sync, waves } = this.options;
    const applications = waves.applications(environment);
    const [gate, latest] = await Promise.all([
      approvals.state(environment),
      sync.latest(environment),
    ]);
    return {
      ...summaryOf(environment, applications, latest),
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
    const [checklist, latest, gate] = await Promise.all([
      store.latestChecklistRun(environment.entityRef),
      sync.latest(environment),
      caller
        ? approvals.view(environment, caller, grants.approve)
        : approvals.state(environment).then(state => ({
            state,
            ...notAUser(),
          })),
    ]);
    // The gate is read once a request: the sync's availability judges by it.
    const syncAvailability: Availability = caller
      ? await sync.availability(environment, grants.sync, gate.state)
      : { allowed: false, reason: NOT_A_USER };
    return {
      ...summaryOf(environment, applications, latest),
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
      approvals: gate.state,
      ...(latest ? { sync: latest } : {}),
      applications,
      can: {
        runChecklist: { allowed: true },
        approve: gate.approve,
        reject: gate.reject,
        sync: syncAvailability,
      },
    };
  }
}

function summaryOf(
  environment: Environment,
  applications: ApplicationStatus[],
  latest: SyncRun | undefined,
): EnvironmentSummary {
  return {
    entityRef: environment.entityRef,
    name: environment.name,
    ...(environment.title ? { title: environment.title } : {}),
    ...(environment.owner ? { owner: environment.owner } : {}),
    tier: environment.tier,
    cluster: environment.cluster,
    policy: environment.policy,
    // Claimed, its Applications not bound yet: phase 1 is not done.
    phase:
      environment.state === 'bootstrapping'
        ? 'bootstrap'
        : environmentPhase(applications, latest),
  };
}
