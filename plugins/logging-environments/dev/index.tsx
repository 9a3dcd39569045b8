import { Content, Header, Page } from '@backstage/core-components';
import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
} from '@backstage/core-plugin-api';
import { createDevApp } from '@backstage/dev-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  PermissionApi,
  permissionApiRef,
} from '@backstage/plugin-permission-react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { TestApiProvider } from '@backstage/test-utils';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { ReactNode, useEffect, useState } from 'react';
import { Entity } from '@backstage/catalog-model';
import { loggingEnvironmentsApiRef, loggingEnvironmentsPlugin } from '../src';
import {
  environmentEntity,
  serviceEntity,
} from '../src/__fixtures__/environments';
import { EntityLoggingEnvironmentContent } from '../src/components/EntityLoggingEnvironmentContent';
import { EntityLoggingHealthCard } from '../src/components/EntityLoggingHealthCard';
import { DevSignalApi } from './DevSignalApi';
import {
  MockLoggingEnvironmentsApi,
  Scenario,
} from './MockLoggingEnvironmentsApi';

// The root app-config enables the permission framework, which has no
// backend here: everything is allowed, and the mock client's `can` says
// what the backend would refuse.
const allowAll: PermissionApi = {
  authorize: async () => ({ result: AuthorizeResult.ALLOW }),
};

/** Each page gets a fresh mock backend in its scenario, with signals. */
const ScenarioPage = ({
  scenario,
  title,
  subtitle,
  entity,
  children,
}: {
  scenario: Scenario;
  title: string;
  subtitle: string;
  entity: Entity;
  children: ReactNode;
}) => {
  const [{ api, signals }] = useState(() => {
    const s = new DevSignalApi();
    return { signals: s, api: new MockLoggingEnvironmentsApi(scenario, s) };
  });
  useEffect(() => () => api.dispose(), [api]);
  return (
    <TestApiProvider
      apis={[
        [loggingEnvironmentsApiRef, api],
        [signalApiRef, signals],
        [permissionApiRef, allowAll],
      ]}
    >
      <EntityProvider entity={entity}>
        <Page themeId="tool">
          <Header title={title} subtitle={subtitle} />
          <Content>{children}</Content>
        </Page>
      </EntityProvider>
    </TestApiProvider>
  );
};

const environmentPage = (
  scenario: Scenario,
  title: string,
  subtitle: string,
) => (
  <ScenarioPage
    scenario={scenario}
    title={title}
    subtitle={subtitle}
    entity={environmentEntity()}
  >
    <EntityLoggingEnvironmentContent />
  </ScenarioPage>
);

// Entity links need the catalog's entity route mounted somewhere.
const devCatalogPlugin = createPlugin({
  id: 'dev-catalog',
  routes: { entity: entityRouteRef },
});
const EntityPageStub = devCatalogPlugin.provide(
  createRoutableExtension({
    name: 'EntityPageStub',
    mountPoint: entityRouteRef,
    component: async () => () =>
      (
        <Page themeId="tool">
          <Header
            title="Entity page"
            subtitle="The catalog is not part of the dev app"
          />
          <Content>
            <Typography>The catalog's entity page would be here.</Typography>
          </Content>
        </Page>
      ),
  }),
);

createDevApp()
  .registerPlugin(loggingEnvironmentsPlugin)
  .registerApi(createApiFactory(permissionApiRef, allowAll))
  .addPage({
    path: '/awaiting-approval',
    title: 'Awaiting approval',
    element: environmentPage(
      'awaiting-approval',
      'Awaiting approval (requester)',
      'The requester sees why they cannot approve',
    ),
  })
  .addPage({
    path: '/approve-and-sync',
    title: 'Approve and sync',
    element: environmentPage(
      'approver',
      'Approve and sync (approver)',
      'Approve, sync now, then watch the waves roll out live',
    ),
  })
  .addPage({
    path: '/progressing',
    title: 'Progressing',
    element: environmentPage(
      'progressing',
      'Progressing',
      'A sync in progress',
    ),
  })
  .addPage({
    path: '/healthy',
    title: 'Healthy',
    element: environmentPage(
      'healthy',
      'Healthy',
      'Synced, every wave healthy',
    ),
  })
  .addPage({
    path: '/degraded',
    title: 'Degraded',
    element: environmentPage(
      'degraded',
      'Degraded',
      'The LokiStack wave failed',
    ),
  })
  .addPage({
    path: '/blocked',
    title: 'Blocked',
    element: environmentPage(
      'blocked',
      'Blocked',
      'A sync window blocks the sync',
    ),
  })
  .addPage({
    path: '/service',
    title: 'Service card',
    element: (
      <ScenarioPage
        scenario="healthy"
        title="Service card"
        subtitle="The logging health of the checkout service"
        entity={serviceEntity()}
      >
        <Grid container spacing={3}>
          <Grid item xs={12} md={6}>
            <EntityLoggingHealthCard />
          </Grid>
        </Grid>
      </ScenarioPage>
    ),
  })
  .addPage({
    path: '/service-degraded',
    title: 'Service (degraded)',
    element: (
      <ScenarioPage
        scenario="degraded"
        title="Service card, degraded"
        subtitle="The environment's LokiStack is degraded"
        entity={serviceEntity()}
      >
        <Grid container spacing={3}>
          <Grid item xs={12} md={6}>
            <EntityLoggingHealthCard />
          </Grid>
        </Grid>
      </ScenarioPage>
    ),
  })
  .addPage({
    path: '/not-registered',
    title: 'Not registered',
    element: (
      <ScenarioPage
        scenario="unregistered"
        title="Not registered"
        subtitle="A catalog entity of type logging-environment without a trusted record"
        entity={{
          ...environmentEntity('development'),
          metadata: { name: 'c1-dev', namespace: 'default' },
        }}
      >
        <EntityLoggingEnvironmentContent />
      </ScenarioPage>
    ),
  })
  .addPage({
    path: '/does-not-match',
    title: 'Does not match',
    element: (
      <ScenarioPage
        scenario="mismatch"
        title="Does not match its record"
        subtitle="An environment entity whose annotations were edited"
        entity={environmentEntity('development')}
      >
        <EntityLoggingEnvironmentContent />
      </ScenarioPage>
    ),
  })
  .addPage({
    path: '/catalog/:namespace/:kind/:name',
    element: <EntityPageStub />,
  })
  .render();
