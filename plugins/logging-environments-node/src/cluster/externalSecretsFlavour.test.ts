/** Refusing a second External Secrets flavour. */
import { ClusterClient } from './client';
import {
  fakeCluster,
  statusError,
} from './__testUtils__/externalSecretsCluster';
import { assertExternalSecretsFlavour } from './externalSecretsFlavour';

describe('assertExternalSecretsFlavour', () => {
  const subscription = (namespace: string, pkg: string) => ({
    apiVersion: 'operators.coreos.com/v1alpha1',
    kind: 'Subscription',
    metadata: { name: pkg, namespace },
    spec: { name: pkg },
  });

  it("refuses one flavour where the other's Subscription exists", async () => {
    const fake = fakeCluster({
      objects: [
        subscription('openshift-operators', 'external-secrets-operator'),
      ],
    });
    await expect(
      assertExternalSecretsFlavour(fake.cluster, 'community'),
    ).resolves.toBeUndefined();
    await expect(
      assertExternalSecretsFlavour(fake.cluster, 'redhat'),
    ).rejects.toThrow(
      'External Secrets (redhat): check the installed External Secrets failed (Conflict): the cluster already subscribes to external-secrets-operator (Subscription openshift-operators/external-secrets-operator, the "community" flavour); two External Secrets controllers would fight over every ExternalSecret. Set the cluster\'s externalSecretsFlavour to "community", or uninstall external-secrets-operator first. Nothing was changed',
    );
  });

  it('accepts a cluster without OLM', async () => {
    const cluster = {
      async list() {
        throw statusError(404);
      },
    } as unknown as ClusterClient;
    await expect(
      assertExternalSecretsFlavour(cluster, 'redhat'),
    ).resolves.toBeUndefined();
  });
});
