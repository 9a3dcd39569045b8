import { ConflictError, NotAllowedError } from '@backstage/errors';
import {
  ApprovalState,
  ChecklistRun,
  EnvironmentDetails,
  HistoryEvent,
  LOGGING_ANNOTATIONS,
  LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL,
  LoggingEnvironmentChange,
  ServiceHealth,
  SyncRun,
  WaveState,
  annotationMismatchMessage,
  decisionMessage,
  notRegisteredMessage,
  recordMismatchMessage,
} from '@internal/plugin-logging-environments-common';
import {
  ApprovalDecisionRequest,
  ClusterSummary,
  EnvironmentListItem,
  LoggingEnvironmentsApi,
} from '../src/api';
import {
  ARGOCD_URL,
  ENVIRONMENT_REF,
  REVISION,
  SHORT_REVISION,
  app,
  awaitingApprovalEnvironment,
  blockedEnvironment,
  degradedEnvironment,
  healthyEnvironment,
  history,
  progressingEnvironment,
  serviceHealth,
} from '../src/__fixtures__/environments';
import { DevSignalApi } from './DevSignalApi';

/** The states the dev app shows, one page each. */
export type Scenario =
  | 'healthy'
  | 'progressing'
  | 'degraded'
  | 'awaiting-approval'
  | 'approver'
  | 'blocked'
  | 'unregistered'
  | 'mismatch';

const ME = 'user:default/approver';

// The rollout, step by step: waves of the infrastructure Application, of
// the forwarder, and the sync run state.
const STEPS: Array<[WaveState[], WaveState[], SyncRun['state']]> = [
  [['running', 'pending', 'pending'], ['pending'], 'syncing-infrastructure'],
  [['healthy', 'running', 'pending'], ['pending'], 'waiting-infrastructure'],
  [['healthy', 'healthy', 'running'], ['pending'], 'waiting-infrastructure'],
  [['healthy', 'healthy', 'healthy'], ['running'], 'waiting-forwarder'],
  [['healthy', 'healthy', 'healthy'], ['healthy'], 'succeeded'],
];

const delay = (ms: number) => new Promise(r => setTimeout(r, ms));

/** An error as LoggingEnvironmentsClient throws it for a backend error answer. */
function errorResponse(statusCode: number, message: string) {
  return Object.assign(
    new Error(`Request failed with ${statusCode}, ${message}`),
    {
      name: 'ResponseError',
      statusCode,
      body: {
        error: {
          name: statusCode === 404 ? 'NotFoundError' : 'ConflictError',
          message,
        },
      },
    },
  );
}
const now = () => new Date().toISOString();
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/**
 * An in-memory backend for the dev app. The approver scenario plays the
 * whole gate: approve, sync now, then the waves roll out one step every
 * `stepMs`, announced through signals like the real backend does.
 */
export class MockLoggingEnvironmentsApi implements LoggingEnvironmentsApi {
  private env: EnvironmentDetails;
  private events: HistoryEvent[] = history();
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly scenario: Scenario,
    private readonly signals?: DevSignalApi,
    private readonly stepMs = 3000,
  ) {
    switch (scenario) {
      case 'healthy':
        this.env = healthyEnvironment();
        break;
      case 'progressing':
        this.env = progressingEnvironment();
        this.rollOut(1);
        break;
      case 'degraded':
        this.env = degradedEnvironment();
        break;
      case 'blocked':
        this.env = blockedEnvironment();
        break;
      case 'approver': {
        this.env = awaitingApprovalEnvironment();
        this.env.can.approve = { allowed: true };
        break;
      }
      default:
        this.env = awaitingApprovalEnvironment();
    }
  }

  dispose() {
    if (this.timer) clearInterval(this.timer);
  }

  async listClusters(): Promise<ClusterSummary[]> {
    return [{ name: 'sandbox', argocdUrl: ARGOCD_URL }];
  }

  async listEnvironments(): Promise<EnvironmentListItem[]> {
    const e = this.env;
    return [
      {
        entityRef: e.entityRef,
        name: e.name,
        title: e.title,
        owner: e.owner,
        tier: e.tier,
        cluster: e.cluster,
        phase: e.phase,
        policy: e.policy,
        approvalsComplete: e.approvals.complete,
        waves: Object.fromEntries(
          e.applications.map(a => [a.name, a.waves.map(w => w.state)]),
        ),
      },
    ];
  }

  async getEnvironment(): Promise<EnvironmentDetails> {
    await delay(200);
    // What the backend answers for an entity without a trusted record, and
    // for one that disagrees with its record.
    if (this.scenario === 'unregistered') {
      throw errorResponse(404, notRegisteredMessage('resource:default/c1-dev'));
    }
    if (this.scenario === 'mismatch') {
      throw errorResponse(
        409,
        recordMismatchMessage(ENVIRONMENT_REF, [
          annotationMismatchMessage(
            LOGGING_ANNOTATIONS.tier,
            'development',
            'production',
          ),
          annotationMismatchMessage(
            LOGGING_ANNOTATIONS.argocdApps,
            'other-infrastructure,other-forwarder',
            'acme-prod-logging-infrastructure,acme-prod-logging-forwarder',
          ),
        ]),
      );
    }
    return clone(this.env);
  }

  async runChecklist(): Promise<ChecklistRun> {
    await delay(1500);
    const at = now();
    const run: ChecklistRun = {
      ...this.env.checklist!,
      id: `run-${Date.now()}`,
      startedAt: at,
      finishedAt: at,
      items: this.env.checklist!.items.map(i => ({ ...i, checkedAt: at })),
    };
    this.env.checklist = run;
    this.record(
      'checklist',
      `Checklist ${run.status === 'pass' ? 'passed' : 'failed'}`,
    );
    this.notify('checklist');
    return clone(run);
  }

  async decideApproval(
    _: unknown,
    request: ApprovalDecisionRequest,
  ): Promise<ApprovalState> {
    await delay(300);
    const { approvals } = this.env;
    if (request.revision && request.revision !== approvals.revision) {
      throw new ConflictError(`the revision changed; review again`);
    }
    const availability =
      request.decision === 'approve'
        ? this.env.can.approve
        : this.env.can.reject;
    if (!availability.allowed) throw new NotAllowedError(availability.reason);
    const open = approvals.required.find(
      r => !r.approval && (!request.role || r.role === request.role),
    );
    if (!open) throw new ConflictError('nothing left to decide');
    const decision = {
      id: `approval-${Date.now()}`,
      decision: request.decision,
      role: open.role,
      actor: ME,
      comment: request.comment,
      revision: REVISION,
      createdAt: now(),
    };
    approvals.decisions.unshift(decision);
    if (request.decision === 'approve') {
      open.approval = decision;
      approvals.complete = approvals.required.every(r => r.approval);
      this.record(
        'approval',
        decisionMessage({
          decision: 'approve',
          roleTitle: open.title,
          revision: REVISION,
          comment: request.comment,
        }),
      );
    } else {
      approvals.rejected = decision;
      this.record(
        'rejection',
        decisionMessage({
          decision: 'reject',
          roleTitle: open.title,
          revision: REVISION,
          comment: request.comment,
        }),
      );
    }
    const already = {
      allowed: false,
      reason: `you already ${
        request.decision === 'approve' ? 'approved' : 'rejected'
      } revision ${SHORT_REVISION} as ${open.title}`,
    };
    this.env.can.approve = already;
    this.env.can.reject = already;
    this.env.can.sync = approvals.complete
      ? { allowed: true }
      : { allowed: false, reason: 'the required approvals are not complete' };
    this.notify('approval');
    return clone(approvals);
  }

  async startSync(
    _: unknown,
    request: { revision?: string } = {},
  ): Promise<SyncRun> {
    await delay(300);
    if (!this.env.can.sync.allowed)
      throw new NotAllowedError(this.env.can.sync.reason);
    if (request.revision && request.revision !== this.env.approvals.revision) {
      throw new ConflictError('the approved revision changed');
    }
    this.record(
      'sync-requested',
      `Sync of revision ${SHORT_REVISION} requested`,
    );
    this.rollOut(0);
    return clone(this.env.sync!);
  }

  async getHistory(): Promise<HistoryEvent[]> {
    await delay(100);
    return clone(this.events);
  }

  async getServiceHealth(): Promise<ServiceHealth> {
    await delay(200);
    if (this.scenario === 'degraded') {
      return serviceHealth({
        lokiStack: {
          health: 'Degraded',
          message: 'MissingObjectStorageSecret',
        },
        forwarder: { health: 'Missing' },
        collected: 'unknown',
      });
    }
    return serviceHealth();
  }

  private rollOut(from: number) {
    this.dispose();
    let step = from;
    const apply = () => {
      const [infra, fwd, state] = STEPS[step];
      this.env.applications = [
        app('infrastructure', infra),
        app('forwarder', fwd),
      ];
      this.env.phase = state === 'succeeded' ? 'live' : 'sync';
      this.env.sync = {
        id: 'sync-dev',
        state,
        revision: REVISION,
        requestedBy: ME,
        startedAt:
          this.env.sync?.id === 'sync-dev' ? this.env.sync.startedAt : now(),
        updatedAt: now(),
      };
      this.env.can.sync =
        state === 'succeeded'
          ? { allowed: true }
          : { allowed: false, reason: 'a sync run is in progress' };
      if (state === 'succeeded') {
        this.record(
          'sync-succeeded',
          `Revision ${SHORT_REVISION} synced; every wave is healthy`,
        );
        this.dispose();
      }
      this.notify('waves');
      step += 1;
    };
    apply();
    this.timer = setInterval(apply, this.stepMs);
  }

  private record(type: HistoryEvent['type'], message: string) {
    this.events.unshift({
      id: `h-${Date.now()}-${this.events.length}`,
      type,
      actor:
        type.startsWith('sync-') && type !== 'sync-requested' ? 'system' : ME,
      at: now(),
      message,
    });
  }

  private notify(change: LoggingEnvironmentChange) {
    this.signals?.publish(LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL, {
      environmentRef: ENVIRONMENT_REF,
      change,
    });
  }
}
