import { screen } from '@testing-library/react';
import { history } from '../../__fixtures__/environments';
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
    expect(
      await screen.findByText(
        /Approved as Security review for revision a1b2c3d/,
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
