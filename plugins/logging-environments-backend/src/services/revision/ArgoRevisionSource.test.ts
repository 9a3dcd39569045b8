import { ClusterClient } from '@internal/plugin-logging-environments-node';
import { testEnvironment } from '../__testUtils__/environment';
import { Environment } from '../types';
import {
  ARGOCD_REFRESH_ANNOTATION,
  ArgoRevisionSource,
} from './ArgoRevisionSource';

const environment: Environment = testEnvironment({
  cluster: 'prod-1',
  gitops: { repoUrl: 'https://git.example.com/gitops.git', branch: 'main' },
});

const source = {
  repoURL: 'https://git.example.com/gitops.git',
  path: 'environments/acme-prod/infrastructure',
  targetRevision: 'main',
};

/**
 * A cluster with one Application and an Argo CD that, `compareAfterMs`
 * after a refresh is asked for, compares at `headRevision` and drops the
 * annotation.
 */
function fakeCluster(
  app: any,
  argo: { compareAfterMs?: number; head: string },
  forwarder: any = registered('forwarder'),
) {
  const patches: unknown[] = [];
  const client = {
    server: 'https://api.prod-1.example.com:6443',
    async get(ref: any) {
      if (ref.name === app?.metadata.name) return structuredClone(app);
      if (ref.name === forwarder?.metadata.name) {
        return structuredClone(forwarder);
      }
      return undefined;
    },
    async mergePatch(_ref: any, patch: any) {
      patches.push(patch);
      Object.assign(
        (app.metadata.annotations ??= {}),
        patch.metadata.annotations,
      );
      if (argo.compareAfterMs !== undefined) {
        setTimeout(() => {
          delete app.metadata.annotations[ARGOCD_REFRESH_ANNOTATION];
          app.status = {
            reconciledAt: '2026-11-01T10:00:00Z',
            sync: {
              status: 'OutOfSync',
              revision: argo.head,
              comparedTo: { source: app.spec.source },
            },
          };
        }, argo.compareAfterMs);
      }
      return app;
    },
  };
  return { provider: () => client as unknown as ClusterClient, patches };
}

/** One of the environment's Applications, as its bootstrap registers it. */
function registered(
  role: 'infrastructure' | 'forwarder',
  status?: any,
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
      source: { ...source, path: `environments/acme-prod/${role}` },
      destination: {
        server: 'https://kubernetes.default.svc',
        namespace: 'openshift-logging',
      },
    },
    status,
  };
}

const application = (status?: any) => registered('infrastructure', status);

describe('ArgoRevisionSource', () => {
  it('reads the compared revision without touching the Application', async () => {
    const { provider, patches } = fakeCluster(
      application({
        sync: {
          status: 'OutOfSync',
          revision: 'aaa111',
          comparedTo: { source },
        },
      }),
      { head: 'bbb222' },
    );
    const revisions = new ArgoRevisionSource({ clusters: provider });
    expect(await revisions.current(environment)).toEqual({
      revision: 'aaa111',
      binding: expect.stringMatching(/^[0-9a-f]{64}$/),
      problems: [],
    });
    expect(patches).toEqual([]);
  });

  it("binds approvals to both Applications' source and project, and names what does not match the record", async () => {
    const compared = {
      sync: { status: 'OutOfSync', revision: 'aaa111', comparedTo: { source } },
    };
    const read = (forwarder: any) =>
      new ArgoRevisionSource({
        clusters: fakeCluster(application(compared), { head: 'x' }, forwarder)
          .provider,
      }).current(environment);
    const before = await read(registered('forwarder'));
    const moved = registered('forwarder');
    moved.spec.source.path = 'environments/evil/forwarder';
    moved.spec.project = 'evil-logging';
    const after = await read(moved);
    expect(after.revision).toBe('aaa111');
    expect(after.binding).not.toBe(before.binding);
    expect(after.problems).toEqual([
      'Application openshift-gitops/acme-prod-logging-forwarder: spec.project must be "acme-prod-logging"',
      'Application openshift-gitops/acme-prod-logging-forwarder: spec.source.path must be "environments/acme-prod/forwarder"',
    ]);
    expect((await read(null)).problems).toEqual([
      'Application openshift-gitops/acme-prod-logging-forwarder is not registered',
    ]);
  });

  it("never refreshes an Application that is not the environment's own", async () => {
    const foreign = application({
      sync: { status: 'Synced', revision: 'aaa111', comparedTo: { source } },
    });
    foreign.metadata.labels['logging-environments.io/environment'] = 'c1-dev';
    const { provider, patches } = fakeCluster(foreign, {
      head: 'bbb222',
      compareAfterMs: 10,
    });
    const reading = await new ArgoRevisionSource({
      clusters: provider,
    }).read(environment, { refresh: true });
    expect(patches).toEqual([]);
    expect(reading.note).toBe(
      'not refreshed: Application openshift-gitops/acme-prod-logging-infrastructure: metadata.labels["logging-environments.io/environment"] must be "acme-prod", not "c1-dev"',
    );
  });

  it('refreshes first when asked, and reads the new comparison', async () => {
    const { provider, patches } = fakeCluster(
      application({
        sync: { status: 'Synced', revision: 'aaa111', comparedTo: { source } },
      }),
      { head: 'bbb222', compareAfterMs: 30 },
    );
    const revisions = new ArgoRevisionSource({
      clusters: provider,
      refresh: true,
      pollIntervalMs: 10,
    });
    expect((await revisions.current(environment)).revision).toBe('bbb222');
    expect(patches).toEqual([
      {
        metadata: {
          name: 'acme-prod-logging-infrastructure',
          namespace: 'openshift-gitops',
          annotations: { [ARGOCD_REFRESH_ANNOTATION]: 'normal' },
        },
      },
    ]);
  });

  it('says so when Argo CD does not finish the refresh in time', async () => {
    const { provider } = fakeCluster(
      application({
        sync: { status: 'Synced', revision: 'aaa111', comparedTo: { source } },
      }),
      { head: 'bbb222' },
    );
    const reading = await new ArgoRevisionSource({
      clusters: provider,
      pollIntervalMs: 10,
    }).read(environment, { refresh: true, timeoutMs: 50 });
    expect(reading).toMatchObject({
      registered: true,
      revision: 'aaa111',
      refreshed: false,
      note: 'Argo CD did not finish the refresh within 0.05 s; the revision is from its previous comparison',
    });
  });

  it('is undefined before Argo CD compared the current source', async () => {
    const never = fakeCluster(application(undefined), { head: 'x' });
    expect(
      await new ArgoRevisionSource({ clusters: never.provider }).read(
        environment,
      ),
    ).toMatchObject({
      registered: true,
      refreshed: false,
      targetRevision: 'main',
      comparedAt: undefined,
      syncStatus: undefined,
      note: 'Argo CD has not compared the Application yet',
    });
    const stale = fakeCluster(
      application({
        sync: {
          revision: 'aaa111',
          comparedTo: { source: { ...source, targetRevision: 'release-1' } },
        },
      }),
      { head: 'x' },
    );
    const reading = await new ArgoRevisionSource({
      clusters: stale.provider,
    }).read(environment);
    expect(reading.revision).toBeUndefined();
    expect(reading.note).toBe(
      'Argo CD has not compared the Application since its source changed',
    );
  });

  it('says when the Application is not registered', async () => {
    const { provider } = fakeCluster(undefined, { head: 'x' });
    expect(
      await new ArgoRevisionSource({ clusters: provider }).read(environment, {
        refresh: true,
      }),
    ).toEqual({
      registered: false,
      refreshed: false,
      note: 'Application openshift-gitops/acme-prod-logging-infrastructure is not registered',
    });
  });
});
