import { ConfigReader } from '@backstage/config';
import { DEFAULT_TIER_POLICIES } from '@internal/plugin-logging-environments-common';
import { readTierPolicies } from './tierPolicies';

const read = (tiers: Record<string, any>) =>
  readTierPolicies(new ConfigReader({ loggingEnvironments: { tiers } }));

describe('readTierPolicies', () => {
  it('returns the defaults without configuration', () => {
    expect(readTierPolicies(new ConfigReader({}))).toEqual(
      DEFAULT_TIER_POLICIES,
    );
  });

  it('overrides only the keys given, and copies the defaults', () => {
    const policies = read({
      staging: {
        requiredApprovals: [
          { role: 'config-review', title: 'Config review', group: 'sre' },
          { role: 'owner-ok', group: 'group:team/owners' },
        ],
        rollbackOnFailure: false,
      },
    });
    expect(policies.staging).toEqual({
      ...DEFAULT_TIER_POLICIES.staging,
      requiredApprovals: [
        {
          role: 'config-review',
          title: 'Config review',
          group: 'group:default/sre',
        },
        { role: 'owner-ok', title: 'owner-ok', group: 'group:team/owners' },
      ],
      rollbackOnFailure: false,
    });
    expect(policies.production).toEqual(DEFAULT_TIER_POLICIES.production);
    policies.production.requiredApprovals.push({
      role: 'x',
      title: 'x',
      group: 'group:default/x',
    });
    expect(DEFAULT_TIER_POLICIES.production.requiredApprovals).toHaveLength(2);
  });

  it('lets production be tightened', () => {
    const policies = read({
      production: {
        requiredApprovals: [
          { role: 'security-review', group: 'group:default/sec' },
          { role: 'approval', group: 'group:default/platform-approvers' },
          { role: 'change-board', group: 'group:default/cab' },
        ],
      },
    });
    expect(policies.production.requiredApprovals.map(a => a.role)).toEqual([
      'security-review',
      'approval',
      'change-board',
    ]);
  });

  it.each([
    [{ qa: {} }, 'loggingEnvironments.tiers.qa: unknown tier "qa"'],
    [
      { staging: { syncMode: 'sometimes' } },
      'loggingEnvironments.tiers.staging.syncMode: must be "automatic" or "manual", not "sometimes"',
    ],
    [
      {
        staging: {
          requiredApprovals: [{ role: 'a', group: 'user:default/bob' }],
        },
      },
      'loggingEnvironments.tiers.staging.requiredApprovals[0].group: "user:default/bob" is a user, not a Group',
    ],
    [
      {
        staging: {
          requiredApprovals: [
            { role: 'a', group: 'x' },
            { role: 'a', group: 'y' },
          ],
        },
      },
      'loggingEnvironments.tiers.staging.requiredApprovals[1].role: "a" is listed twice',
    ],
    [
      { staging: { requiredApprovals: [{ role: 'Bad Role', group: 'x' }] } },
      'requiredApprovals[0].role: must be lowercase letters, digits and "-", not "Bad Role"',
    ],
    [
      { production: { requesterMayApprove: true } },
      'loggingEnvironments.tiers.production.requesterMayApprove: the requester never approves a production environment',
    ],
    [
      { production: { syncMode: 'automatic' } },
      'loggingEnvironments.tiers.production.syncMode: production is synced only on request ("manual")',
    ],
    [
      { production: { requiredApprovals: [] } },
      'loggingEnvironments.tiers.production.requiredApprovals: production needs at least one approval',
    ],
  ])('refuses %j', (tiers, message) => {
    expect(() => read(tiers)).toThrow(message);
  });
});
