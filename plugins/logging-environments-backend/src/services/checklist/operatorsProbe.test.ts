/**
 * Rules of the cluster probes that the sandbox test does not reach, on a
 * stand-in cluster (the probes against a real API server are tested in
 * packages/backend/src/environments/checklist.test.ts).
 */
import { testEnvironment } from '../__testUtils__/environment';
import { probeRun, readyStore } from './__testUtils__/clusterProbes';
import { operatorsProbe } from './operatorsProbe';

describe('operatorsProbe', () => {
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

  it('accepts External Secrets installed without OLM when its store is Ready', async () => {
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

    // Red Hat's build of External Secrets counts as installed, once its
    // ExternalSecretsConfig says the controller is deployed.
    const redHatInstalled = [
      ...installed.slice(0, 3),
      csv('openshift-logging', 'cluster-logging'),
      ...installed.slice(4),
      subscription(
        'external-secrets-operator',
        'openshift-external-secrets-operator',
      ),
      csv('external-secrets-operator', 'openshift-external-secrets-operator'),
    ];
    const noConfig = await probeRun(
      operatorsProbe,
      testEnvironment(),
      redHatInstalled,
    );
    expect(noConfig.status).toBe('fail');
    expect(noConfig.message).toBe(
      'openshift-external-secrets-operator: no ExternalSecretsConfig: openshift-external-secrets-operator deploys no External Secrets controller until one exists. Fix: create the ExternalSecretsConfig cluster (operator.openshift.io/v1alpha1) as manifests/operators does, or run the operators step (logging:operators:ensure) again',
    );
    const redHat = await probeRun(operatorsProbe, testEnvironment(), [
      ...redHatInstalled,
      {
        apiVersion: 'operator.openshift.io/v1alpha1',
        kind: 'ExternalSecretsConfig',
        metadata: { name: 'cluster', generation: 1 },
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Ready',
              message: 'reconciliation successful',
              observedGeneration: 1,
            },
          ],
        },
      },
    ]);
    expect(redHat.status).toBe('pass');
    expect(redHat.evidence).toMatchObject({
      'external-secrets-operator':
        'openshift-external-secrets-operator.v1 Succeeded',
      'external-secrets controller': 'ExternalSecretsConfig cluster Ready',
    });
  });

  it('fails without the OperatorConfig of the community operator, with the fix, and passes once it is Deployed', async () => {
    const all = [
      ...installed.slice(0, 3),
      csv('openshift-logging', 'cluster-logging'),
      ...installed.slice(4),
      subscription('openshift-operators', 'external-secrets-operator'),
      csv('openshift-operators', 'external-secrets-operator'),
    ];
    const missing = await probeRun(operatorsProbe, testEnvironment(), all);
    expect(missing.status).toBe('fail');
    expect(missing.message).toBe(
      'external-secrets-operator: no OperatorConfig: external-secrets-operator deploys no External Secrets controller until one exists. Fix: create the OperatorConfig openshift-operators/cluster (operator.external-secrets.io/v1alpha1) as manifests/operators does, or run the operators step (logging:operators:ensure) again',
    );
    expect(missing.evidence).toMatchObject({
      'external-secrets-operator': 'external-secrets-operator.v1 Succeeded',
      'external-secrets controller': 'not running',
    });

    const operatorConfig = (status?: unknown) => ({
      apiVersion: 'operator.external-secrets.io/v1alpha1',
      kind: 'OperatorConfig',
      metadata: { name: 'cluster', namespace: 'openshift-operators' },
      spec: { installCRDs: false },
      ...(status ? { status } : {}),
    });
    const failing = await probeRun(operatorsProbe, testEnvironment(), [
      ...all,
      operatorConfig({
        conditions: [
          {
            type: 'ReleaseFailed',
            status: 'True',
            reason: 'InstallError',
            message: 'timed out waiting for the condition',
          },
        ],
      }),
    ]);
    expect(failing.status).toBe('fail');
    expect(failing.message).toBe(
      "external-secrets-operator: OperatorConfig openshift-operators/cluster is ReleaseFailed (InstallError): timed out waiting for the condition. Fix: see the status of OperatorConfig openshift-operators/cluster and the operator's logs, then run the operators step (logging:operators:ensure) again",
    );

    const deployed = await probeRun(operatorsProbe, testEnvironment(), [
      ...all,
      operatorConfig({
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Deployed', status: 'True', reason: 'InstallSuccessful' },
        ],
      }),
    ]);
    expect(deployed.status).toBe('pass');
    expect(deployed.evidence).toMatchObject({
      'external-secrets controller':
        'OperatorConfig openshift-operators/cluster Deployed (InstallSuccessful)',
    });
  });

  it('fails when both External Secrets operators are subscribed', async () => {
    const result = await probeRun(operatorsProbe, testEnvironment(), [
      ...installed,
      subscription('openshift-operators', 'external-secrets-operator'),
      subscription(
        'external-secrets-operator',
        'openshift-external-secrets-operator',
      ),
    ]);
    expect(result.status).toBe('fail');
    expect(result.message).toContain(
      'two External Secrets operators are subscribed (external-secrets-operator, openshift-external-secrets-operator): their controllers fight over every ExternalSecret; uninstall one',
    );
  });
});
