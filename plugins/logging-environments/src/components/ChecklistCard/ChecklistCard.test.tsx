import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  failingChecklistEnvironment,
  healthyEnvironment,
} from '../../__fixtures__/environments';
import { renderWithApis } from '../../__testUtils__/render';
import { ChecklistCard } from './ChecklistCard';

describe('ChecklistCard', () => {
  it('shows each item with its status as a word, its message and evidence', async () => {
    await renderWithApis(
      <ChecklistCard
        environment={failingChecklistEnvironment()}
        onChanged={jest.fn()}
      />,
      { api: {} },
    );
    const row = screen.getByTestId('check-cluster-secret-store');
    expect(within(row).getByText('Fail')).toBeInTheDocument();
    expect(
      within(row).getByText(/could not get provider client: AccessDenied/),
    ).toBeInTheDocument();
    const bucket = screen.getByTestId('check-bucket');
    expect(within(bucket).getByText('Pass')).toBeInTheDocument();
    expect(within(bucket).getByText('acme-prod-loki')).toBeInTheDocument();
    expect(screen.getByText(/4 of 5 checks pass/)).toBeInTheDocument();
  });

  it('re-runs the checks with progress, then re-reads the environment', async () => {
    let finish: () => void = () => {};
    const runChecklist = jest.fn(
      () => new Promise<any>(resolve => (finish = () => resolve({}))),
    );
    const onChanged = jest.fn();
    await renderWithApis(
      <ChecklistCard
        environment={healthyEnvironment()}
        onChanged={onChanged}
      />,
      { api: { runChecklist } },
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Re-run checks' }),
    );
    expect(
      screen.getByRole('button', { name: /Running checks/ }),
    ).toBeDisabled();
    expect(runChecklist).toHaveBeenCalledWith('resource:default/acme-prod');
    finish();
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(screen.getByRole('button', { name: 'Re-run checks' })).toBeEnabled();
  });

  it('shows why the checks cannot be run, and a run that fails', async () => {
    const env = healthyEnvironment();
    env.can.runChecklist = {
      allowed: false,
      reason: 'you do not have the logging.environment.sync permission',
    };
    await renderWithApis(
      <ChecklistCard environment={env} onChanged={jest.fn()} />,
      {
        api: {},
      },
    );
    expect(
      screen.getByRole('button', { name: 'Re-run checks' }),
    ).toHaveAccessibleDescription(
      'You do not have the logging.environment.sync permission',
    );
  });

  it('tells the user to run the checks when none ran yet', async () => {
    const env = healthyEnvironment();
    delete env.checklist;
    await renderWithApis(
      <ChecklistCard environment={env} onChanged={jest.fn()} />,
      {
        api: {},
      },
    );
    expect(
      screen.getByText(/The checklist has not run yet/),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Run checks' })).toBeEnabled();
  });
});
