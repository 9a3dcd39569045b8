import { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { LoggingEnvironmentsApi, loggingEnvironmentsApiRef } from '../../api';
import { EntityLoggingEnvironmentContent } from './EntityLoggingEnvironmentContent';

const environment: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'acme-prod',
    namespace: 'default',
    annotations: {
      'logging-environments.io/cluster': 'sandbox',
      'logging-environments.io/tier': 'production',
    },
  },
  spec: { type: 'logging-environment', owner: 'group:default/platform-team' },
};

async function render(entity: Entity, api: Partial<LoggingEnvironmentsApi>) {
  return renderInTestApp(
    <TestApiProvider apis={[[loggingEnvironmentsApiRef, api]]}>
      <EntityProvider entity={entity}>
        <EntityLoggingEnvironmentContent />
      </EntityProvider>
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

describe('EntityLoggingEnvironmentContent', () => {
  it('shows the phases, the tier policy and the environment', async () => {
    await render(environment, {
      listClusters: async () => [
        { name: 'sandbox', argocdUrl: 'https://argocd.example.com' },
      ],
    });
    expect(
      await screen.findByText(/Production: security review \+ approval/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', {
        name: /^Open acme-prod-logging-infrastructure in Argo CD/,
      }),
    ).toBeInTheDocument();
  });

  it('explains how to set up an environment with missing annotations', async () => {
    const bare = {
      ...environment,
      metadata: { name: 'bare', namespace: 'default' },
    };
    await render(bare, { listClusters: async () => [] });
    expect(
      screen.getByText('This logging environment is not set up'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('annotation logging-environments.io/cluster is missing'),
    ).toBeInTheDocument();
  });

  it('shows the backend error when the clusters cannot be read', async () => {
    await render(environment, {
      listClusters: async () => {
        throw new Error('backend unreachable');
      },
    });
    expect(
      await screen.findByText('Error: backend unreachable'),
    ).toBeInTheDocument();
  });
});
