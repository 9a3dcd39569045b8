/** Refuses an External Secrets flavour where the other flavour's operator is already subscribed. */
import { EnsureError } from '../aws/errors';
import { ClusterClient, kubeStatus } from './client';
import { Obj, describeObject } from './externalSecretsConfig';
import {
  EXTERNAL_SECRETS_OPERATORS,
  ExternalSecretsFlavour,
} from './operatorManifests';
import { kubeStep } from './step';

/**
 * Refuses to install one External Secrets flavour where the other one's
 * OLM Subscription exists: two controllers would reconcile every
 * ExternalSecret (Red Hat: "Do not attempt to use more than one External
 * Secrets Operator in your cluster"). Read only.
 *
 * @public
 */
export async function assertExternalSecretsFlavour(
  cluster: ClusterClient,
  flavour: ExternalSecretsFlavour,
): Promise<void> {
  const resource = `External Secrets (${flavour})`;
  const subscriptions = await kubeStep(
    resource,
    'list the OLM Subscriptions',
    [],
    async () => {
      try {
        return await cluster.list<Obj>(
          'operators.coreos.com/v1alpha1',
          'Subscription',
        );
      } catch (e) {
        // No OLM: nothing is installed through it.
        if (kubeStatus(e).code === 404) return [];
        throw e;
      }
    },
  );
  for (const [other, op] of Object.entries(EXTERNAL_SECRETS_OPERATORS)) {
    if (other === flavour) continue;
    const sub = subscriptions.find(s => s.spec?.name === op.package);
    if (sub) {
      throw new EnsureError(
        resource,
        'check the installed External Secrets',
        'Conflict',
        [],
        undefined,
        `the cluster already subscribes to ${op.package} (${describeObject(
          sub,
        )}, the "${other}" flavour); two External Secrets controllers would fight over every ExternalSecret. Set the cluster's externalSecretsFlavour to "${other}", or uninstall ${
          op.package
        } first`,
      );
    }
  }
}
