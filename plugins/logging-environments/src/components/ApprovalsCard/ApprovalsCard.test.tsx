import { DEFAULT_TIER_POLICIES } from '@internal/plugin-logging-environments-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  REVISION,
  awaitingApprovalEnvironment,
  failingChecklistEnvironment,
} from '../../__fixtures__/environments';
import { renderWithApis } from '../../__testUtils__/render';
import { ApprovalsCard } from './ApprovalsCard';

describe('ApprovalsCard', () => {
  it('shows what is required and what is given: who, when, comment and revision', async () => {
    await renderWithApis(
      <ApprovalsCard
        environment={awaitingApprovalEnvironment()}
        onChanged={jest.fn()}
      />,
      { api: {} },
    );
    expect(screen.getByText('For revision a1b2c3d')).toBeInTheDocument();
    expect(
      screen.getByText(/1 of 2 required approvals given/),
    ).toBeInTheDocument();
    const security = screen.getByTestId('approval-security-review');
    expect(within(security).getByText('Given')).toBeInTheDocument();
    expect(within(security).getByText('security-reviewer')).toBeInTheDocument();
    expect(
      within(security).getByText('Bucket policy and encryption reviewed'),
    ).toBeInTheDocument();
    expect(within(security).getByText(/revision a1b2c3d/)).toBeInTheDocument();
    const approval = screen.getByTestId('approval-approval');
    expect(within(approval).getByText('Missing')).toBeInTheDocument();
    expect(
      within(approval).getByText('platform-approvers'),
    ).toBeInTheDocument();
  });

  it.each([
    [
      'the user is the requester',
      'the requester of a production environment cannot approve it',
    ],
    [
      'the user already approved',
      'you already approved revision a1b2c3d as Security review',
    ],
    [
      'the checklist fails',
      'the checklist has failing items (ClusterSecretStore Ready); fix them and run the checklist again',
    ],
    [
      'the approval would be for a stale revision',
      'the checklist ran against revision 0f1e2d3, not a1b2c3d; run the checklist again',
    ],
    [
      'the user is in none of the groups',
      'you are not a member of a group that may approve this environment (Approval: group:default/platform-approvers)',
    ],
  ])('disables Approve with the reason when %s', async (_, reason) => {
    const env = awaitingApprovalEnvironment();
    env.can.approve = { allowed: false, reason };
    await renderWithApis(
      <ApprovalsCard environment={env} onChanged={jest.fn()} />,
      {
        api: {},
      },
    );
    const button = screen.getByRole('button', { name: 'Approve' });
    expect(button).toBeDisabled();
    const shown = reason.charAt(0).toUpperCase() + reason.slice(1);
    expect(button).toHaveAccessibleDescription(shown);
    expect(screen.getByText(shown)).toBeVisible();
  });

  it('disables Approve and Reject when the user lacks the approve permission', async () => {
    const env = awaitingApprovalEnvironment();
    env.can.approve = { allowed: true };
    await renderWithApis(
      <ApprovalsCard environment={env} onChanged={jest.fn()} />,
      {
        api: {},
        deny: ['logging.environment.approve'],
      },
    );
    for (const name of ['Approve', 'Reject']) {
      const button = await screen.findByRole('button', { name });
      await waitFor(() =>
        expect(button).toHaveAccessibleDescription(
          'You do not have the logging.environment.approve permission for this environment',
        ),
      );
      expect(button).toBeDisabled();
    }
  });

  it('posts the comment, bound to the revision shown, then re-reads the environment', async () => {
    const decideApproval = jest.fn(async () => ({} as any));
    const onChanged = jest.fn();
    const env = awaitingApprovalEnvironment();
    env.can.approve = { allowed: true };
    await renderWithApis(
      <ApprovalsCard environment={env} onChanged={onChanged} />,
      {
        api: { decideApproval },
      },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Approve' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText(/You approve revision a1b2c3d/),
    ).toBeInTheDocument();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Looks good to me',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(decideApproval).toHaveBeenCalledWith('resource:default/acme-prod', {
      decision: 'approve',
      comment: 'Looks good to me',
      revision: REVISION,
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('asks for the reason of a rejection before posting it', async () => {
    const decideApproval = jest.fn(async () => ({} as any));
    await renderWithApis(
      <ApprovalsCard
        environment={awaitingApprovalEnvironment()}
        onChanged={jest.fn()}
      />,
      { api: { decideApproval } },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Reject' }),
    );
    const dialog = await screen.findByRole('dialog');
    const submit = within(dialog).getByRole('button', { name: 'Reject' });
    expect(submit).toBeDisabled();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Comment/ }),
      'Bucket is in the wrong region',
    );
    await userEvent.click(submit);
    await waitFor(() =>
      expect(decideApproval).toHaveBeenCalledWith(
        'resource:default/acme-prod',
        expect.objectContaining({
          decision: 'reject',
          comment: 'Bucket is in the wrong region',
        }),
      ),
    );
  });

  it('keeps the dialog open with the backend refusal', async () => {
    const decideApproval = jest.fn(async () => {
      throw new Error(
        'the revision changed from a1b2c3d to 0f1e2d3; re-run the checklist and review again',
      );
    });
    const env = awaitingApprovalEnvironment();
    env.can.approve = { allowed: true };
    await renderWithApis(
      <ApprovalsCard environment={env} onChanged={jest.fn()} />,
      {
        api: { decideApproval },
      },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Approve' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    expect(
      await within(dialog).findByText(/the revision changed from a1b2c3d/),
    ).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('shows a standing rejection with its reason', async () => {
    const env = failingChecklistEnvironment();
    const rejection = {
      id: 'r1',
      decision: 'reject' as const,
      role: 'security-review',
      actor: 'user:default/security-reviewer',
      comment: 'Bucket is public',
      revision: REVISION,
      createdAt: '2026-01-15T09:00:00Z',
    };
    env.approvals = {
      ...env.approvals,
      rejected: rejection,
      decisions: [rejection],
    };
    await renderWithApis(
      <ApprovalsCard environment={env} onChanged={jest.fn()} />,
      {
        api: {},
      },
    );
    expect(screen.getByText(/Rejected as Security review/)).toBeInTheDocument();
    expect(screen.getByText('Bucket is public')).toBeInTheDocument();
  });

  it('says a development environment needs no approval', async () => {
    const env = awaitingApprovalEnvironment();
    env.tier = 'development';
    env.policy = DEFAULT_TIER_POLICIES.development;
    env.approvals = { required: [], decisions: [], complete: true };
    await renderWithApis(
      <ApprovalsCard environment={env} onChanged={jest.fn()} />,
      {
        api: {},
      },
    );
    expect(screen.getByText(/needs no approval/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });
});
