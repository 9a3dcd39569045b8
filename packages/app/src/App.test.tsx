import { render, screen } from '@testing-library/react';
import App from './App';

describe('App', () => {
  beforeEach(() => window.sessionStorage.clear());

  it('offers the demo users on the sign-in page of the sandbox portal', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: {
              title: 'Test',
              demoSignIn: {
                users: [
                  { name: 'requester', title: 'Riley Requester' },
                  { name: 'approver', title: 'Avery Approver' },
                ],
              },
            },
            backend: { baseUrl: 'http://localhost:7007' },
          },
          context: 'test',
        },
      ] as any,
    };

    render(<App />);

    expect(
      await screen.findByRole('button', { name: 'Sign in as Riley Requester' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Sign in as Avery Approver' }),
    ).toBeInTheDocument();
  });
});
