import { Entity } from '@backstage/catalog-model';
import { LOGGING_ENVIRONMENT_ENTITY_TYPE } from './annotations';

/**
 * Whether the entity is a logging environment's catalog entity (a Resource
 * of type `logging-environment`), whatever its annotations. It is a view of
 * the environment's trusted record in the backend, never the environment
 * itself.
 *
 * @public
 */
export function isLoggingEnvironmentEntity(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    (entity.spec as { type?: unknown } | undefined)?.type ===
      LOGGING_ENVIRONMENT_ENTITY_TYPE
  );
}
