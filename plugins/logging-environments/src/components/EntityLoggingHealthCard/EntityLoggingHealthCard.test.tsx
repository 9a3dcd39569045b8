import { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { EntityLoggingHealthCard } from './EntityLoggingHealthCard';

const service = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace: 'default', annotations },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/checkout-team',
  },
});

describe('EntityLoggingHealthCard', () => {
  it('links to the environment the logs go to', async () => {
    await renderInTestApp(
      <EntityProvider
        entity={service({
          'logging-environments.io/environment': 'resource:default/acme-prod',
          'backstage.io/kubernetes-namespace': 'checkout',
        })}
      >
        <EntityLoggingHealthCard />
      </EntityProvider>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );
    expect(screen.getByRole('link', { name: /acme-prod/ })).toHaveAttribute(
      'href',
      '/catalog/default/resource/acme-prod',
    );
    expect(screen.getByText('checkout')).toBeInTheDocument();
  });

  it('explains the annotation when the service names no environment', async () => {
    await renderInTestApp(
      <EntityProvider entity={service({})}>
        <EntityLoggingHealthCard />
      </EntityProvider>,
    );
    expect(
      screen.getByText('This service does not name its logging environment'),
    ).toBeInTheDocument();
  });
});
