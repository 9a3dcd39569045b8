import { ApiException } from '@kubernetes/client-node';
import { EnsureError } from '../aws/errors';
import { ClusterClient, ObjectRef } from './client';
import { ensureOperators } from './operators';

const subscription = {
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'Subscription',
  metadata: { name: 'loki-operator', namespace: 'openshift-operators-redhat' },
  spec: { channel: 'stable-6.2', name: 'loki-product' },
};

/** What client-node throws for a `Status` answer. */
const statusError = (code: number, reason: string, message: string) =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({ kind: 'Status', status: 'Failure', reason, message }),
    {},
  );

/** A cluster holding the Subscription with the given status; reading a CSV fails. */
function fakeCluster(subscriptionStatus: Record<string, unknown>) {
  const applied: string[] = [];
  const cluster = {
    async get(ref: ObjectRef) {
      if (ref.kind === 'ClusterServiceVersion') {
        throw statusError(503, 'ServiceUnavailable', 'etcd is unavailable');
      }
      if (ref.kind === 'Subscription') {
        return { ...subscription, status: subscriptionStatus };
      }
      return undefined;
    },
    async apply(o: { kind: string; metadata: { name: string } }) {
      applied.push(`${o.kind} ${o.metadata.name}`);
      return o;
    },
  };
  return { cluster: cluster as unknown as ClusterClient, applied };
}

describe('ensureOperators', () => {
  it('names the Subscription and the Status reason when reading its CSV fails', async () => {
    const { cluster, applied } = fakeCluster({
      installedCSV: 'loki-operator.v6.2.0',
    });
    const error = await ensureOperators(cluster, [subscription]).catch(e => e);
    expect(error).toBeInstanceOf(EnsureError);
    expect(error.message).toBe(
      'Subscription openshift-operators-redhat/loki-operator: read its CSV failed (ServiceUnavailable): etcd is unavailable. Nothing was changed',
    );
    expect(applied).toEqual([]);
  });

  it('says what was applied when a CSV read fails while waiting', async () => {
    const { cluster, applied } = fakeCluster({
      currentCSV: 'loki-operator.v6.2.0',
    });
    const error = await ensureOperators(cluster, [subscription], {
      timeoutMs: 1000,
    }).catch(e => e);
    expect(error.message).toBe(
      'Subscription openshift-operators-redhat/loki-operator: read its CSV failed (ServiceUnavailable): etcd is unavailable. Already done: applied Subscription openshift-operators-redhat/loki-operator',
    );
    expect(applied).toEqual(['Subscription loki-operator']);
  });
});
