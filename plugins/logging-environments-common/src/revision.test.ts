import { matchesRevision, sameCommit, shortRevision } from './revision';

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const OTHER = '0f1e2d3c4b5a69788796a5b4c3d2e1f012345678';

describe('shortRevision', () => {
  it('abbreviates a full commit SHA to its first 7 characters', () => {
    expect(shortRevision(SHA)).toBe('a1b2c3d');
    expect(shortRevision(SHA.toUpperCase())).toBe('A1B2C3D');
  });

  it('leaves anything else as it is', () => {
    expect(shortRevision('a1b2c3d4e5f6')).toBe('a1b2c3d4e5f6');
    expect(shortRevision(`${SHA}0`)).toBe(`${SHA}0`);
    expect(shortRevision('main')).toBe('main');
    expect(shortRevision('v1.2.3')).toBe('v1.2.3');
    expect(shortRevision('')).toBe('');
  });
});

describe('sameCommit', () => {
  it('matches a commit and its abbreviation, either way round and in any case', () => {
    expect(sameCommit(SHA, SHA)).toBe(true);
    expect(sameCommit(SHA, SHA.slice(0, 7))).toBe(true);
    expect(sameCommit(SHA.slice(0, 7).toUpperCase(), SHA)).toBe(true);
    expect(sameCommit(SHA.slice(0, 12), SHA.slice(0, 7))).toBe(true);
  });

  it('does not match other commits, short prefixes or other names', () => {
    expect(sameCommit(SHA, OTHER)).toBe(false);
    expect(sameCommit(SHA, SHA.slice(0, 6))).toBe(false);
    expect(sameCommit('main', 'main')).toBe(true);
    expect(sameCommit('main', 'MAIN')).toBe(false);
    expect(sameCommit('main', 'mainline')).toBe(false);
  });

  it('matches nothing when a revision is missing', () => {
    expect(sameCommit('', '')).toBe(false);
    expect(sameCommit(undefined, SHA)).toBe(false);
    expect(sameCommit(SHA, undefined)).toBe(false);
  });
});

describe('matchesRevision', () => {
  it('accepts the revision or an abbreviation of it, in any case, trimmed', () => {
    expect(matchesRevision(SHA, SHA)).toBe(true);
    expect(matchesRevision(SHA.slice(0, 7), SHA)).toBe(true);
    expect(matchesRevision(` ${SHA.slice(0, 9).toUpperCase()} `, SHA)).toBe(
      true,
    );
    expect(matchesRevision(' Main ', 'main')).toBe(true);
  });

  it('refuses another revision, a prefix under 7 characters or a longer revision', () => {
    expect(matchesRevision(OTHER, SHA)).toBe(false);
    expect(matchesRevision(SHA.slice(0, 6), SHA)).toBe(false);
    expect(matchesRevision(SHA, SHA.slice(0, 7))).toBe(false);
    expect(matchesRevision('mai', 'main')).toBe(false);
  });
});
