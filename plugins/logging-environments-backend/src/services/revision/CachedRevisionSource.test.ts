import { testEnvironment } from '../__testUtils__/environment';
import { Environment } from '../types';
import { CurrentRevision } from './binding';
import { CachedRevisionSource } from './CachedRevisionSource';

const environment: Environment = testEnvironment({
  cluster: 'prod-1',
  gitops: { repoUrl: 'https://git.example.com/gitops.git', branch: 'main' },
});

const source = (role: string) => ({
  repoURL: 'https://git.example.com/gitops.git',
  path: `environments/acme-prod/${role}`,
  targetRevision: 'main',
});

/** One of the environment's Applications as the watch cache holds it. */
function cached(
  role: 'infrastructure' | 'forwarder',
  revision = 'a'.repeat(40),
): Record<string, any> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `acme-prod-logging-${role}`,
      namespace: 'openshift-gitops',
      labels: { 'logging-environments.io/environment': 'acme-prod' },
    },
    spec: {
      project: 'acme-prod-logging',
      source: source(role),
      destination: {
        server: 'https://kubernetes.default.svc',
        namespace: 'openshift-logging',
      },
    },
    status: {
      sync: {
        status: 'OutOfSync',
        revision,
        comparedTo: { source: source(role) },
      },
    },
  };
}

const FALLBACK: CurrentRevision = {
  revision: 'f'.repeat(40),
  binding: 'from-the-cluster',
  problems: [],
};

function setup(apps: Record<string, any>) {
  const reads: unknown[][] = [];
  const fallback = { current: jest.fn(async () => FALLBACK) };
  const revisions = new CachedRevisionSource({
    waves: {
      object: (...args: unknown[]) => {
        reads.push(args);
        return apps[args[4] as string];
      },
    },
    fallback,
  });
  return { revisions, fallback, reads };
}

const both = () => ({
  'acme-prod-logging-infrastructure': cached('infrastructure'),
  'acme-prod-logging-forwarder': cached('forwarder'),
});

describe('CachedRevisionSource', () => {
  it('reads the compared revision and the binding of both cached Applications without asking the cluster', async () => {
    const { revisions, fallback, reads } = setup(both());
    const current = await revisions.current(environment);
    expect(current).toEqual({
      revision: 'a'.repeat(40),
      binding: expect.stringMatching(/^[0-9a-f]{64}$/),
      problems: [],
    });
    expect(reads.map(r => r[4])).toEqual([
      'acme-prod-logging-infrastructure',
      'acme-prod-logging-forwarder',
    ]);
    expect(fallback.current).not.toHaveBeenCalled();
  });

  it("changes the binding when an Application's source or sync policy changes, and says what no longer matches", async () => {
    const apps = both();
    const before = await setup(apps).revisions.current(environment);
    apps['acme-prod-logging-forwarder'].spec.syncPolicy = {
      automated: { prune: true },
    } as any;
    const after = await setup(apps).revisions.current(environment);
    expect(after.binding).not.toBe(before.binding);
    expect(after.problems).toEqual([
      'Application openshift-gitops/acme-prod-logging-forwarder: spec.syncPolicy.automated is not allowed: a production Application is synced only after approval',
    ]);
  });

  it('does not count a revision Argo CD compared for an older source', async () => {
    const apps = both();
    apps['acme-prod-logging-infrastructure'].spec.source.targetRevision =
      'release-2';
    const current = await setup(apps).revisions.current(environment);
    expect(current.revision).toBeUndefined();
    expect(current.problems).toEqual([
      'Application openshift-gitops/acme-prod-logging-infrastructure: spec.source.targetRevision must be the branch "main"',
    ]);
  });

  it('names an Application re-created since the bootstrap bound it', async () => {
    const apps = both();
    apps['acme-prod-logging-infrastructure'].metadata.uid = 'new-uid';
    const current = await setup(apps).revisions.current({
      ...environment,
      applicationUids: { infrastructure: 'bound-uid' },
    });
    expect(current.problems).toEqual([
      'Application openshift-gitops/acme-prod-logging-infrastructure is not the one the bootstrap registered (it was re-created); an administrator must bind it again',
    ]);
  });

  it('falls back to the cluster while the cache does not hold both Applications', async () => {
    const { revisions, fallback } = setup({
      'acme-prod-logging-infrastructure': cached('infrastructure'),
    });
    await expect(revisions.current(environment)).resolves.toBe(FALLBACK);
    expect(fallback.current).toHaveBeenCalledWith(environment);
  });
});

describe('CachedRevisionSource while the cache is cold', () => {
  it('asks the cluster once for concurrent page views of one environment', async () => {
    let release!: () => void;
    const answered = new Promise<void>(resolve => {
      release = resolve;
    });
    const fallback = {
      current: jest.fn(async () => {
        await answered;
        return FALLBACK;
      }),
    };
    const revisions = new CachedRevisionSource({
      waves: { object: () => undefined },
      fallback,
    });
    const views = Promise.all(
      Array.from({ length: 100 }, () => revisions.current(environment)),
    );
    release();
    expect(new Set(await views)).toEqual(new Set([FALLBACK]));
    expect(fallback.current).toHaveBeenCalledTimes(1);
  });
});
