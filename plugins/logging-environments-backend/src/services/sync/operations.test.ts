import { REV_NEW, application } from '../waves/__testUtils__/applications';
import { operationFingerprint } from './operations';

describe('operationFingerprint', () => {
  it('tells apart two operations that started and finished in the same second', () => {
    const first = application('infrastructure', {
      phase: 'Succeeded',
      history: [{ id: 0, revision: REV_NEW }],
    });
    const second = application('infrastructure', {
      phase: 'Succeeded',
      history: [
        { id: 0, revision: REV_NEW },
        { id: 1, revision: REV_NEW },
      ],
    });
    const failed = application('infrastructure', { phase: 'Failed' });
    const fingerprints = [first, second, failed].map(operationFingerprint);
    expect(new Set(fingerprints).size).toBe(3);
    expect(operationFingerprint(application('infrastructure'))).toBe('');
  });
});
