import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { StateChip, describeState } from './StateChip';

describe('StateChip', () => {
  it('shows every state as a word, not only a colour', async () => {
    await renderInTestApp(
      <>
        <StateChip state="failed" />
        <StateChip state="waiting-infrastructure" />
        <StateChip state="Healthy" label="LokiStack health" />
      </>,
    );
    expect(screen.getByText('Failed')).toBeInTheDocument();
    expect(screen.getByText('Waiting for infrastructure')).toBeInTheDocument();
    expect(screen.getByTitle('LokiStack health: Healthy')).toBeInTheDocument();
  });

  it('gives unknown states a readable label', () => {
    expect(describeState('some-new_state')).toEqual({
      tone: 'pending',
      label: 'Some new state',
    });
    expect(describeState('blocked').tone).toBe('blocked');
    expect(describeState('Degraded').tone).toBe('error');
  });
});
