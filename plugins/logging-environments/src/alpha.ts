import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { compatWrapper } from '@backstage/core-compat-api';
import { ENVIRONMENT_PAGE_TAB } from '@internal/plugin-logging-environments-common';
import { createElement } from 'react';
import { LoggingEnvironmentsClient, loggingEnvironmentsApiRef } from './api';
import {
  isLoggingEnvironmentAvailable,
  isLoggingHealthAvailable,
} from './conditions';

/** @alpha */
export const loggingEnvironmentsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: loggingEnvironmentsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new LoggingEnvironmentsClient(deps),
    }),
});

/** @alpha */
export const entityLoggingEnvironmentContent = EntityContentBlueprint.make({
  name: 'environment',
  params: {
    path: ENVIRONMENT_PAGE_TAB,
    title: 'Logging',
    filter: isLoggingEnvironmentAvailable,
    loader: () =>
      import('./components/EntityLoggingEnvironmentContent').then(m =>
        compatWrapper(createElement(m.EntityLoggingEnvironmentContent)),
      ),
  },
});

/** @alpha */
export const entityLoggingHealthCard = EntityCardBlueprint.make({
  name: 'health',
  params: {
    filter: isLoggingHealthAvailable,
    loader: () =>
      import('./components/EntityLoggingHealthCard').then(m =>
        compatWrapper(createElement(m.EntityLoggingHealthCard)),
      ),
  },
});

/**
 * The Logging Environments plugin for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'logging-environments',
  extensions: [
    loggingEnvironmentsApi,
    entityLoggingEnvironmentContent,
    entityLoggingHealthCard,
  ],
});
