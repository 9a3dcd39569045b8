import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { NotRegistered } from './NotRegistered';

describe('NotRegistered', () => {
  it('says an entity without a record is not an environment, and how one is made', async () => {
    await renderInTestApp(
      <NotRegistered
        reason="unregistered"
        message="resource:default/c1-dev is not a registered logging environment: no trusted record exists for it."
      />,
    );
    expect(
      screen.getByText('Not a registered logging environment'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/resource:default\/c1-dev is not a registered/),
    ).toBeInTheDocument();
    expect(screen.getByText(/New logging environment/)).toBeInTheDocument();
  });

  it('lists each fact an entity disagrees with its record on', async () => {
    await renderInTestApp(
      <NotRegistered
        reason="mismatch"
        message={
          'resource:default/acme-prod does not match its record, so nothing acts on it: ' +
          'annotation logging-environments.io/tier says "development", the record says "production"; ' +
          'spec.owner says "group:default/checkout-team", the record says "group:default/platform-team"'
        }
      />,
    );
    expect(
      screen.getByText("Does not match its environment's record"),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'annotation logging-environments.io/tier says "development", the record says "production"',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'spec.owner says "group:default/checkout-team", the record says "group:default/platform-team"',
      ),
    ).toBeInTheDocument();
  });
});
