import { Entity } from '@backstage/catalog-model';
import {
  LOGGING_ANNOTATIONS,
  isLoggingEnvironmentEntity,
} from '@internal/plugin-logging-environments-common';

/**
 * Whether the entity is a logging environment, so the Logging tab belongs
 * on its page. True even when its annotations are incomplete: the tab then
 * explains how to complete them.
 *
 * @public
 */
export function isLoggingEnvironmentAvailable(entity: Entity): boolean {
  return isLoggingEnvironmentEntity(entity);
}

/**
 * Whether the entity (a service) names the logging environment its logs go
 * to, so the logging-health card belongs on its page.
 *
 * @public
 */
export function isLoggingHealthAvailable(entity: Entity): boolean {
  return Boolean(
    entity.metadata.annotations?.[LOGGING_ANNOTATIONS.environment],
  );
}
