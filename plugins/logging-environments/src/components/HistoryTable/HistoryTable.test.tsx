import { decisionMessage } from '@internal/plugin-logging-environments-common';
import { screen } from '@testing-library/react';
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

  it('says when there is no event yet', async () => {
    await renderWithApis(
      <HistoryTable entityRef="resource:default/acme-prod" />,
      {
        api: { getHistory: async () => [] },
      },
    );
    expect(await screen.findByText(/No events yet/)).toBeInTheDocument();
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
