import { relativeTime } from './Timestamp';

describe('relativeTime', () => {
  const now = Date.parse('2026-01-15T10:00:00Z');
  it('says how long ago, in words', () => {
    expect(relativeTime('2026-01-15T09:30:00Z', now)).toBe('30 minutes ago');
    expect(relativeTime('2026-01-15T09:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-01-13T10:00:00Z', now)).toBe('2 days ago');
  });
});
