import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PermissionCondition,
  PermissionCriteria,
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
  createScaffolderActionConditionalDecision,
  scaffolderActionConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import { actionExecutePermission } from '@backstage/plugin-scaffolder-common/alpha';
import {
  createLoggingEnvironmentConditionalDecision,
  loggingEnvironmentConditions,
} from '@internal/plugin-logging-environments-backend';
import {
  loggingEnvironmentApprovePermission,
  loggingEnvironmentCreatePermission,
  loggingEnvironmentSyncPermission,
} from '@internal/plugin-logging-environments-common';

/** Groups whose members may start a sync. */
const SYNC_GROUPS = ['group:default/platform-approvers'];

/**
 * Groups whose members may create logging environments and run the
 * `logging:*` scaffolder actions at all.
 */
const CREATOR_GROUPS = ['group:default/platform-team'];

/** The scaffolder actions of the Logging Environments bootstrap. */
export const LOGGING_ACTIONS = [
  'logging:environment:validate',
  'logging:environment:claim',
  'logging:gitops:publish',
  'logging:catalog:register',
  'logging:bucket:ensure',
  'logging:iam:ensure',
  'logging:secret:ensure',
  'logging:cluster-credentials:apply',
  'logging:secret-store:ensure',
  'logging:operators:ensure',
  'logging:argocd:register',
];

/** The inputs that replace credentials: rotations. */
const ROTATIONS: Array<{ actionId: string; key: string }> = [
  { actionId: 'logging:cluster-credentials:apply', key: 'rotate' },
  { actionId: 'logging:secret-store:ensure', key: 'rotate' },
  { actionId: 'logging:iam:ensure', key: 'rotateAccessKey' },
];

function memberOfAny(user: PolicyQueryUser | undefined, groups: string[]) {
  return (
    user?.info.ownershipEntityRefs.some(ref => groups.includes(ref)) ?? false
  );
}

const { hasActionId, hasBooleanProperty } = scaffolderActionConditions;
type ActionCriteria = PermissionCriteria<
  PermissionCondition<'scaffolder-action'>
>;

/** Any of the Logging Environments actions. */
const anyLoggingAction = (): ActionCriteria => ({
  anyOf: LOGGING_ACTIONS.map(actionId =>
    hasActionId({ actionId }),
  ) as unknown as [ActionCriteria, ...ActionCriteria[]],
});

/** Any of the actions with its rotation input set. */
const anyRotation = (): ActionCriteria => ({
  anyOf: ROTATIONS.map(({ actionId, key }) => ({
    allOf: [
      hasActionId({ actionId }),
      hasBooleanProperty({ key, value: true }),
    ],
  })) as unknown as [ActionCriteria, ...ActionCriteria[]],
});

/**
 * The portal's permission policy. Signed-in users may use the portal, with
 * these exceptions:
 *
 * - approving a logging environment needs membership of a group that may
 *   approve that environment (a conditional decision the
 *   logging-environments backend resolves against the environment's
 *   record); which role, four-eyes and the tier rules are the backend's;
 * - starting a sync needs membership of a sync group;
 * - creating an environment, and running any `logging:*` scaffolder action,
 *   needs membership of a creator group (platform-team);
 * - a rotation (an action input that replaces credentials) needs an
 *   administrator (`loggingEnvironments.administrators`).
 *
 * The backend and the actions check the environment's record themselves
 * whatever this policy says: it narrows who may try, it is never what
 * keeps the gate.
 */
export class LoggingEnvironmentsPolicy implements PermissionPolicy {
  constructor(
    private readonly options: { administrators: string[] } = {
      administrators: [],
    },
  ) {}

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
    if (isPermission(request.permission, loggingEnvironmentCreatePermission)) {
      return {
        result: memberOfAny(user, CREATOR_GROUPS)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    if (isPermission(request.permission, actionExecutePermission)) {
      if (!user) return { result: AuthorizeResult.DENY };
      if (!memberOfAny(user, CREATOR_GROUPS)) {
        return createScaffolderActionConditionalDecision(request.permission, {
          not: anyLoggingAction(),
        });
      }
      if (!memberOfAny(user, this.options.administrators)) {
        return createScaffolderActionConditionalDecision(request.permission, {
          not: anyRotation(),
        });
      }
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
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(
          new LoggingEnvironmentsPolicy({
            administrators:
              config.getOptionalStringArray(
                'loggingEnvironments.administrators',
              ) ?? [],
          }),
        );
      },
    });
  },
});
