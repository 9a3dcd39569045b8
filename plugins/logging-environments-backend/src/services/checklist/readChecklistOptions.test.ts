import { ConfigReader } from '@backstage/config';
import { readChecklistOptions } from './readChecklistOptions';

describe('readChecklistOptions', () => {
  it('reads the timeouts in milliseconds and the GitOps repository', () => {
    expect(
      readChecklistOptions(
        new ConfigReader({
          loggingEnvironments: {
            gitops: { repoUrl: 'https://git.example.com/gitops', branch: 'b' },
            checklist: {
              probeTimeoutSeconds: 0.05,
              probeTimeouts: { fast: 1, revision: 12 },
              revisionRefreshTimeoutSeconds: 7,
            },
          },
        }),
      ),
    ).toEqual({
      gitops: { repoUrl: 'https://git.example.com/gitops', branch: 'b' },
      timeouts: { defaultMs: 50, perProbe: { fast: 1000, revision: 12000 } },
      revisionRefreshTimeoutMs: 7000,
    });
  });

  it('leaves what is not configured to the defaults', () => {
    expect(readChecklistOptions(new ConfigReader({}))).toEqual({
      gitops: { repoUrl: undefined, branch: undefined },
      timeouts: { defaultMs: undefined, perProbe: {} },
      revisionRefreshTimeoutMs: undefined,
    });
  });
});
