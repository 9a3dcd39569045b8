/**
 * Extra approver groups, through DefaultEnvironmentRecordService.claim: only
 * for roles configuration marks extendable.
 */
import { ConfigReader } from '@backstage/config';
import { readTierPolicies } from '../environments/tierPolicies';
import {
  request,
  requester,
  setup,
} from './__testUtils__/recordServiceFixtures';

describe('approver groups', () => {
  it('go only to roles configuration marks extendable, never to production by default', async () => {
    const { service } = await setup();
    await expect(
      service.claim(
        { ...request, approverGroups: ['group:default/checkout-team'] },
        requester,
      ),
    ).rejects.toThrow(
      'approverGroups: the production tier has no approval role that accepts extra groups',
    );
    const staging = await service.claim(
      {
        ...request,
        name: 'acme-stg',
        tier: 'staging',
        cluster: 'prod-2',
        bucket: 'acme-stg-loki',
        approverGroups: ['checkout-team', 'group:default/checkout-team'],
      },
      requester,
    );
    expect(staging.record.extraApprovers).toEqual({
      'configuration-review': ['group:default/checkout-team'],
    });
    // A re-run cannot change them.
    await expect(
      service.claim(
        {
          ...request,
          name: 'acme-stg',
          tier: 'staging',
          cluster: 'prod-2',
          bucket: 'acme-stg-loki',
        },
        requester,
      ),
    ).rejects.toThrow(
      'approverGroups: acme-stg has the extra approver groups group:default/checkout-team; a bootstrap run cannot change them',
    );
  });

  it("never reach production's security review, even where configuration extends its approval", async () => {
    const { service } = await setup({
      loggingEnvironments: {
        tiers: {
          production: {
            requiredApprovals: [
              {
                role: 'security-review',
                group: 'group:default/security-reviewers',
              },
              {
                role: 'approval',
                group: 'group:default/platform-approvers',
                extendable: true,
              },
            ],
          },
        },
      },
    });
    const { record } = await service.claim(
      { ...request, approverGroups: ['group:default/sre'] },
      requester,
    );
    expect(record.extraApprovers).toEqual({
      approval: ['group:default/sre'],
    });
    expect(() =>
      readTierPolicies(
        new ConfigReader({
          loggingEnvironments: {
            tiers: {
              production: {
                requiredApprovals: [
                  {
                    role: 'security-review',
                    group: 'group:default/security-reviewers',
                    extendable: true,
                  },
                ],
              },
            },
          },
        }),
      ),
    ).toThrow(
      'loggingEnvironments.tiers.production.requiredApprovals[0].extendable: the production security review ("security-review") is never extendable',
    );
  });
});
