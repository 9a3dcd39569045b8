import {
  AuthService,
  PermissionsRegistryService,
} from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import { loggingEnvironmentPermissions } from '@internal/plugin-logging-environments-common';
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
    permissions: loggingEnvironmentPermissions,
    rules: Object.values(loggingEnvironmentPermissionRules),
    getResources: entityRefs => options.loadEnvironments(entityRefs),
  });
}

/**
 * A {@link LoggingEnvironmentLoader} over the environment catalog, reading
 * with the plugin's own service credentials (the permission backend asks on
 * no user's behalf). Unknown entities and entities that are not valid
 * environments load as `undefined`, which every rule denies.
 *
 * @public
 */
export function createCatalogEnvironmentLoader(options: {
  catalog: EnvironmentCatalog;
  auth: AuthService;
}): LoggingEnvironmentLoader {
  return async entityRefs => {
    const credentials = await options.auth.getOwnServiceCredentials();
    return Promise.all(
      entityRefs.map(async ref => {
        try {
          return await options.catalog.get(ref, credentials);
        } catch (error) {
          if (
            isError(error) &&
            (error.name === 'NotFoundError' || error.name === 'InputError')
          ) {
            return undefined;
          }
          throw error;
        }
      }),
    );
  };
}
