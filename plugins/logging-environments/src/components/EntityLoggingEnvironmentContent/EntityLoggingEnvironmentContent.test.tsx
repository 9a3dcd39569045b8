import { LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL } from '@internal/plugin-logging-environments-common';
import { screen, waitFor } from '@testing-library/react';
import {
  LOKI_FAILURE,
  awaitingApprovalEnvironment,
  degradedEnvironment,
  environmentEntity,
  healthyEnvironment,
  history,
  progressingEnvironment,
} from '../../__fixtures__/environments';
import { FakeSignalApi, renderWithApis } from '../../__testUtils__/render';
import { EntityLoggingEnvironmentContent } from './EntityLoggingEnvironmentContent';

const entity = environmentEntity();

describe('EntityLoggingEnvironmentContent', () => {
  it('shows the phases with the tier policy in words, the checklist, the gate and the history', async () => {
    await renderWithApis(<EntityLoggingEnvironmentContent />, {
      entity,
      api: {
        getEnvironment: async () => awaitingApprovalEnvironment(),
        getHistory: async () => history(),
      },
    });
    expect(
      await screen.findByText(
        'Production: security review + approval by two people other than the requester; manual sync',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('table', { name: 'Checklist' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('table', { name: 'Required approvals' }),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('button', { name: 'Approve' }),
    ).toHaveAccessibleDescription(
      'The requester of a production environment cannot approve it',
    );
    expect(
      await screen.findByText('Environment bootstrapped'),
    ).toBeInTheDocument();
  });

  it("shows a failed wave's cause at the top of the page", async () => {
    await renderWithApis(<EntityLoggingEnvironmentContent />, {
      entity,
      api: {
        getEnvironment: async () => degradedEnvironment(),
        getHistory: async () => [],
      },
    });
    const cause = await screen.findByText(
      `LokiStack logging-loki: ${LOKI_FAILURE}`,
    );
    const phases = screen.getByText('Deployment phases');
    // The cause comes before everything else on the page.
    expect(
      cause.compareDocumentPosition(phases) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
  });

  it('re-reads the environment when a signal about it arrives, without reload', async () => {
    const signals = new FakeSignalApi();
    const getEnvironment = jest
      .fn()
      .mockResolvedValueOnce(progressingEnvironment())
      .mockResolvedValue(healthyEnvironment());
    const getHistory = jest.fn(async () => history());
    await renderWithApis(<EntityLoggingEnvironmentContent />, {
      entity,
      signals,
      api: { getEnvironment, getHistory },
    });
    expect(
      await screen.findByText('Waiting for infrastructure'),
    ).toBeInTheDocument();
    expect(getEnvironment).toHaveBeenCalledTimes(1);

    // A signal about another environment changes nothing.
    await signals.publish(LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL, {
      environmentRef: 'resource:default/other',
      change: 'waves',
    });
    expect(getEnvironment).toHaveBeenCalledTimes(1);

    await signals.publish(LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL, {
      environmentRef: 'resource:default/acme-prod',
      change: 'waves',
    });
    await waitFor(() => expect(getEnvironment).toHaveBeenCalledTimes(2));
    expect(await screen.findByText('Succeeded')).toBeInTheDocument();
    expect(screen.queryByText('Waiting for infrastructure')).toBeNull();
    await waitFor(() => expect(getHistory).toHaveBeenCalledTimes(2));
  });

  /** What LoggingEnvironmentsClient throws for an error answer (ResponseError.fromResponse). */
  const responseError = (statusCode: number, message: string) =>
    Object.assign(new Error(`Request failed with ${statusCode}, ${message}`), {
      name: 'ResponseError',
      statusCode,
      body: { error: { name: 'Error', message } },
    });

  it("shows an entity without a trusted record as not registered, in the backend's words", async () => {
    await renderWithApis(<EntityLoggingEnvironmentContent />, {
      // No annotations at all: the page asks the backend all the same.
      entity: { ...entity, metadata: { name: 'c1-dev', namespace: 'default' } },
      api: {
        getEnvironment: async () => {
          throw responseError(
            404,
            'resource:default/c1-dev is not a registered logging environment: no trusted record exists for it.',
          );
        },
      },
    });
    expect(
      await screen.findByText('Not a registered logging environment'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'resource:default/c1-dev is not a registered logging environment: no trusted record exists for it.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('shows an entity that disagrees with its record as such, naming each fact', async () => {
    await renderWithApis(<EntityLoggingEnvironmentContent />, {
      entity: environmentEntity('development'),
      api: {
        getEnvironment: async () => {
          throw responseError(
            409,
            'resource:default/acme-prod does not match its record, so nothing acts on it: annotation logging-environments.io/tier says "development", the record says "production"',
          );
        },
      },
    });
    expect(
      await screen.findByText("Does not match its environment's record"),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'annotation logging-environments.io/tier says "development", the record says "production"',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sync now' })).toBeNull();
  });

  it('shows the backend error', async () => {
    await renderWithApis(<EntityLoggingEnvironmentContent />, {
      entity,
      api: {
        getEnvironment: async () => {
          throw new Error('backend unreachable');
        },
      },
    });
    expect(
      await screen.findByText('Error: backend unreachable'),
    ).toBeInTheDocument();
  });
});
