import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  createLoggingEnvironmentConditionalDecision,
  loggingEnvironmentConditions,
} from '@internal/plugin-logging-environments-backend';
import {
  loggingEnvironmentApprovePermission,
  loggingEnvironmentSyncPermission,
} from '@internal/plugin-logging-environments-common';

/** Groups whose members may start a sync. */
const SYNC_GROUPS = new Set(['group:default/platform-approvers']);

function memberOfAny(user: PolicyQueryUser | undefined, groups: Set<string>) {
  return user?.info.ownershipEntityRefs.some(ref => groups.has(ref)) ?? false;
}

/**
 * The portal's permission policy: everything is allowed to signed-in users,
 * except that approving a logging environment needs membership of a group
 * that may approve that environment (a group of its tier's required
 * approvals, or one of its extra approver groups; a conditional decision the
 * logging-environments backend resolves against the environment), and
 * starting a sync needs membership of a sync group. Which role an approver
 * may fill, the four-eyes rule and the tier rules are enforced by the
 * logging-environments backend on top of this.
 */
export class LoggingEnvironmentsPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (isPermission(request.permission, loggingEnvironmentApprovePermission)) {
      if (!user) return { result: AuthorizeResult.DENY };
      return createLoggingEnvironmentConditionalDecision(
        request.permission,
        loggingEnvironmentConditions.isApproverForEnvironment({
          claims: user.info.ownershipEntityRefs,
        }),
      );
    }
    if (isPermission(request.permission, loggingEnvironmentSyncPermission)) {
      return {
        result: memberOfAny(user, SYNC_GROUPS)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** Installs {@link LoggingEnvironmentsPolicy} in the permission backend. */
export const permissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'logging-environments-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new LoggingEnvironmentsPolicy());
      },
    });
  },
});
