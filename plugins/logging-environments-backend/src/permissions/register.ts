import { PermissionsRegistryService } from '@backstage/backend-plugin-api';
import {
  ResourcePermission,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  LOGGING_ENVIRONMENT_RESOURCE_TYPE,
  loggingEnvironmentPermissions,
} from '@internal/plugin-logging-environments-common';
import { Environment, EnvironmentCatalog } from '../services/types';
import { loggingEnvironmentPermissionResourceRef } from './resource';
import { loggingEnvironmentPermissionRules } from './rules';

/**
 * Loads environments by entity ref, in the order asked, with `undefined`
 * for a ref that names no environment.
 *
 * @public
 */
export type LoggingEnvironmentLoader = (
  entityRefs: string[],
) => Promise<Array<Environment | undefined>>;

/**
 * Registers the logging-environment resource type with the plugin's
 * permissions registry: the permissions, the conditional rules, and how the
 * permission backend loads an environment to apply conditions to it.
 *
 * @remarks
 * Call it from the plugin's `init` instead of
 * `permissionsRegistry.addPermissions(loggingEnvironmentPermissions)`.
 * Authorize with `resourceRef: environment.entityRef`: conditional
 * decisions need the resource, and the permission backend refuses resource
 * permissions without one for user requests.
 *
 * @public
 */
export function registerLoggingEnvironmentPermissions(options: {
  permissionsRegistry: PermissionsRegistryService;
  loadEnvironments: LoggingEnvironmentLoader;
}): void {
  options.permissionsRegistry.addResourceType({
    resourceRef: loggingEnvironmentPermissionResourceRef,
    permissions: loggingEnvironmentPermissions.filter(
      (p): p is ResourcePermission<typeof LOGGING_ENVIRONMENT_RESOURCE_TYPE> =>
        isResourcePermission(p, LOGGING_ENVIRONMENT_RESOURCE_TYPE),
    ),
    rules: Object.values(loggingEnvironmentPermissionRules),
    getResources: entityRefs => options.loadEnvironments(entityRefs),
  });
  // Creating and administering concern no single environment.
  options.permissionsRegistry.addPermissions(
    loggingEnvironmentPermissions.filter(p => p.type === 'basic'),
  );
}

/**
 * A {@link LoggingEnvironmentLoader} over the environments' trusted records:
 * conditions are applied to what the records say (owner, approver groups),
 * never to a catalog entity. Refs without a record load as `undefined`,
 * which every rule denies.
 *
 * @public
 */
export function createRecordEnvironmentLoader(options: {
  catalog: Pick<EnvironmentCatalog, 'byRefs'>;
}): LoggingEnvironmentLoader {
  return entityRefs => options.catalog.byRefs(entityRefs);
}
