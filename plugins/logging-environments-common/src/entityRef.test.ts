import { normalizeEntityRef } from './entityRef';

describe('normalizeEntityRef', () => {
  it('completes the kind and namespace and lower-cases the ref', () => {
    expect(normalizeEntityRef('Platform-Team', { defaultKind: 'group' })).toBe(
      'group:default/platform-team',
    );
    expect(
      normalizeEntityRef('ops/Platform-Team', { defaultKind: 'group' }),
    ).toBe('group:ops/platform-team');
    expect(
      normalizeEntityRef('Resource:Default/ACME-Prod', {
        defaultKind: 'group',
      }),
    ).toBe('resource:default/acme-prod');
    expect(
      normalizeEntityRef('acme-prod', {
        defaultKind: 'resource',
        defaultNamespace: 'Logging',
      }),
    ).toBe('resource:logging/acme-prod');
  });

  it('gives undefined for what is not an entity ref', () => {
    expect(normalizeEntityRef('acme-prod')).toBeUndefined();
    expect(normalizeEntityRef('', { defaultKind: 'group' })).toBeUndefined();
    expect(
      normalizeEntityRef('group:default/', { defaultKind: 'group' }),
    ).toBeUndefined();
  });
});
