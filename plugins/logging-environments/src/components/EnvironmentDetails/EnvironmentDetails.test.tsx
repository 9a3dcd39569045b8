import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { EnvironmentRef } from '@internal/plugin-logging-environments-common';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { EnvironmentDetails } from './EnvironmentDetails';

const environment: EnvironmentRef = {
  entityRef: 'resource:default/acme-prod',
  name: 'acme-prod',
  tier: 'production',
  cluster: 'sandbox',
  namespace: 'openshift-logging',
  argocdNamespace: 'openshift-gitops',
  applications: {
    infrastructure: 'acme-prod-logging-infrastructure',
    forwarder: 'acme-prod-logging-forwarder',
  },
  bucket: 'acme-prod-loki',
  requester: 'user:default/requester',
};

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
