import { testEnvironment } from '../__testUtils__/environment';
import { Environment } from '../types';
import { CachedRevisionSource } from './CachedRevisionSource';

const environment: Environment = testEnvironment({ cluster: 'prod-1' });

const source = {
  repoURL: 'https://git.example.com/gitops.git',
  path: 'environments/acme-prod/infrastructure',
  targetRevision: 'main',
};

function setup(cached: Record<string, any> | undefined) {
  const reads: unknown[][] = [];
  const fallback = { currentRevision: jest.fn(async () => 'f'.repeat(40)) };
  const revisions = new CachedRevisionSource({
    waves: {
      object: (...args: unknown[]) => {
        reads.push(args);
        return cached;
      },
    },
    fallback,
  });
  return { revisions, fallback, reads };
}

describe('CachedRevisionSource', () => {
  it('reads the compared revision of the cached infrastructure Application without asking the cluster', async () => {
    const { revisions, fallback, reads } = setup({
      metadata: { name: 'acme-prod-logging-infrastructure' },
      spec: { source },
      status: {
        sync: {
          status: 'OutOfSync',
          revision: 'a'.repeat(40),
          comparedTo: { source },
        },
      },
    });
    await expect(revisions.currentRevision(environment)).resolves.toBe(
      'a'.repeat(40),
    );
    expect(reads).toEqual([
      [
        'prod-1',
        'argoproj.io/v1alpha1',
        'Application',
        'openshift-gitops',
        'acme-prod-logging-infrastructure',
      ],
    ]);
    expect(fallback.currentRevision).not.toHaveBeenCalled();
  });

  it('does not count a revision Argo CD compared for an older source', async () => {
    const { revisions } = setup({
      metadata: { name: 'acme-prod-logging-infrastructure' },
      spec: { source: { ...source, targetRevision: 'release-2' } },
      status: {
        sync: { revision: 'a'.repeat(40), comparedTo: { source } },
      },
    });
    await expect(revisions.currentRevision(environment)).resolves.toBe(
      undefined,
    );
  });

  it('falls back to the cluster while the cache does not hold the Application', async () => {
    const { revisions, fallback } = setup(undefined);
    await expect(revisions.currentRevision(environment)).resolves.toBe(
      'f'.repeat(40),
    );
    expect(fallback.currentRevision).toHaveBeenCalledWith(environment);
  });
});

describe('CachedRevisionSource while the cache is cold', () => {
  it('asks the cluster once for concurrent page views of one environment', async () => {
    let release!: () => void;
    const answered = new Promise<void>(resolve => {
      release = resolve;
    });
    const fallback = {
      currentRevision: jest.fn(async () => {
        await answered;
        return 'b'.repeat(40);
      }),
    };
    const revisions = new CachedRevisionSource({
      waves: { object: () => undefined },
      fallback,
    });
    const views = Promise.all(
      Array.from({ length: 100 }, () => revisions.currentRevision(environment)),
    );
    release();
    expect(new Set(await views)).toEqual(new Set(['b'.repeat(40)]));
    expect(fallback.currentRevision).toHaveBeenCalledTimes(1);
  });
});
