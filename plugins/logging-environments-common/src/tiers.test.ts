import { DEFAULT_TIER_POLICIES, describeTierPolicy, isTier } from './tiers';

describe('tier policies', () => {
  it('follow ADR-0009 by default', () => {
    expect(DEFAULT_TIER_POLICIES.development.requiredApprovals).toEqual([]);
    expect(DEFAULT_TIER_POLICIES.development.syncMode).toBe('automatic');
    expect(
      DEFAULT_TIER_POLICIES.staging.requiredApprovals.map(a => a.role),
    ).toEqual(['configuration-review']);
    expect(DEFAULT_TIER_POLICIES.staging.rollbackOnFailure).toBe(true);
    const prod = DEFAULT_TIER_POLICIES.production;
    expect(prod.requiredApprovals.map(a => a.role)).toEqual([
      'security-review',
      'approval',
    ]);
    expect(prod.requesterMayApprove).toBe(false);
    expect(prod.distinctApprovers).toBe(true);
    expect(prod.syncMode).toBe('manual');
  });

  it('are described in words', () => {
    expect(describeTierPolicy(DEFAULT_TIER_POLICIES.production)).toBe(
      'Production: security review + approval by two people other than the requester; manual sync',
    );
    expect(describeTierPolicy(DEFAULT_TIER_POLICIES.staging)).toBe(
      'Staging: configuration review by one person; automatic sync with rollback on failure',
    );
    expect(describeTierPolicy(DEFAULT_TIER_POLICIES.development)).toBe(
      'Development: no approval needed; automatic sync',
    );
  });

  it('recognises only the three tiers', () => {
    expect(isTier('production')).toBe(true);
    expect(isTier('Production')).toBe(false);
    expect(isTier('prod')).toBe(false);
    expect(isTier(undefined)).toBe(false);
  });
});
