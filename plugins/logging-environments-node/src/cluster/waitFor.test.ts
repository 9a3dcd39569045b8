import { waitFor } from './client';

describe('waitFor', () => {
  it('says what it waits for, every everyMs, while it waits', async () => {
    const lines: string[] = [];
    const readyAt = Date.now() + 500;
    const value = await waitFor(
      async () => (Date.now() >= readyAt ? 'ready' : undefined),
      {
        timeoutMs: 5_000,
        intervalMs: 10,
        progress: {
          what: 'ClusterSecretStore aws-secrets-manager to be Ready',
          log: line => lines.push(line),
          everyMs: 50,
        },
      },
    );
    expect(value).toBe('ready');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(
      /^Still waiting for ClusterSecretStore aws-secrets-manager to be Ready: \d+ s so far, at most 5 s$/,
    );
  });

  it('says nothing when what it waits for is there at once, and gives up at the timeout', async () => {
    const lines: string[] = [];
    const progress = { what: 'x', log: (l: string) => lines.push(l) };
    expect(await waitFor(async () => 1, { timeoutMs: 1_000, progress })).toBe(
      1,
    );
    expect(
      await waitFor(async () => undefined, {
        timeoutMs: 30,
        intervalMs: 5,
        progress,
      }),
    ).toBeUndefined();
    expect(lines).toEqual([]);
  });
});
