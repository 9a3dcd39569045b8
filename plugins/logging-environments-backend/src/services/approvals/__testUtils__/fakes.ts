import { testEnvironment } from '../../__testUtils__/environment';
import { randomUUID } from 'node:crypto';
import {
  AuditorService,
  AuditorServiceCreateEventOptions,
} from '@backstage/backend-plugin-api';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import {
  ChecklistItem,
  ChecklistRun,
  Tier,
} from '@internal/plugin-logging-environments-common';
import { CurrentRevision } from '../../revision/binding';
import { Environment, RevisionSource } from '../../types';

/** A revision source whose answer the test sets. */
export class StaticRevisionSource implements RevisionSource {
  readonly revisions = new Map<string, CurrentRevision>();

  /**
   * What the Applications say now: the commit, and (by default unchanged)
   * the binding of their source, project and sync policy, and no problem.
   */
  set(
    env: Environment,
    revision: string | undefined,
    other: { binding?: string; problems?: string[] } = {},
  ) {
    this.revisions.set(env.entityRef, {
      revision,
      binding: other.binding ?? 'as-registered',
      problems: other.problems ?? [],
    });
  }

  async current(env: Environment): Promise<CurrentRevision> {
    return (
      this.revisions.get(env.entityRef) ?? {
        binding: 'as-registered',
        problems: [],
      }
    );
  }
}

/** One audit event as the auditor saw it, with how it ended. */
export interface RecordedAuditEvent {
  options: AuditorServiceCreateEventOptions;
  status: 'initiated' | 'succeeded' | 'failed';
  error?: Error;
}

/** An auditor that records every event. */
export class RecordingAuditor implements AuditorService {
  readonly events: RecordedAuditEvent[] = [];

  async createEvent(options: AuditorServiceCreateEventOptions) {
    const event: RecordedAuditEvent = { options, status: 'initiated' };
    this.events.push(event);
    return {
      success: async () => {
        event.status = 'succeeded';
      },
      fail: async ({ error }: { error: Error }) => {
        event.status = 'failed';
        event.error = error;
      },
    };
  }
}

/** A notification service that records what it was asked to send. */
export class RecordingNotifications implements NotificationService {
  readonly sent: NotificationSendOptions[] = [];
  failNext = false;

  async send(options: NotificationSendOptions) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('notifications backend unavailable');
    }
    this.sent.push(options);
  }
}

/** Commit hashes for tests (short: a1b2c3d, b5e6f7a). */
export const REV_A = `a1b2c3d4${'0'.repeat(32)}`;
export const REV_B = `b5e6f7a8${'0'.repeat(32)}`;

/** Users and their groups. */
export const people = {
  requester: {
    userEntityRef: 'user:default/rita',
    ownershipEntityRefs: [
      'user:default/rita',
      'group:default/checkout-team',
      'group:default/platform-approvers',
    ],
  },
  approver: {
    userEntityRef: 'user:default/alice',
    ownershipEntityRefs: [
      'user:default/alice',
      'group:default/platform-approvers',
    ],
  },
  secondApprover: {
    userEntityRef: 'user:default/aaron',
    ownershipEntityRefs: [
      'user:default/aaron',
      'group:default/platform-approvers',
    ],
  },
  securityReviewer: {
    userEntityRef: 'user:default/sam',
    ownershipEntityRefs: [
      'user:default/sam',
      'group:default/security-reviewers',
    ],
  },
  /** In both groups: may fill either role, but only one per revision. */
  securityApprover: {
    userEntityRef: 'user:default/bea',
    ownershipEntityRefs: [
      'user:default/bea',
      'group:default/security-reviewers',
      'group:default/platform-approvers',
    ],
  },
  viewer: {
    userEntityRef: 'user:default/victor',
    ownershipEntityRefs: ['user:default/victor'],
  },
  teamMember: {
    userEntityRef: 'user:default/tom',
    ownershipEntityRefs: ['user:default/tom', 'group:default/checkout-team'],
  },
};

/** An environment of a tier, requested by Rita. */
export function environment(
  tier: Tier,
  overrides: Partial<Environment> = {},
): Environment {
  return testEnvironment({
    name: `${tier}-logs`,
    title: `${tier} logs`,
    tier,
    applications: {
      infrastructure: `${tier}-logs-infrastructure`,
      forwarder: `${tier}-logs-forwarder`,
    },
    requester: 'user:default/rita',
    owner: 'group:default/checkout-team',
    ...overrides,
  });
}

/** A finished checklist run whose items have the given statuses. */
export function checklistRun(
  statuses: Record<string, ChecklistItem['status']>,
  revision?: string,
): ChecklistRun {
  const items: ChecklistItem[] = Object.entries(statuses).map(
    ([title, status]) => ({
      id: title.toLocaleLowerCase('en-US').replace(/\W+/g, '-'),
      title,
      status,
      message: status,
      evidence: {},
      checkedAt: '2026-11-27T09:59:00.000Z',
    }),
  );
  const blocking = items.find(
    i => i.status === 'fail' || i.status === 'unknown',
  );
  return {
    id: randomUUID(),
    items,
    status: blocking ? blocking.status : 'pass',
    startedAt: '2026-11-27T09:58:00.000Z',
    finishedAt: '2026-11-27T09:59:00.000Z',
    revision,
  };
}
