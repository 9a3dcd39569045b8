import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL,
  LoggingEnvironmentChange,
  LoggingEnvironmentSignal,
  environmentPagePath,
} from '@internal/plugin-logging-environments-common';
import { Environment } from '../types';

/**
 * Something the owner of an environment should hear about: a failed sync,
 * a sync a sync window blocked, a rollback.
 */
export interface OwnerNotice {
  type: 'sync-failed' | 'sync-blocked' | 'rollback';
  environmentRef: string;
  message: string;
}

/**
 * What a service needs to report a stored change: the signal to browsers.
 * {@link EnvironmentEvents} implements it.
 */
export interface EnvironmentChanges {
  changed(environmentRef: string, change: LoggingEnvironmentChange): void;
}

/** Options of {@link EnvironmentEvents}. */
export interface EnvironmentEventsOptions {
  signals: SignalsService;
  /** Absent when the app does not install the notifications backend. */
  notifications?: NotificationService;
  /** The environments' records, to find an owner (never the catalog). */
  environments: {
    byRefs(entityRefs: string[]): Promise<Array<Environment | undefined>>;
  };
  logger: LoggerService;
}

/**
 * What the outside world hears about an environment, in one place: a signal
 * to every browser showing it after any change, and a notification to its
 * owner about a failed, blocked or rolled-back sync. The services call it
 * after their change is stored; it never throws (a lost signal or
 * notification must not fail the change it reports), it logs instead.
 */
export class EnvironmentEvents implements EnvironmentChanges {
  readonly #signals: SignalsService;
  readonly #notifications?: NotificationService;
  readonly #environments: EnvironmentEventsOptions['environments'];
  readonly #logger: LoggerService;

  constructor(options: EnvironmentEventsOptions) {
    this.#signals = options.signals;
    this.#notifications = options.notifications;
    this.#environments = options.environments;
    this.#logger = options.logger;
  }

  /** Tells the browsers showing the environment what changed. */
  changed(environmentRef: string, change: LoggingEnvironmentChange): void {
    this.#signals
      .publish<LoggingEnvironmentSignal & { [key: string]: string }>({
        recipients: { type: 'broadcast' },
        channel: LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL,
        message: { environmentRef, change },
      })
      .catch(error =>
        this.#logger.warn(`Could not signal a change of ${environmentRef}`, {
          environment: environmentRef,
          change,
          error: String(error),
        }),
      );
  }

  /** Tells the environment's owner (from its record) about a sync outcome. */
  async ownerNotice(notice: OwnerNotice): Promise<void> {
    if (!this.#notifications) return;
    try {
      const [environment] = await this.#environments.byRefs([
        notice.environmentRef,
      ]);
      if (!environment) return;
      await this.#notifications.send({
        recipients: { type: 'entity', entityRef: environment.owner },
        payload: {
          title: `${environment.name}: ${notice.message}`,
          description: notice.message,
          link: environmentPagePath(environment.entityRef),
          severity: notice.type === 'rollback' ? 'high' : 'normal',
          topic: 'logging-environment-sync',
        },
      });
    } catch (error) {
      this.#logger.warn(
        `Could not notify the owner of ${notice.environmentRef}`,
        {
          environment: notice.environmentRef,
          notice: notice.type,
          error: String(error),
        },
      );
    }
  }
}
