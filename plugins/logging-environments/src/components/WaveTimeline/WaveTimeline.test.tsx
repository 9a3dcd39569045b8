import { renderInTestApp } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  LOKI_FAILURE,
  degradedEnvironment,
  healthyEnvironment,
  progressingEnvironment,
} from '../../__fixtures__/environments';
import { WaveTimeline } from './WaveTimeline';

describe('WaveTimeline', () => {
  it('shows the waves of each Application in order, with state chips and progress', async () => {
    await renderInTestApp(
      <WaveTimeline applications={progressingEnvironment().applications} />,
    );
    const waves = screen
      .getAllByRole('listitem')
      .map(li => li.getAttribute('aria-label'));
    expect(waves).toEqual([
      'Wave 0: ExternalSecret',
      'Wave 10: LokiStack',
      'Wave 20: Health check',
      'Wave 30: ClusterLogForwarder',
    ]);
    const loki = screen.getByRole('listitem', { name: 'Wave 10: LokiStack' });
    expect(within(loki).getAllByText('Running')[0]).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', {
        name: 'acme-prod-logging-infrastructure progress',
      }),
    ).toHaveAttribute('aria-valuetext', '1 of 3 waves healthy');
  });

  it('expands a resource to its message', async () => {
    await renderInTestApp(
      <WaveTimeline applications={progressingEnvironment().applications} />,
    );
    const summary = screen.getByRole('button', {
      name: 'LokiStack openshift-logging/logging-loki: details',
    });
    expect(summary).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(summary);
    expect(summary).toHaveAttribute('aria-expanded', 'true');
    expect(
      screen.getByText('Some LokiStack components pending on dependencies'),
    ).toBeVisible();
  });

  it('opens the failed resource of a failed wave by itself', async () => {
    await renderInTestApp(
      <WaveTimeline applications={degradedEnvironment().applications} />,
    );
    expect(
      screen.getByRole('button', {
        name: 'LokiStack openshift-logging/logging-loki: details',
      }),
    ).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByText(LOKI_FAILURE)).toBeVisible();
    expect(screen.getAllByText('Failed').length).toBeGreaterThan(0);
  });

  it('links each Application to the Argo CD UI when one is configured', async () => {
    const applications = healthyEnvironment().applications;
    delete applications[1].url;
    await renderInTestApp(<WaveTimeline applications={applications} />);
    expect(
      screen.getByRole('link', {
        name: /^Open acme-prod-logging-infrastructure in Argo CD/,
      }),
    ).toHaveAttribute(
      'href',
      'https://argocd.example.com/applications/openshift-gitops/acme-prod-logging-infrastructure',
    );
    expect(
      screen.queryByRole('link', {
        name: /^Open acme-prod-logging-forwarder in Argo CD/,
      }),
    ).toBeNull();
  });

  it('explains when no Application status is known', async () => {
    await renderInTestApp(<WaveTimeline applications={[]} />);
    expect(
      screen.getByText('No Argo CD Application status yet'),
    ).toBeInTheDocument();
  });
});
