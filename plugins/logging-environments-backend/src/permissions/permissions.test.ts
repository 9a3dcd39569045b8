import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  DEFAULT_TIER_POLICIES,
  loggingEnvironmentApprovePermission,
  loggingEnvironmentPermissions,
} from '@internal/plugin-logging-environments-common';
import request from 'supertest';
import { environment } from '../services/approvals/__testUtils__/fakes';
import { Environment } from '../services/types';
import {
  createLoggingEnvironmentConditionalDecision,
  isApproverForEnvironment,
  isEnvironmentOwner,
  loggingEnvironmentConditions,
  LoggingEnvironmentQuery,
  matchesLoggingEnvironmentQuery,
  registerLoggingEnvironmentPermissions,
} from '.';

// Configuration lets extra groups give production's approval (never its
// security review); the environment's bootstrap named one for both roles.
const production = environment('production', {
  policy: {
    ...DEFAULT_TIER_POLICIES.production,
    requiredApprovals: DEFAULT_TIER_POLICIES.production.requiredApprovals.map(
      r => (r.role === 'approval' ? { ...r, extendable: true } : r),
    ),
  },
  extraApprovers: {
    approval: ['group:default/sre'],
    'security-review': ['group:default/auditors'],
  },
});
const development = environment('development');

describe('isApproverForEnvironment', () => {
  it("applies to members of a group of the tier's roles or of the extra groups", () => {
    const apply = (claims: string[], env: Environment = production) =>
      isApproverForEnvironment.apply(env, { claims });
    expect(
      apply(['user:default/sam', 'group:default/security-reviewers']),
    ).toBe(true);
    expect(apply(['group:default/platform-approvers'])).toBe(true);
    expect(apply(['group:default/sre'])).toBe(true);
    // Short and differently cased refs name the same group.
    expect(apply(['group:default/SRE'])).toBe(true);
    expect(apply(['user:default/victor', 'group:default/checkout-team'])).toBe(
      false,
    );
    expect(apply([])).toBe(false);
    // A group named for a role configuration keeps closed (production's
    // security review) gives nothing.
    expect(apply(['group:default/auditors'])).toBe(false);
    // Development asks nobody.
    expect(apply(['group:default/platform-approvers'], development)).toBe(
      false,
    );
  });

  it('translates to an approver-group query that matches like apply', () => {
    const claims = ['group:default/platform-approvers'];
    const query = isApproverForEnvironment.toQuery({ claims });
    expect(query).toEqual({ key: 'approver-group', values: claims });
    for (const env of [production, development]) {
      expect(matchesLoggingEnvironmentQuery(env, query)).toBe(
        isApproverForEnvironment.apply(env, { claims }),
      );
    }
  });
});

describe('isEnvironmentOwner', () => {
  it('applies to the owner of the environment entity', () => {
    expect(
      isEnvironmentOwner.apply(production, {
        claims: ['user:default/tom', 'group:default/checkout-team'],
      }),
    ).toBe(true);
    expect(
      isEnvironmentOwner.apply(
        environment('staging', { owner: 'checkout-team' }),
        {
          claims: ['group:default/checkout-team'],
        },
      ),
    ).toBe(true);
    expect(
      isEnvironmentOwner.apply(production, {
        claims: ['group:default/platform-approvers'],
      }),
    ).toBe(false);
    expect(
      isEnvironmentOwner.apply(environment('staging', { owner: undefined }), {
        claims: ['group:default/checkout-team'],
      }),
    ).toBe(false);
  });

  it('translates to an owner query; criteria combine', () => {
    const claims = ['group:default/checkout-team'];
    expect(isEnvironmentOwner.toQuery({ claims })).toEqual({
      key: 'owner',
      values: claims,
    });
    const both: PermissionCriteria<LoggingEnvironmentQuery> = {
      allOf: [
        isEnvironmentOwner.toQuery({ claims }),
        { not: isApproverForEnvironment.toQuery({ claims }) },
      ],
    };
    expect(matchesLoggingEnvironmentQuery(production, both)).toBe(true);
    expect(
      matchesLoggingEnvironmentQuery(production, {
        anyOf: [
          isApproverForEnvironment.toQuery({ claims }),
          isEnvironmentOwner.toQuery({ claims: ['group:default/other'] }),
        ],
      }),
    ).toBe(false);
  });
});

describe('loggingEnvironmentConditions', () => {
  it('builds conditional decisions for policies', () => {
    expect(
      createLoggingEnvironmentConditionalDecision(
        loggingEnvironmentApprovePermission,
        loggingEnvironmentConditions.isEnvironmentOwner({
          claims: ['group:default/checkout-team'],
        }),
      ),
    ).toEqual({
      result: 'CONDITIONAL',
      pluginId: 'logging-environments',
      resourceType: 'logging-environment',
      conditions: {
        rule: 'IS_ENVIRONMENT_OWNER',
        resourceType: 'logging-environment',
        params: { claims: ['group:default/checkout-team'] },
      },
    });
  });
});

describe('registerLoggingEnvironmentPermissions', () => {
  it('registers the resource type, so the permission backend can apply conditions', async () => {
    const loadEnvironments = jest.fn(async (refs: string[]) =>
      refs.map(ref => (ref === production.entityRef ? production : undefined)),
    );
    const testPlugin = createBackendPlugin({
      pluginId: 'logging-environments',
      register(env) {
        env.registerInit({
          deps: { permissionsRegistry: coreServices.permissionsRegistry },
          async init({ permissionsRegistry }) {
            registerLoggingEnvironmentPermissions({
              permissionsRegistry,
              loadEnvironments,
            });
          },
        });
      },
    });
    const { server } = await startTestBackend({ features: [testPlugin] });
    const base = '/api/logging-environments/.well-known/backstage/permissions';

    const metadata = await request(server)
      .get(`${base}/metadata`)
      .set('authorization', mockCredentials.service.header());
    expect(metadata.status).toBe(200);
    expect(
      metadata.body.permissions.map((p: { name: string }) => p.name),
    ).toEqual(loggingEnvironmentPermissions.map(p => p.name));
    expect(metadata.body.rules).toEqual([
      expect.objectContaining({
        name: 'IS_APPROVER_FOR_ENVIRONMENT',
        resourceType: 'logging-environment',
        paramsSchema: expect.objectContaining({
          type: 'object',
          required: ['claims'],
        }),
      }),
      expect.objectContaining({ name: 'IS_ENVIRONMENT_OWNER' }),
    ]);

    const condition = {
      rule: 'IS_APPROVER_FOR_ENVIRONMENT',
      resourceType: 'logging-environment',
      params: { claims: ['group:default/security-reviewers'] },
    };
    const applied = await request(server)
      .post(`${base}/apply-conditions`)
      .set('authorization', mockCredentials.service.header())
      .send({
        items: [
          {
            id: '1',
            resourceRef: production.entityRef,
            resourceType: 'logging-environment',
            conditions: condition,
          },
          {
            id: '2',
            resourceRef: 'resource:default/gone',
            resourceType: 'logging-environment',
            conditions: condition,
          },
        ],
      });
    expect(applied.status).toBe(200);
    expect(applied.body.items).toEqual([
      { id: '1', result: 'ALLOW' },
      { id: '2', result: 'DENY' },
    ]);
    expect(loadEnvironments).toHaveBeenCalledWith([
      production.entityRef,
      'resource:default/gone',
    ]);
  });
});
