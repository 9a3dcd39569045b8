import { createConditionExports } from '@backstage/plugin-permission-node';
import { loggingEnvironmentPermissionResourceRef } from './resource';
import { loggingEnvironmentPermissionRules } from './rules';

const { conditions, createConditionalDecision } = createConditionExports({
  resourceRef: loggingEnvironmentPermissionResourceRef,
  rules: loggingEnvironmentPermissionRules,
});

/**
 * Condition factories for permission policies, one per rule:
 * `isApproverForEnvironment({ claims })` and `isEnvironmentOwner({ claims })`,
 * where `claims` are the user's ownership entity refs.
 *
 * @public
 */
export const loggingEnvironmentConditions = conditions;

/**
 * Wraps logging-environment conditions into a conditional policy decision.
 *
 * @example
 * ```ts
 * createLoggingEnvironmentConditionalDecision(
 *   request.permission,
 *   loggingEnvironmentConditions.isApproverForEnvironment({
 *     claims: user.info.ownershipEntityRefs,
 *   }),
 * );
 * ```
 *
 * @public
 */
export const createLoggingEnvironmentConditionalDecision =
  createConditionalDecision;
