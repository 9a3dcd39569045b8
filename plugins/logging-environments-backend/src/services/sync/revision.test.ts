import { REV_NEW, REV_OLD } from '../waves/__testUtils__/applications';
import { sameRevision } from './revision';

describe('sameRevision', () => {
  it('matches a commit and its abbreviation, nothing else', () => {
    expect(sameRevision(REV_NEW, REV_NEW.slice(0, 7))).toBe(true);
    expect(sameRevision(REV_NEW.slice(0, 7).toUpperCase(), REV_NEW)).toBe(true);
    expect(sameRevision(REV_NEW, REV_OLD)).toBe(false);
    expect(sameRevision('main', 'main')).toBe(true);
    expect(sameRevision('main', 'mainline')).toBe(false);
    expect(sameRevision('', '')).toBe(false);
    expect(sameRevision(undefined, REV_NEW)).toBe(false);
  });
});
