import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ServiceHealth } from '@internal/plugin-logging-environments-common';

/**
 * The logging health of a service (a catalog entity that names its logging
 * environment), for the service's health card.
 *
 * @public
 */
export interface ServiceHealthService {
  /**
   * The health of the service's logging, read from the catalog (with the
   * caller's credentials) and the wave status cache (no request to the
   * cluster). NotFoundError for an unknown service or environment.
   */
  health(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<ServiceHealth>;
}
