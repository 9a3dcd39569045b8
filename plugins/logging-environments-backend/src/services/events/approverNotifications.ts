import { CacheService, LoggerService } from '@backstage/backend-plugin-api';
import { assertError } from '@backstage/errors';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  environmentPagePath,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import type { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import { uniqueRefs } from '../approvals/gate';
import { ApprovalService, Environment, PendingReview } from '../types';

/** How many (environment, revision) notification keys one process remembers. */
const MAX_REMEMBERED_NOTIFICATIONS = 1000;

/**
 * Topic of the notifications that ask approvers to review an environment.
 *
 * @public
 */
export const APPROVAL_NEEDED_NOTIFICATION_TOPIC =
  'logging-environment-approval';

/**
 * What {@link ApproverNotifier.notifyIfApprovalNeeded} did.
 *
 * @public
 */
export interface ApprovalNotificationResult {
  sent: boolean;
  /** The group entity refs notified. */
  recipients: string[];
  /** Why nothing was sent. */
  reason?: string;
}

/**
 * Options of the {@link ApproverNotifier} constructor.
 *
 * @public
 */
export interface ApproverNotifierOptions {
  /** Says who an environment waits for; read only. */
  approvals: Pick<ApprovalService, 'pendingReview'>;
  /** Absent when the app does not install the notifications backend. */
  notifications?: NotificationService;
  /**
   * Remembers across replicas and restarts which revisions approvers were
   * already notified about; without it, each process remembers on its own.
   */
  cache?: CacheService;
  /**
   * Makes the cache's "already sent?" check and its mark one step across
   * replicas (the store's lease); without it, two replicas may both send.
   */
  locks?: Pick<LoggingEnvironmentsStore, 'withLock'>;
  logger: LoggerService;
}

/**
 * Tells approvers that an environment waits for their review.
 *
 * @public
 */
export class ApproverNotifier {
  readonly #approvals: Pick<ApprovalService, 'pendingReview'>;
  readonly #notifications?: NotificationService;
  readonly #cache?: CacheService;
  readonly #locks?: Pick<LoggingEnvironmentsStore, 'withLock'>;
  readonly #logger: LoggerService;
  readonly #notified = new Set<string>();

  constructor(options: ApproverNotifierOptions) {
    this.#approvals = options.approvals;
    this.#notifications = options.notifications;
    this.#cache = options.cache;
    this.#locks = options.locks;
    this.#logger = options.logger;
  }

  /**
   * Notifies the members of the groups of the missing roles that the
   * environment waits for their review, once per revision: when the current
   * revision has a passing checklist, the gate is incomplete and no
   * rejection stands. Call it after a checklist run and when the revision
   * changes. Never throws; without the notifications service it does
   * nothing.
   */
  async notifyIfApprovalNeeded(
    environment: Environment,
  ): Promise<ApprovalNotificationResult> {
    const notifications = this.#notifications;
    if (!notifications) {
      return skip('the notifications backend is not installed');
    }
    try {
      return await this.#notify(environment, notifications);
    } catch (error) {
      assertError(error);
      this.#logger.warn(
        `Could not tell the approvers of ${environment.entityRef} that it needs approval: ${error.message}`,
        { environment: environment.entityRef },
      );
      return skip(`the notification could not be sent: ${error.message}`);
    }
  }

  async #notify(
    environment: Environment,
    notifications: NotificationService,
  ): Promise<ApprovalNotificationResult> {
    const review = await this.#approvals.pendingReview(environment);
    if (!review.waiting) return skip(review.reason);
    const { revision } = review;
    const key = `${environment.entityRef}@${revision}`;
    if (this.#notified.has(key)) {
      return skip('the approvers were already notified for this revision');
    }
    this.#remember(key);
    try {
      return await (this.#locks
        ? this.#locks.withLock(`approval-notification:${key}`, () =>
            this.#send(environment, notifications, review, key),
          )
        : this.#send(environment, notifications, review, key));
    } catch (error) {
      // Forget the key so that the next call tries again.
      this.#notified.delete(key);
      throw error;
    }
  }

  /** Sends unless the cache says another replica did, then marks it sent. */
  async #send(
    environment: Environment,
    notifications: NotificationService,
    review: Extract<PendingReview, { waiting: true }>,
    key: string,
  ): Promise<ApprovalNotificationResult> {
    const { revision } = review;
    const recipients = uniqueRefs(review.roles.flatMap(r => r.groups));
    const cacheKey = `approval-notified:${key}`;
    if (this.#cache && (await this.#cache.get(cacheKey))) {
      return skip('the approvers were already notified for this revision');
    }
    const short = shortRevision(revision);
    await notifications.send({
      recipients: {
        type: 'entity',
        entityRef: recipients,
        ...(review.exclude.length > 0
          ? { excludeEntityRef: review.exclude }
          : {}),
      },
      payload: {
        title: `Approval needed: ${environment.title ?? environment.name}`,
        description: `Revision ${short} of the ${
          environment.tier
        } logging environment ${
          environment.name
        } passed its checklist and needs: ${review.roles
          .map(r => r.title)
          .join(', ')}.`,
        link: environmentPagePath(environment.entityRef),
        severity: environment.tier === 'production' ? 'high' : 'normal',
        topic: APPROVAL_NEEDED_NOTIFICATION_TOPIC,
        // The notifications backend updates rather than duplicates a
        // notification with the same scope.
        scope: `${APPROVAL_NEEDED_NOTIFICATION_TOPIC}:${environment.entityRef}:${revision}`,
      },
    });
    await this.#cache?.set(cacheKey, true, { ttl: { days: 30 } });
    this.#logger.info(
      `Asked ${recipients.join(', ')} to review ${
        environment.entityRef
      } at revision ${short}`,
      { environment: environment.entityRef, revision, recipients },
    );
    return { sent: true, recipients };
  }

  #remember(key: string) {
    this.#notified.add(key);
    if (this.#notified.size > MAX_REMEMBERED_NOTIFICATIONS) {
      const oldest = this.#notified.values().next().value;
      if (oldest !== undefined) this.#notified.delete(oldest);
    }
  }
}

function skip(reason: string): ApprovalNotificationResult {
  return { sent: false, recipients: [], reason };
}
