import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Resource type of the logging-environment permissions; the resource ref is
 * the environment's entity ref.
 *
 * @public
 */
export const LOGGING_ENVIRONMENT_RESOURCE_TYPE = 'logging-environment';

/**
 * See an environment: its checklist, approvals, sync runs, waves and history.
 *
 * @public
 */
export const loggingEnvironmentReadPermission = createPermission({
  name: 'logging.environment.read',
  attributes: { action: 'read' },
  resourceType: LOGGING_ENVIRONMENT_RESOURCE_TYPE,
});

/**
 * Approve or reject an environment in phase 2. The tier's four-eyes rules
 * apply on top of this permission.
 *
 * @public
 */
export const loggingEnvironmentApprovePermission = createPermission({
  name: 'logging.environment.approve',
  attributes: { action: 'update' },
  resourceType: LOGGING_ENVIRONMENT_RESOURCE_TYPE,
});

/**
 * Start the phase-3 GitOps sync of an environment (and run its checklist).
 *
 * @public
 */
export const loggingEnvironmentSyncPermission = createPermission({
  name: 'logging.environment.sync',
  attributes: { action: 'update' },
  resourceType: LOGGING_ENVIRONMENT_RESOURCE_TYPE,
});

/**
 * Every permission of the Logging Environments plugins.
 *
 * @public
 */
export const loggingEnvironmentPermissions = [
  loggingEnvironmentReadPermission,
  loggingEnvironmentApprovePermission,
  loggingEnvironmentSyncPermission,
];
