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

  it("shows an Unknown health opened, with where health is read, an Application's problems and the revisions of its sources", async () => {
    const applications = healthyEnvironment().applications;
    const forwarder = applications[1];
    forwarder.waves[0].state = 'unknown';
    forwarder.waves[0].resources[0] = {
      ...forwarder.waves[0].resources[0],
      health: 'Unknown',
      healthSource: undefined,
      message:
        "Argo CD 3.x keeps resource health in the Application's resource tree",
    };
    forwarder.problems = [
      {
        type: 'Deleting',
        severity: 'error',
        message:
          'Argo CD is deleting the Application (since 2026-01-01T00:00:00Z)',
      },
    ];
    applications[0].revisions = [
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
    ];
    applications[0].waves[1].resources[0].healthSource = 'resource-tree';
    await renderInTestApp(<WaveTimeline applications={applications} />);

    const clf = screen.getByRole('button', {
      name: 'ClusterLogForwarder openshift-logging/collector: details',
    });
    expect(clf).toHaveAttribute('aria-expanded', 'true');
    expect(
      screen.getByText(
        "Argo CD 3.x keeps resource health in the Application's resource tree",
      ),
    ).toBeVisible();
    expect(
      screen.getByText(
        'Error Deleting: Argo CD is deleting the Application (since 2026-01-01T00:00:00Z)',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Revisions aaaaaaa, bbbbbbb')).toBeInTheDocument();
    expect(
      screen.getByText(
        "Health from the Application's resource tree in Argo CD.",
      ),
    ).toBeInTheDocument();
  });
});
