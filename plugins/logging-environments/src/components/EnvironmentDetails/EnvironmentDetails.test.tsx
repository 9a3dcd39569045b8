import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { awaitingApprovalEnvironment } from '../../__fixtures__/environments';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { EnvironmentDetails } from './EnvironmentDetails';

const environment = awaitingApprovalEnvironment();

describe('EnvironmentDetails', () => {
  it('links each Application to the Argo CD UI when the backend gives its page', async () => {
    await renderInTestApp(
      <EnvironmentDetails
        environment={environment}
        applicationUrls={{
          forwarder:
            'https://argocd.example.com/applications/openshift-gitops/acme-prod-logging-forwarder',
        }}
      />,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );
    expect(
      screen.getByRole('link', {
        name: /^Open acme-prod-logging-forwarder in Argo CD/,
      }),
    ).toHaveAttribute(
      'href',
      'https://argocd.example.com/applications/openshift-gitops/acme-prod-logging-forwarder',
    );
    expect(screen.getByText('acme-prod-loki')).toBeInTheDocument();
  });

  it("names the groups a role also takes, as the environment's record gives them", async () => {
    const staging = awaitingApprovalEnvironment();
    staging.policy = {
      ...staging.policy,
      tier: 'staging',
      requiredApprovals: [
        {
          role: 'configuration-review',
          title: 'Configuration review',
          group: 'group:default/platform-approvers',
          extendable: true,
        },
      ],
    };
    staging.record!.extraApprovers = {
      'configuration-review': ['group:default/sre'],
    };
    await renderInTestApp(<EnvironmentDetails environment={staging} />, {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    expect(
      screen.getByText(/^also gives the configuration review$/i),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'sre' })).toBeInTheDocument();
  });

  it('shows plain names without an Argo CD UI', async () => {
    await renderInTestApp(<EnvironmentDetails environment={environment} />, {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    expect(
      screen.getByText('acme-prod-logging-infrastructure'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: /in Argo CD/ })).toBeNull();
  });
});
