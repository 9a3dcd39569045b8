import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { MissingSetup } from './MissingSetup';

describe('MissingSetup', () => {
  it('lists every problem and shows the fix', async () => {
    await renderInTestApp(
      <MissingSetup
        title="Not set up"
        problems={['annotation a is missing', 'annotation b is missing']}
        example="metadata: {}"
      />,
    );
    expect(screen.getByText('Not set up')).toBeInTheDocument();
    expect(screen.getByText('annotation a is missing')).toBeInTheDocument();
    expect(screen.getByText('annotation b is missing')).toBeInTheDocument();
    expect(document.body.textContent).toContain('metadata: {}');
  });
});
