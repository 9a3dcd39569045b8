import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ActionButton } from './ActionButton';

describe('ActionButton', () => {
  it('is disabled and says why, as text and as its accessible description', async () => {
    await renderInTestApp(
      <ActionButton
        availability={{ allowed: false, reason: 'you already approved' }}
        onClick={jest.fn()}
      >
        Approve
      </ActionButton>,
    );
    const button = screen.getByRole('button', { name: 'Approve' });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription('You already approved');
    expect(screen.getByText('You already approved')).toBeVisible();
  });

  it('acts when allowed, and shows progress while busy', async () => {
    const onClick = jest.fn();
    const { rerender } = await renderInTestApp(
      <ActionButton availability={{ allowed: true }} onClick={onClick}>
        Re-run checks
      </ActionButton>,
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Re-run checks' }),
    );
    expect(onClick).toHaveBeenCalled();
    rerender(
      <ActionButton
        availability={{ allowed: true }}
        onClick={onClick}
        busy
        busyLabel="Running checks…"
      >
        Re-run checks
      </ActionButton>,
    );
    expect(
      screen.getByRole('button', { name: /Running checks/ }),
    ).toBeDisabled();
  });
});
