import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { LOGGING_ENVIRONMENT_RESOURCE_TYPE } from '@internal/plugin-logging-environments-common';
import { Environment } from '../services/types';

/**
 * A filter over logging environments, what the permission rules translate
 * to: an environment matches when one of `values` is among its approver
 * groups (`approver-group`) or is its owner (`owner`). Entity refs compare
 * case-insensitively, with `group:default/` assumed for short refs.
 *
 * @public
 */
export type LoggingEnvironmentQuery = {
  key: 'approver-group' | 'owner';
  values: string[];
};

/**
 * The permission resource of the logging-environment permissions: the
 * environment, loaded by its entity ref.
 *
 * @public
 */
export const loggingEnvironmentPermissionResourceRef =
  createPermissionResourceRef<Environment, LoggingEnvironmentQuery>().with({
    pluginId: 'logging-environments',
    resourceType: LOGGING_ENVIRONMENT_RESOURCE_TYPE,
  });
