import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  PolicyDecision,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  PolicyQueryUser,
  createConditionAuthorizer,
} from '@backstage/plugin-permission-node';
import {
  isApproverForEnvironment,
  isEnvironmentOwner,
} from '@internal/plugin-logging-environments-backend';
import { actionExecutePermission } from '@backstage/plugin-scaffolder-common/alpha';
import {
  DEFAULT_TIER_POLICIES,
  loggingEnvironmentApprovePermission,
  loggingEnvironmentCreatePermission,
  loggingEnvironmentReadPermission,
  loggingEnvironmentSyncPermission,
} from '@internal/plugin-logging-environments-common';
import { LOGGING_ACTIONS, LoggingEnvironmentsPolicy } from './permissionPolicy';

function user(name: string, groups: string[]): PolicyQueryUser {
  const userEntityRef = `user:default/${name}`;
  return {
    identity: {
      type: 'user',
      userEntityRef,
      ownershipEntityRefs: [userEntityRef, ...groups],
    },
    info: { userEntityRef, ownershipEntityRefs: [userEntityRef, ...groups] },
    token: 'token',
    credentials: {} as PolicyQueryUser['credentials'],
  } as PolicyQueryUser;
}

const approver = user('approver', ['group:default/platform-approvers']);
const security = user('security-reviewer', [
  'group:default/security-reviewers',
]);
const viewer = user('viewer', ['group:default/checkout-team']);
const requester = user('requester', ['group:default/platform-team']);
const admin = user('admin', [
  'group:default/platform-team',
  'group:default/platform-admins',
]);

describe('LoggingEnvironmentsPolicy', () => {
  const policy = new LoggingEnvironmentsPolicy({
    administrators: ['group:default/platform-admins'],
  });
  const decide = async (permission: any, u?: PolicyQueryUser) =>
    (await policy.handle({ permission }, u)).result;

  // What the logging-environments backend does with a conditional decision:
  // load the environment and apply the rules to it.
  const rules = [isApproverForEnvironment, isEnvironmentOwner];
  const authorizer = createConditionAuthorizer({
    getRuleByName: (name: string) => {
      const rule = rules.find(r => r.name === name);
      if (!rule) throw new Error(`unknown rule ${name}`);
      return rule as any;
    },
  });
  type Environment = Parameters<typeof isApproverForEnvironment.apply>[0];
  const environment = (
    tier: keyof typeof DEFAULT_TIER_POLICIES,
    approverGroups: string[] = [],
  ) =>
    ({
      entityRef: `resource:default/${tier}-logs`,
      name: `${tier}-logs`,
      tier,
      cluster: 'sandbox',
      namespace: 'openshift-logging',
      argocdNamespace: 'openshift-gitops',
      applications: { infrastructure: 'infra', forwarder: 'forwarder' },
      policy: DEFAULT_TIER_POLICIES[tier],
      // The bootstrap named these groups for every role of the tier.
      extraApprovers: Object.fromEntries(
        DEFAULT_TIER_POLICIES[tier].requiredApprovals.map(r => [
          r.role,
          approverGroups,
        ]),
      ),
    } as unknown as Environment);
  const mayApprove = async (env: Environment, u: PolicyQueryUser | undefined) =>
    authorizer(
      await policy.handle(
        { permission: loggingEnvironmentApprovePermission },
        u,
      ),
      env,
    );

  it('answers approval with a condition on the environment, not a fixed group list', async () => {
    const decision: PolicyDecision = await policy.handle(
      { permission: loggingEnvironmentApprovePermission },
      approver,
    );
    expect(decision).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'logging-environments',
      resourceType: 'logging-environment',
      conditions: {
        rule: 'IS_APPROVER_FOR_ENVIRONMENT',
        resourceType: 'logging-environment',
        params: { claims: approver.info.ownershipEntityRefs },
      },
    } satisfies ConditionalPolicyDecision);
  });

  it('lets members of a group the tier names approve, and nobody else', async () => {
    const production = environment('production');
    expect(await mayApprove(production, approver)).toBe(true);
    expect(await mayApprove(production, security)).toBe(true);
    expect(await mayApprove(production, viewer)).toBe(false);
    // Staging asks only the platform approvers.
    expect(await mayApprove(environment('staging'), security)).toBe(false);
    expect(await mayApprove(environment('staging'), approver)).toBe(true);
  });

  it("lets an environment's extra approver groups approve only where configuration allows it", async () => {
    // Staging's configuration review takes extra groups by default.
    expect(
      await mayApprove(
        environment('staging', ['group:default/checkout-team']),
        viewer,
      ),
    ).toBe(true);
    expect(await mayApprove(environment('staging'), viewer)).toBe(false);
    // Production's roles never do by default: the requester's choice of
    // groups is not who reviews production.
    expect(
      await mayApprove(
        environment('production', ['group:default/checkout-team']),
        viewer,
      ),
    ).toBe(false);
  });

  it('denies approval to callers who are not signed in', async () => {
    expect(await decide(loggingEnvironmentApprovePermission, undefined)).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('lets only platform approvers start a sync', async () => {
    expect(await decide(loggingEnvironmentSyncPermission, approver)).toBe(
      AuthorizeResult.ALLOW,
    );
    expect(await decide(loggingEnvironmentSyncPermission, security)).toBe(
      AuthorizeResult.DENY,
    );
    expect(await decide(loggingEnvironmentSyncPermission, viewer)).toBe(
      AuthorizeResult.DENY,
    );
    expect(await decide(loggingEnvironmentSyncPermission, undefined)).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('lets everyone read environments and use the rest of the portal', async () => {
    expect(await decide(loggingEnvironmentReadPermission, viewer)).toBe(
      AuthorizeResult.ALLOW,
    );
    const other = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
    });
    expect(await decide(other, viewer)).toBe(AuthorizeResult.ALLOW);
  });

  describe('the logging:* scaffolder actions', () => {
    const actionDecision = (u?: PolicyQueryUser) =>
      policy.handle({ permission: actionExecutePermission }, u);
    const named = (criteria: any): any =>
      criteria.rule
        ? `${criteria.rule}(${Object.values(criteria.params).join(',')})`
        : Object.fromEntries(
            Object.entries(criteria).map(([k, v]: [string, any]) => [
              k,
              Array.isArray(v) ? v.map(named) : named(v),
            ]),
          );

    it('lets only the platform team run them, and create environments', async () => {
      const decision = await actionDecision(viewer);
      expect(decision.result).toBe(AuthorizeResult.CONDITIONAL);
      expect(named((decision as ConditionalPolicyDecision).conditions)).toEqual(
        { not: { anyOf: LOGGING_ACTIONS.map(a => `HAS_ACTION_ID(${a})`) } },
      );
      expect((await actionDecision(undefined)).result).toBe(
        AuthorizeResult.DENY,
      );
      expect(await decide(loggingEnvironmentCreatePermission, requester)).toBe(
        AuthorizeResult.ALLOW,
      );
      expect(await decide(loggingEnvironmentCreatePermission, viewer)).toBe(
        AuthorizeResult.DENY,
      );
    });

    it('leaves rotations to administrators', async () => {
      const decision = await actionDecision(requester);
      expect(named((decision as ConditionalPolicyDecision).conditions)).toEqual(
        {
          not: {
            anyOf: [
              {
                allOf: [
                  'HAS_ACTION_ID(logging:cluster-credentials:apply)',
                  'HAS_BOOLEAN_PROPERTY(rotate,true)',
                ],
              },
              {
                allOf: [
                  'HAS_ACTION_ID(logging:secret-store:ensure)',
                  'HAS_BOOLEAN_PROPERTY(rotate,true)',
                ],
              },
              {
                allOf: [
                  'HAS_ACTION_ID(logging:iam:ensure)',
                  'HAS_BOOLEAN_PROPERTY(rotateAccessKey,true)',
                ],
              },
            ],
          },
        },
      );
      expect((await actionDecision(admin)).result).toBe(AuthorizeResult.ALLOW);
    });
  });
});
