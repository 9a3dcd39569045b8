import { LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL } from '@internal/plugin-logging-environments-common';
import { screen, waitFor } from '@testing-library/react';
import { serviceEntity, serviceHealth } from '../../__fixtures__/environments';
import { FakeSignalApi, renderWithApis } from '../../__testUtils__/render';
import { EntityLoggingHealthCard } from './EntityLoggingHealthCard';

describe('EntityLoggingHealthCard', () => {
  it('shows where the logs go, the stack health, collection and the last sync, with links', async () => {
    const getServiceHealth = jest.fn(async () => serviceHealth());
    await renderWithApis(<EntityLoggingHealthCard />, {
      entity: serviceEntity(),
      api: { getServiceHealth },
    });
    expect(
      await screen.findByTitle('LokiStack health: Healthy'),
    ).toBeInTheDocument();
    expect(
      screen.getByTitle('ClusterLogForwarder health: Healthy'),
    ).toBeInTheDocument();
    expect(screen.getByText('Collected')).toBeInTheDocument();
    expect(screen.getByText(/revision a1b2c3d/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /acme-prod/ })).toHaveAttribute(
      'href',
      '/catalog/default/resource/acme-prod',
    );
    expect(
      screen.getByRole('link', {
        name: /Open the logs of checkout in the cluster console/,
      }),
    ).toHaveAttribute(
      'href',
      'https://console.example.com/dev-monitoring/ns/checkout/logs',
    );
    expect(getServiceHealth).toHaveBeenCalledWith('component:default/checkout');
  });

  it('says when the namespace is not collected and the stack is degraded', async () => {
    await renderWithApis(<EntityLoggingHealthCard />, {
      entity: serviceEntity(),
      api: {
        getServiceHealth: async () =>
          serviceHealth({
            collected: 'no',
            lokiStack: {
              health: 'Degraded',
              message: 'MissingObjectStorageSecret',
            },
          }),
      },
    });
    expect(await screen.findByText('Not collected')).toBeInTheDocument();
    expect(screen.getByTitle('LokiStack health: Degraded')).toBeInTheDocument();
    expect(screen.getByText('MissingObjectStorageSecret')).toBeInTheDocument();
  });

  it('follows the environment live: a signal about it re-reads the health', async () => {
    const signals = new FakeSignalApi();
    const getServiceHealth = jest
      .fn()
      .mockResolvedValueOnce(
        serviceHealth({ forwarder: { health: 'Missing' } }),
      )
      .mockResolvedValue(serviceHealth());
    await renderWithApis(<EntityLoggingHealthCard />, {
      entity: serviceEntity(),
      api: { getServiceHealth },
      signals,
    });
    expect(
      await screen.findByTitle('ClusterLogForwarder health: Missing'),
    ).toBeInTheDocument();
    await signals.publish(LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL, {
      environmentRef: 'resource:default/acme-prod',
      change: 'waves',
    });
    await waitFor(() =>
      expect(
        screen.getByTitle('ClusterLogForwarder health: Healthy'),
      ).toBeInTheDocument(),
    );
  });

  it('keeps the environment link when the health cannot be read', async () => {
    await renderWithApis(<EntityLoggingHealthCard />, {
      entity: serviceEntity(),
      api: {
        getServiceHealth: async () => {
          throw new Error('backend unreachable');
        },
      },
    });
    expect(
      (await screen.findAllByText(/backend unreachable/)).length,
    ).toBeGreaterThan(0);
    expect(screen.getByRole('link', { name: /acme-prod/ })).toBeInTheDocument();
  });

  it('explains the annotation when the service names no environment', async () => {
    const getServiceHealth = jest.fn();
    await renderWithApis(<EntityLoggingHealthCard />, {
      entity: serviceEntity({}),
      api: { getServiceHealth },
    });
    expect(
      screen.getByText('This service does not name its logging environment'),
    ).toBeInTheDocument();
    expect(getServiceHealth).not.toHaveBeenCalled();
  });
});
