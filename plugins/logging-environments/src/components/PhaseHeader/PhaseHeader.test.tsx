import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { DEFAULT_TIER_POLICIES } from '@internal/plugin-logging-environments-common';
import { PhaseHeader } from './PhaseHeader';

describe('PhaseHeader', () => {
  it('shows the three phases and the tier policy in words', async () => {
    await renderInTestApp(
      <PhaseHeader policy={DEFAULT_TIER_POLICIES.production} phase="verify" />,
    );
    expect(screen.getByText('Bootstrap')).toBeInTheDocument();
    expect(screen.getByText('Verify & approve')).toBeInTheDocument();
    expect(screen.getByText('GitOps sync')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Production: security review + approval by two people other than the requester; manual sync',
      ),
    ).toBeInTheDocument();
  });
});
