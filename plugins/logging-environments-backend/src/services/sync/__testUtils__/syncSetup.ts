import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  Approval,
  ApprovalState,
  SyncRunState,
  Tier,
} from '@internal/plugin-logging-environments-common';
import { DatabaseLoggingEnvironmentsStore } from '../../../database/DatabaseLoggingEnvironmentsStore';
import { LoggingEnvironmentsStore } from '../../../database/LoggingEnvironmentsStore';
import { testEnvironment } from '../../__testUtils__/environment';
import { ApprovalService, Environment } from '../../types';
import { REV_NEW, SECOND } from '../../waves/__testUtils__/applications';
import {
  DefaultSyncService,
  DefaultSyncServiceOptions,
} from '../DefaultSyncService';
import { SyncNotification } from '../transitions';
import { FakeArgoCd } from './fakeArgoCd';

// Created when a test file imports this module, as TestDatabases must be:
// at the top level of the test file, where it registers its cleanup.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** A requester. */
export const ALICE = 'user:default/alice';
/** Another user. */
export const BOB = 'user:default/bob';
/** The states a run ends in. */
export const FINAL = ['succeeded', 'failed', 'blocked'];

/**
 * The approval gate as a test sets it: `approved` is the revision whose
 * required approvals are all given (tiers without any pass for any known
 * revision); the current revision comes from `revisions`.
 */
export class FakeApprovals implements ApprovalService {
  approved?: string;
  rejected?: Approval;

  constructor(private readonly revisions: { current?: string }) {}

  async state(environment: Environment): Promise<ApprovalState> {
    const revision = this.revisions.current;
    const given = revision !== undefined && this.approved === revision;
    const required = environment.policy.requiredApprovals.map(r => ({
      role: r.role,
      title: r.title,
      groups: [r.group],
      ...(given
        ? {
            approval: {
              id: r.role,
              decision: 'approve' as const,
              role: r.role,
              actor: 'user:default/approver',
              comment: '',
              revision: revision!,
              createdAt: SECOND,
            },
          }
        : {}),
    }));
    return {
      revision,
      required,
      decisions: [],
      complete:
        !this.rejected &&
        revision !== undefined &&
        required.every(r => r.approval),
      ...(this.rejected ? { rejected: this.rejected } : {}),
    };
  }

  async availability(): Promise<never> {
    throw new Error('not used');
  }

  async view(): Promise<never> {
    throw new Error('not used');
  }

  async decide(): Promise<never> {
    throw new Error('not used');
  }

  async pendingReview(): Promise<never> {
    throw new Error('not used');
  }

  async voidStale(): Promise<never> {
    throw new Error('not used');
  }
}

/**
 * The service's clock: real time (the store stamps runs with it) plus what
 * the test advanced, so a timeout passes when the test says so and never
 * because the machine was slow.
 */
export class TestClock {
  private offset = 0;

  readonly now = () => Date.now() + this.offset;

  advance(ms: number) {
    this.offset += ms;
  }
}

/** An empty store over a fresh SQLite database. */
export async function newStore(): Promise<LoggingEnvironmentsStore> {
  return DatabaseLoggingEnvironmentsStore.create({
    database: mockServices.database({ knex: await databases.init('SQLITE_3') }),
  });
}

/** Everything a test needs around one environment. */
export async function setup(
  tier: Tier = 'production',
  options: Partial<DefaultSyncServiceOptions> & { approve?: boolean } = {},
) {
  const env = testEnvironment({ name: 'acme-prod', tier });
  const argocd = new FakeArgoCd('acme-prod');
  const revisions = {
    current: REV_NEW as string | undefined,
    /** Stands for both Applications' source, project and sync policy. */
    binding: 'as-registered',
    problems: [] as string[],
  };
  const approvals = new FakeApprovals(revisions);
  if (options.approve !== false) approvals.approved = REV_NEW;
  const store = options.store ?? (await newStore());
  const notifications: SyncNotification[] = [];
  const changes: string[] = [];
  const logger = mockServices.logger.mock();
  const clock = new TestClock();
  const create = (overrides: Partial<DefaultSyncServiceOptions> = {}) =>
    new DefaultSyncService({
      now: clock.now,
      store,
      approvals,
      revisions: {
        current: async () => ({
          revision: revisions.current,
          binding: revisions.binding,
          problems: revisions.problems,
        }),
      },
      listEnvironments: async () => [env],
      logger,
      argocd,
      notify: n => {
        notifications.push(n);
      },
      onChange: ref => changes.push(ref),
      ...options,
      ...overrides,
    });
  const service = create();
  const { infrastructure, forwarder } = env.applications;

  /** Ticks as the scheduler would, with a controller step in between, until the latest run is final. */
  const runToEnd = async (s = service, maxTicks = 30) => {
    const states: SyncRunState[] = [];
    for (let i = 0; i < maxTicks; i++) {
      await s.tick();
      const run = await s.latest(env);
      if (run && states[states.length - 1] !== run.state)
        states.push(run.state);
      if (run && FINAL.includes(run.state)) return { run, states };
      argocd.reconcile();
    }
    throw new Error(`no final state after ${maxTicks} ticks: ${states}`);
  };

  return {
    env,
    argocd,
    revisions,
    approvals,
    store,
    notifications,
    changes,
    logger,
    clock,
    service,
    create,
    runToEnd,
    infrastructure,
    forwarder,
  };
}
