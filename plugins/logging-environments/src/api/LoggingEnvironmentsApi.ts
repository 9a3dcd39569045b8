import { createApiRef } from '@backstage/core-plugin-api';

/**
 * A cluster the backend can create environments on.
 *
 * @public
 */
export interface ClusterSummary {
  name: string;
  /** Base URL of the cluster's Argo CD UI, when configured. */
  argocdUrl?: string;
  /** Base URL of the cluster's web console, when configured. */
  consoleUrl?: string;
}

/**
 * Client of the Logging Environments backend.
 *
 * @public
 */
export interface LoggingEnvironmentsApi {
  /** The clusters the backend knows. */
  listClusters(): Promise<ClusterSummary[]>;
}

/**
 * ApiRef of {@link LoggingEnvironmentsApi}.
 *
 * @public
 */
export const loggingEnvironmentsApiRef = createApiRef<LoggingEnvironmentsApi>({
  id: 'plugin.logging-environments.service',
});
