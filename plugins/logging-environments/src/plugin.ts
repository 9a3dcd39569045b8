import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { LoggingEnvironmentsClient, loggingEnvironmentsApiRef } from './api';
import { rootRouteRef } from './routes';

/**
 * The Logging Environments frontend plugin.
 *
 * @public
 */
export const loggingEnvironmentsPlugin = createPlugin({
  id: 'logging-environments',
  apis: [
    createApiFactory({
      api: loggingEnvironmentsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new LoggingEnvironmentsClient(deps),
    }),
  ],
  routes: { root: rootRouteRef },
});

/**
 * The Logging tab of a logging-environment entity: phases, checklist,
 * approvals and sync waves.
 *
 * @public
 */
export const EntityLoggingEnvironmentContent =
  loggingEnvironmentsPlugin.provide(
    createRoutableExtension({
      name: 'EntityLoggingEnvironmentContent',
      component: () =>
        import('./components/EntityLoggingEnvironmentContent').then(
          m => m.EntityLoggingEnvironmentContent,
        ),
      mountPoint: rootRouteRef,
    }),
  );

/**
 * The logging-health card of a service: where its logs go and whether that
 * environment is healthy.
 *
 * @public
 */
export const EntityLoggingHealthCard = loggingEnvironmentsPlugin.provide(
  createComponentExtension({
    name: 'EntityLoggingHealthCard',
    component: {
      lazy: () =>
        import('./components/EntityLoggingHealthCard').then(
          m => m.EntityLoggingHealthCard,
        ),
    },
  }),
);
