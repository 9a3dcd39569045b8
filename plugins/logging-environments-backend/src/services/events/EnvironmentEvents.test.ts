import { mockServices } from '@backstage/backend-test-utils';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import { LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL } from '@internal/plugin-logging-environments-common';
import { testEnvironment } from '../__testUtils__/environment';
import { EnvironmentEvents } from './EnvironmentEvents';

function setup(
  options: { notifications?: boolean; publishFails?: boolean } = {},
) {
  const published: unknown[] = [];
  const signals: SignalsService = {
    publish: async message => {
      if (options.publishFails) throw new Error('events bus down');
      published.push(message);
    },
  };
  const sent: Parameters<NotificationService['send']>[0][] = [];
  const notifications: NotificationService = {
    send: async notification => {
      sent.push(notification);
    },
  };
  const environment = testEnvironment({
    name: 'acme-staging',
    tier: 'staging',
  });
  const logger = mockServices.logger.mock();
  const events = new EnvironmentEvents({
    signals,
    notifications: options.notifications === false ? undefined : notifications,
    environments: {
      byRefs: async refs =>
        refs.map(ref =>
          ref === environment.entityRef ? environment : undefined,
        ),
    },
    logger,
  });
  return { events, published, sent, environment, logger };
}

describe('EnvironmentEvents', () => {
  it('signals every browser on the plugin channel with the change', async () => {
    const { events, published } = setup();
    events.changed('resource:default/acme-staging', 'approval');
    await new Promise(resolve => setImmediate(resolve));
    expect(published).toEqual([
      {
        recipients: { type: 'broadcast' },
        channel: LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL,
        message: {
          environmentRef: 'resource:default/acme-staging',
          change: 'approval',
        },
      },
    ]);
  });

  it('logs a signal that could not be published instead of failing the change', async () => {
    const { events, logger } = setup({ publishFails: true });
    expect(() =>
      events.changed('resource:default/acme-staging', 'sync'),
    ).not.toThrow();
    await new Promise(resolve => setImmediate(resolve));
    expect(logger.warn).toHaveBeenCalledWith(
      'Could not signal a change of resource:default/acme-staging',
      expect.objectContaining({ environment: 'resource:default/acme-staging' }),
    );
  });

  it("notifies the record's owner of a rollback, linking the environment page", async () => {
    const { events, sent, environment } = setup();
    await events.ownerNotice({
      type: 'rollback',
      environmentRef: environment.entityRef,
      message: 'rolled back to abc1234',
    });
    expect(sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: environment.owner },
        payload: {
          title: 'acme-staging: rolled back to abc1234',
          description: 'rolled back to abc1234',
          link: '/catalog/default/resource/acme-staging/logging',
          severity: 'high',
          topic: 'logging-environment-sync',
        },
      },
    ]);
  });

  it('notifies nobody about an environment without a record, or without the notifications backend', async () => {
    const withBackend = setup();
    await withBackend.events.ownerNotice({
      type: 'sync-failed',
      environmentRef: 'resource:default/forged',
      message: 'failed',
    });
    expect(withBackend.sent).toEqual([]);

    const without = setup({ notifications: false });
    await expect(
      without.events.ownerNotice({
        type: 'sync-failed',
        environmentRef: without.environment.entityRef,
        message: 'failed',
      }),
    ).resolves.toBeUndefined();
  });
});
