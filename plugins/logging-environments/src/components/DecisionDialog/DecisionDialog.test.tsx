import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  REVISION,
  awaitingApprovalEnvironment,
} from '../../__fixtures__/environments';
import { renderWithApis } from '../../__testUtils__/render';
import { DecisionDialog } from './DecisionDialog';

describe('DecisionDialog', () => {
  it('lets someone holding several open roles say which one they approve in', async () => {
    const env = awaitingApprovalEnvironment();
    env.approvals.required = env.approvals.required.map(r => ({
      ...r,
      approval: undefined,
    }));
    const decideApproval = jest.fn(async () => ({} as any));
    const onDone = jest.fn();
    await renderWithApis(
      <DecisionDialog
        open
        decision="approve"
        environment={env}
        onClose={jest.fn()}
        onDone={onDone}
      />,
      { api: { decideApproval } },
    );
    const dialog = screen.getByRole('dialog');
    // Until they choose, the default is shown: the backend takes the one
    // role they hold.
    expect(
      within(dialog).getByRole('button', { name: /Role/ }),
    ).toHaveTextContent('The role I hold');
    await userEvent.click(within(dialog).getByRole('button', { name: /Role/ }));
    await userEvent.click(
      screen.getByRole('option', { name: 'Security review' }),
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(decideApproval).toHaveBeenCalledWith('resource:default/acme-prod', {
      decision: 'approve',
      role: 'security-review',
      comment: '',
      revision: REVISION,
    });
  });

  it('offers no role choice when only one role is open', async () => {
    await renderWithApis(
      <DecisionDialog
        open
        decision="approve"
        environment={awaitingApprovalEnvironment()}
        onClose={jest.fn()}
        onDone={jest.fn()}
      />,
      { api: {} },
    );
    expect(screen.queryByRole('button', { name: /Role/ })).toBeNull();
  });
});
