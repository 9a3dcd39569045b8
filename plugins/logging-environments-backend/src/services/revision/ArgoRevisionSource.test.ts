import { ClusterClient } from '@internal/plugin-logging-environments-node';
import { testEnvironment } from '../__testUtils__/environment';
import { Environment } from '../types';
import {
  ARGOCD_REFRESH_ANNOTATION,
  ArgoRevisionSource,
} from './ArgoRevisionSource';

const environment: Environment = testEnvironment({ cluster: 'prod-1' });

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
) {
  const patches: unknown[] = [];
  const client = {
    server: 'https://api.prod-1.example.com:6443',
    async get(ref: any) {
      if (ref.name !== app?.metadata.name) return undefined;
      return structuredClone(app);
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

const application = (status?: any) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: {
    name: 'acme-prod-logging-infrastructure',
    namespace: 'openshift-gitops',
  },
  spec: { source: { ...source } },
  status,
});

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
    expect(await revisions.currentRevision(environment)).toBe('aaa111');
    expect(patches).toEqual([]);
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
    expect(await revisions.currentRevision(environment)).toBe('bbb222');
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
    ).toEqual({
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
