import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import {
  LOKI_FAILURE,
  degradedEnvironment,
  healthyEnvironment,
} from '../../__fixtures__/environments';
import { FailureSummary, failuresOf } from './FailureSummary';

describe('FailureSummary', () => {
  it('names the failed wave and the cause from its resource', async () => {
    await renderInTestApp(
      <FailureSummary environment={degradedEnvironment()} />,
    );
    expect(
      screen.getByText(
        /Wave 10 \(LokiStack\) of acme-prod-logging-infrastructure failed/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(`LokiStack logging-loki: ${LOKI_FAILURE}`),
    ).toBeInTheDocument();
  });

  it('shows nothing when nothing failed', async () => {
    await renderInTestApp(
      <FailureSummary environment={healthyEnvironment()} />,
    );
    expect(screen.queryByTestId('failure-summary')).toBeNull();
  });

  it('falls back to the sync run message when no wave explains a failed sync', () => {
    const env = healthyEnvironment();
    env.sync = {
      ...env.sync!,
      state: 'failed',
      message: 'Argo CD API unreachable',
    };
    expect(failuresOf(env)).toEqual([
      {
        title: 'The sync failed',
        cause: 'Argo CD API unreachable',
        severity: 'error',
      },
    ]);
  });

  it('lists what Argo CD reports wrong with an Application, with its message, and still the failed run', () => {
    const env = healthyEnvironment();
    env.applications[0].problems = [
      {
        type: 'ComparisonError',
        severity: 'error',
        message:
          'Failed to load target state: failed to generate manifest for source 1 of 1',
      },
    ];
    env.applications[1].problems = [
      {
        type: 'OrphanedResourceWarning',
        severity: 'warning',
        message: 'Application has 2 orphaned resources',
      },
    ];
    expect(failuresOf(env)).toEqual([
      {
        title: 'acme-prod-logging-infrastructure: ComparisonError',
        cause:
          'Failed to load target state: failed to generate manifest for source 1 of 1',
        severity: 'error',
      },
      {
        title: 'acme-prod-logging-forwarder: OrphanedResourceWarning',
        cause: 'Application has 2 orphaned resources',
        severity: 'warning',
      },
    ]);

    env.applications[0].problems = [];
    env.sync = { ...env.sync!, state: 'failed', message: 'Timed out' };
    expect(failuresOf(env).map(f => f.title)).toEqual([
      'acme-prod-logging-forwarder: OrphanedResourceWarning',
      'The sync failed',
    ]);
  });
});
