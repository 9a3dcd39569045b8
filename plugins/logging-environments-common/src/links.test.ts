import { environmentPagePath } from './links';

describe('environmentPagePath', () => {
  it('points at the Logging tab of the entity page', () => {
    expect(environmentPagePath('resource:default/acme-prod')).toBe(
      '/catalog/default/resource/acme-prod/logging',
    );
    expect(environmentPagePath('Resource:Ops/ACME-prod')).toBe(
      '/catalog/Ops/resource/ACME-prod/logging',
    );
  });

  it('refuses a ref without a kind', () => {
    expect(() => environmentPagePath('acme-prod')).toThrow();
  });
});
