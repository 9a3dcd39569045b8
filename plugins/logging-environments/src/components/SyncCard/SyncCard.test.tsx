import { DEFAULT_TIER_POLICIES } from '@internal/plugin-logging-environments-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  REVISION,
  SYNC_WINDOW_MESSAGE,
  awaitingApprovalEnvironment,
  blockedEnvironment,
  healthyEnvironment,
  progressingEnvironment,
} from '../../__fixtures__/environments';
import { renderWithApis } from '../../__testUtils__/render';
import { SyncCard } from './SyncCard';

describe('SyncCard', () => {
  it('asks to confirm the revision, then starts the sync pinned to it', async () => {
    const startSync = jest.fn(async () => ({} as any));
    const onChanged = jest.fn();
    const env = healthyEnvironment();
    delete env.sync;
    await renderWithApis(<SyncCard environment={env} onChanged={onChanged} />, {
      api: { startSync },
    });
    expect(screen.getByText('No sync has run yet.')).toBeInTheDocument();
    await userEvent.click(
      await screen.findByRole('button', { name: 'Sync now' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Sync revision a1b2c3d to production?',
    });
    expect(within(dialog).getByText(new RegExp(REVISION))).toBeInTheDocument();
    expect(startSync).not.toHaveBeenCalled();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Sync a1b2c3d' }),
    );
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(startSync).toHaveBeenCalledWith('resource:default/acme-prod', {
      revision: REVISION,
    });
  });

  it('cannot sync before the approvals are complete, and says so', async () => {
    await renderWithApis(
      <SyncCard
        environment={awaitingApprovalEnvironment()}
        onChanged={jest.fn()}
      />,
      { api: {} },
    );
    const button = await screen.findByRole('button', { name: 'Sync now' });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription(
      'The required approvals are not complete for revision a1b2c3d',
    );
  });

  it('cannot sync without the sync permission', async () => {
    await renderWithApis(
      <SyncCard environment={healthyEnvironment()} onChanged={jest.fn()} />,
      { api: {}, deny: ['logging.environment.sync'] },
    );
    const button = await screen.findByRole('button', { name: 'Sync now' });
    await waitFor(() =>
      expect(button).toHaveAccessibleDescription(
        'You do not have the logging.environment.sync permission for this environment',
      ),
    );
    expect(button).toBeDisabled();
  });

  it('shows a sync blocked by a sync window as blocked, with the cause', async () => {
    await renderWithApis(
      <SyncCard environment={blockedEnvironment()} onChanged={jest.fn()} />,
      { api: {} },
    );
    expect(screen.getByText('Blocked')).toBeInTheDocument();
    expect(screen.getByText(/Sync blocked/)).toBeInTheDocument();
    expect(screen.getByText(SYNC_WINDOW_MESSAGE)).toBeInTheDocument();
  });

  it('shows the running state of a sync in progress', async () => {
    await renderWithApis(
      <SyncCard environment={progressingEnvironment()} onChanged={jest.fn()} />,
      { api: {} },
    );
    expect(screen.getByText('Waiting for infrastructure')).toBeInTheDocument();
    expect(
      await screen.findByRole('button', { name: 'Sync now' }),
    ).toBeDisabled();
  });

  it('offers no button to tiers that sync automatically', async () => {
    const env = healthyEnvironment();
    env.tier = 'staging';
    env.policy = DEFAULT_TIER_POLICIES.staging;
    await renderWithApis(<SyncCard environment={env} onChanged={jest.fn()} />, {
      api: {},
    });
    expect(
      screen.getByText('Automatic once approved, rolled back on failure'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sync now' })).toBeNull();
  });
});
