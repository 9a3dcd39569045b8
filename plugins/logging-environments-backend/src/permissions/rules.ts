import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  createPermissionRule,
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import { z } from 'zod';
import {
  approverGroupsOf,
  memberOfAny,
  normalizeRef,
} from '../services/approvals/gate';
import { Environment } from '../services/types';
import {
  LoggingEnvironmentQuery,
  loggingEnvironmentPermissionResourceRef,
} from './resource';

const claimsSchema = z.object({
  claims: z
    .array(z.string())
    .describe(
      "The caller's ownership entity refs (user and groups); the policy passes user.info.ownershipEntityRefs",
    ),
});

function matchesApproverGroup(environment: Environment, claims: string[]) {
  return memberOfAny(claims, approverGroupsOf(environment));
}

function matchesOwner(environment: Environment, claims: string[]) {
  if (!environment.owner) return false;
  const owner = normalizeRef(environment.owner, 'group');
  return claims.some(c => normalizeRef(c, 'group') === owner);
}

/**
 * Allows callers who are members of a group that some role of the
 * environment's tier names, or of one of the environment's extra approver
 * groups. Which role they may fill, and the four-eyes rules, are the
 * approval service's business.
 *
 * @public
 */
export const isApproverForEnvironment = createPermissionRule({
  name: 'IS_APPROVER_FOR_ENVIRONMENT',
  description:
    "Allow callers in a group that may approve the environment (a group of its tier's required approvals or one of its extra approver groups)",
  resourceRef: loggingEnvironmentPermissionResourceRef,
  paramsSchema: claimsSchema,
  apply: (environment, { claims }) => matchesApproverGroup(environment, claims),
  toQuery: ({ claims }) => ({ key: 'approver-group', values: claims }),
});

/**
 * Allows callers who own the environment entity (its `spec.owner` is among
 * their claims).
 *
 * @public
 */
export const isEnvironmentOwner = createPermissionRule({
  name: 'IS_ENVIRONMENT_OWNER',
  description: 'Allow callers who own the environment entity',
  resourceRef: loggingEnvironmentPermissionResourceRef,
  paramsSchema: claimsSchema,
  apply: (environment, { claims }) => matchesOwner(environment, claims),
  toQuery: ({ claims }) => ({ key: 'owner', values: claims }),
});

/**
 * Every permission rule of the logging-environment resource type.
 *
 * @public
 */
export const loggingEnvironmentPermissionRules = {
  isApproverForEnvironment,
  isEnvironmentOwner,
};

/**
 * Evaluates what the rules' `toQuery` produced against an environment
 * already loaded, for filtering lists of environments in memory.
 *
 * @public
 */
export function matchesLoggingEnvironmentQuery(
  environment: Environment,
  criteria: PermissionCriteria<LoggingEnvironmentQuery>,
): boolean {
  if (isAndCriteria(criteria)) {
    return criteria.allOf.every(c =>
      matchesLoggingEnvironmentQuery(environment, c),
    );
  }
  if (isOrCriteria(criteria)) {
    return criteria.anyOf.some(c =>
      matchesLoggingEnvironmentQuery(environment, c),
    );
  }
  if (isNotCriteria(criteria)) {
    return !matchesLoggingEnvironmentQuery(environment, criteria.not);
  }
  return criteria.key === 'approver-group'
    ? matchesApproverGroup(environment, criteria.values)
    : matchesOwner(environment, criteria.values);
}
