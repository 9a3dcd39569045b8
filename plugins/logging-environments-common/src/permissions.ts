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
 * Create a new logging environment: claim its name and cluster in the
 * backend's trusted records (the bootstrap's first step). Re-running the
 * bootstrap of an existing environment is decided by the record (its
 * requester, its owner group or an administrator), not by this permission.
 *
 * @public
 */
export const loggingEnvironmentCreatePermission = createPermission({
  name: 'logging.environment.create',
  attributes: { action: 'create' },
});

/**
 * Administer logging environments: change a record's tier, owner or
 * requester, adopt an environment that has no record, or release an
 * abandoned claim. Needed on top of membership of a configured
 * administrator group (`loggingEnvironments.administrators`).
 *
 * @public
 */
export const loggingEnvironmentAdministerPermission = createPermission({
  name: 'logging.environment.administer',
  attributes: { action: 'update' },
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
  loggingEnvironmentCreatePermission,
  loggingEnvironmentAdministerPermission,
];
