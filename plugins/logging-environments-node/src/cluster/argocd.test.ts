/** Syncing an Application through `.operation`. */
import { EnsureError } from '../aws/errors';
import { syncApplicationViaOperation } from './argocd';
import { ClusterClient } from './client';

describe('syncApplicationViaOperation', () => {
  const app = (metadata: Record<string, unknown> = {}) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'dev', namespace: 'openshift-gitops', ...metadata },
    spec: {},
  });
  const clusterWith = (current: object) => {
    const mergePatch = jest.fn(async () => current);
    const cluster = {
      get: async () => current,
      mergePatch,
    } as unknown as ClusterClient;
    return { cluster, mergePatch };
  };
  const input = { revision: 'abc', initiatedBy: 'user:default/jane' };
  const target = { name: 'dev', namespace: 'openshift-gitops' };

  it('sets the operation of an Application', async () => {
    const { cluster, mergePatch } = clusterWith(app());
    await syncApplicationViaOperation(cluster, target, input);
    expect(mergePatch).toHaveBeenCalledWith(
      expect.objectContaining({ kind: 'Application', name: 'dev' }),
      {
        operation: expect.objectContaining({
          sync: expect.objectContaining({ revision: 'abc' }),
        }),
      },
    );
  });

  it('refuses an Application being deleted, as Argo CD does', async () => {
    const { cluster, mergePatch } = clusterWith(
      app({
        deletionTimestamp: '2026-12-07T23:00:00Z',
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      }),
    );
    const error = await syncApplicationViaOperation(
      cluster,
      target,
      input,
    ).catch(e => e);
    expect(error).toBeInstanceOf(EnsureError);
    expect(error.message).toBe(
      'Application openshift-gitops/dev: sync failed (Conflict): the Application is being deleted (Argo CD: application is deleting). Nothing was changed',
    );
    expect(mergePatch).not.toHaveBeenCalled();
  });
});
