/**
 * Rules of the cluster probes that the sandbox test does not reach, on a
 * stand-in cluster (the probes against a real API server are tested in
 * packages/backend/src/environments/checklist.test.ts).
 */
import { testEnvironment } from '../__testUtils__/environment';
import { probeRun, readyStore } from './__testUtils__/clusterProbes';
import { operatorsProbe } from './operatorsProbe';

describe('operatorsProbe', () => {
  it('accepts External Secrets installed without OLM when its store is Ready', async () => {
    const subscription = (ns: string, pkg: string) => ({
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'Subscription',
      metadata: { name: pkg, namespace: ns },
      spec: { name: pkg },
      status: { installedCSV: `${pkg}.v1` },
    });
    const csv = (ns: string, pkg: string, phase = 'Succeeded') => ({
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'ClusterServiceVersion',
      metadata: { name: `${pkg}.v1`, namespace: ns },
      status: { phase },
    });
    const installed = [
      subscription('openshift-operators-redhat', 'loki-operator'),
      csv('openshift-operators-redhat', 'loki-operator'),
      subscription('openshift-logging', 'cluster-logging'),
      csv('openshift-logging', 'cluster-logging', 'Installing'),
      subscription('openshift-gitops-operator', 'openshift-gitops-operator'),
      csv('openshift-gitops-operator', 'openshift-gitops-operator'),
    ];
    const result = await probeRun(operatorsProbe, testEnvironment(), [
      ...installed,
      readyStore(),
    ]);
    expect(result.status).toBe('fail');
    expect(result.message).toBe(
      'cluster-logging: cluster-logging.v1 is Installing; external-secrets-operator is not installed through OLM, but External Secrets runs (ClusterSecretStore aws-secrets-manager is Ready)',
    );
    expect(result.evidence).toMatchObject({
      'loki-operator': 'loki-operator.v1 Succeeded',
      'cluster-logging': 'not ready',
    });

    // Red Hat's build of External Secrets counts as installed.
    const redHat = await probeRun(operatorsProbe, testEnvironment(), [
      ...installed.slice(0, 3),
      csv('openshift-logging', 'cluster-logging'),
      ...installed.slice(4),
      subscription(
        'external-secrets-operator',
        'openshift-external-secrets-operator',
      ),
      csv('external-secrets-operator', 'openshift-external-secrets-operator'),
    ]);
    expect(redHat.status).toBe('pass');
  });
});
