/** The ClusterSecretStore: a store being deleted is neither ready nor applied to. */
import { EnsureError } from '../aws/errors';
import { ClusterClient } from './client';
import {
  ensureClusterSecretStore,
  expectedClusterSecretStore,
  storeReadiness,
} from './secretStore';

const environment = { name: 'dev', region: 'eu-west-1', namespace: 'logs' };

const readyStatus = {
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Valid',
      message: 'store validated',
    },
  ],
};

describe('ClusterSecretStore being deleted', () => {
  const deleting = () => {
    const store = expectedClusterSecretStore(environment);
    return {
      ...store,
      metadata: {
        ...store.metadata,
        deletionTimestamp: new Date('2026-12-07T23:00:00Z'),
        finalizers: ['example.com/keep'],
      },
      status: readyStatus,
    };
  };

  it('is not ready, whatever its Ready condition still says', () => {
    expect(storeReadiness(deleting())).toEqual({
      ready: false,
      reason: 'Terminating',
      message: 'ClusterSecretStore aws-secrets-manager is being deleted',
    });
    const { deletionTimestamp: _d, ...live } = deleting().metadata;
    expect(storeReadiness({ ...deleting(), metadata: live }).ready).toBe(true);
  });

  it('is not applied to: the ensure fails naming it', async () => {
    const apply = jest.fn();
    const cluster = {
      get: async () => deleting(),
      apply,
    } as unknown as ClusterClient;
    const error = await ensureClusterSecretStore(
      cluster,
      expectedClusterSecretStore(environment),
    ).catch(e => e);
    expect(error).toBeInstanceOf(EnsureError);
    expect(error.message).toBe(
      'ClusterSecretStore aws-secrets-manager: apply failed (Conflict): ClusterSecretStore aws-secrets-manager is being deleted (a finalizer holds it: example.com/keep); run again once it is gone. Nothing was changed',
    );
    expect(apply).not.toHaveBeenCalled();
  });
});
