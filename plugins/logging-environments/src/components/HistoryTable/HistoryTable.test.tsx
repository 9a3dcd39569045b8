import {
  HistoryEvent,
  decisionMessage,
} from '@internal/plugin-logging-environments-common';
import { screen, within } from '@testing-library/react';
import { REVISION, history } from '../../__fixtures__/environments';
import { renderWithApis } from '../../__testUtils__/render';
import { HistoryTable } from './HistoryTable';

describe('HistoryTable', () => {
  it('lists the audit trail with who did what', async () => {
    const getHistory = jest.fn(async () => history());
    await renderWithApis(
      <HistoryTable entityRef="resource:default/acme-prod" />,
      {
        api: { getHistory },
      },
    );
    // The backend's words for the decision (the fixture uses its formatter).
    expect(
      await screen.findByText(
        decisionMessage({
          decision: 'approve',
          roleTitle: 'Security review',
          revision: REVISION,
          comment: 'Bucket policy and encryption reviewed',
        }),
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Approval')).toBeInTheDocument();
    expect(screen.getByText('security-reviewer')).toBeInTheDocument();
    expect(screen.getByText('System')).toBeInTheDocument();
    expect(getHistory).toHaveBeenCalledWith('resource:default/acme-prod', {
      limit: 200,
    });
  });

  it('links a bootstrap entry to its template run, with who and when', async () => {
    const at = '2026-12-01T09:30:00.000Z';
    await renderWithApis(
      <HistoryTable entityRef="resource:default/acme-prod" />,
      {
        api: {
          getHistory: async (): Promise<HistoryEvent[]> => [
            {
              id: 'b1',
              type: 'bootstrap',
              actor: 'user:default/requester',
              at,
              message:
                'Claimed as a production environment on cluster sandbox (scaffolder task 7d1c0a4e-task)',
              details: { tier: 'production', taskId: '7d1c0a4e-task' },
            },
            {
              id: 'b0',
              type: 'bootstrap',
              actor: 'user:default/admin',
              at,
              message: 'Record changed by an administrator. Reason: reorg',
              details: { reason: 'reorg' },
            },
          ],
        },
      },
    );
    const row = (
      await screen.findByText(/scaffolder task 7d1c0a4e-task/)
    ).closest('tr')!;
    expect(within(row).getByText('Bootstrap')).toBeInTheDocument();
    expect(within(row).getByText('requester')).toBeInTheDocument();
    expect(
      within(row).getByRole('link', { name: 'Template run' }),
    ).toHaveAttribute('href', '/create/tasks/7d1c0a4e-task');
    expect(row.querySelector('time')).toHaveAttribute('datetime', at);
    // An entry no template run wrote links no task.
    const other = screen.getByText(/Reason: reorg/).closest('tr')!;
    expect(
      within(other).queryByRole('link', { name: 'Template run' }),
    ).toBeNull();
  });

  it('says when there is no event yet, promising no bootstrap entry', async () => {
    await renderWithApis(
      <HistoryTable entityRef="resource:default/acme-prod" />,
      {
        api: { getHistory: async () => [] },
      },
    );
    const empty = await screen.findByText(/No events recorded yet/);
    expect(empty).toHaveTextContent(
      "A bootstrap is listed only when it ran through the portal's template",
    );
  });

  it('shows the backend error', async () => {
    await renderWithApis(
      <HistoryTable entityRef="resource:default/acme-prod" />,
      {
        api: {
          getHistory: async () => {
            throw new Error('history unavailable');
          },
        },
      },
    );
    expect(
      (await screen.findAllByText(/history unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
