/** Reading whether the External Secrets controller runs. */
import {
  deployment,
  fakeCluster,
  helmDeployed,
  redHatReady,
} from './__testUtils__/externalSecretsCluster';
import { EXTERNAL_SECRETS_CONFIGS } from './externalSecretsConfig';
import { readExternalSecretsController } from './externalSecretsController';

describe('readExternalSecretsController', () => {
  it('says what is missing, and that a Ready object of an old generation is not enough', async () => {
    expect(
      await readExternalSecretsController(fakeCluster().cluster, 'community'),
    ).toEqual({
      ready: false,
      missing: true,
      failed: false,
      detail:
        'no OperatorConfig: external-secrets-operator deploys no External Secrets controller until one exists',
    });
    expect(
      (
        await readExternalSecretsController(
          fakeCluster({ notServed: ['ExternalSecretsConfig'] }).cluster,
          'redhat',
        )
      ).detail,
    ).toBe(
      'the ExternalSecretsConfig CRD (operator.openshift.io/v1alpha1) is not installed: is openshift-external-secrets-operator installed?',
    );
    const stale = fakeCluster({
      objects: [
        {
          ...EXTERNAL_SECRETS_CONFIGS.redhat,
          metadata: { name: 'cluster', generation: 2 },
          status: redHatReady(1),
        },
      ],
    });
    expect(
      await readExternalSecretsController(stale.cluster, 'redhat'),
    ).toMatchObject({
      ready: false,
      missing: false,
      config: 'ExternalSecretsConfig cluster',
      detail: 'ExternalSecretsConfig cluster is not Ready for generation 2 yet',
    });
  });

  it("waits for the controller's Deployment where the cluster shows it", async () => {
    const fake = fakeCluster({
      objects: [
        {
          ...EXTERNAL_SECRETS_CONFIGS.community,
          status: helmDeployed,
        },
        deployment('openshift-operators', 'cluster-external-secrets', false),
      ],
    });
    expect(
      await readExternalSecretsController(fake.cluster, 'community'),
    ).toMatchObject({
      ready: false,
      detail:
        'OperatorConfig openshift-operators/cluster Deployed (InstallSuccessful), but Deployment openshift-operators/cluster-external-secrets is not Available (MinimumReplicasUnavailable): Deployment does not have minimum availability.',
    });

    // A portal not allowed to read Deployments takes the operator's word.
    const forbidden = fakeCluster({
      objects: [
        { ...EXTERNAL_SECRETS_CONFIGS.community, status: helmDeployed },
      ],
      forbidden: ['Deployment'],
    });
    expect(
      await readExternalSecretsController(forbidden.cluster, 'community'),
    ).toMatchObject({
      ready: true,
      detail:
        'OperatorConfig openshift-operators/cluster Deployed (InstallSuccessful)',
    });
  });

  it('reads a configuration object being deleted as not ready, whatever its status says', async () => {
    const deleting = {
      deletionTimestamp: '2026-12-07T23:00:00Z',
      finalizers: ['helm.sdk.operatorframework.io/uninstall-release'],
    };
    const community = fakeCluster({
      objects: [
        {
          ...EXTERNAL_SECRETS_CONFIGS.community,
          metadata: {
            ...EXTERNAL_SECRETS_CONFIGS.community.metadata,
            ...deleting,
          },
          status: helmDeployed,
        },
        deployment('openshift-operators', 'cluster-external-secrets', true),
      ],
    });
    expect(
      await readExternalSecretsController(community.cluster, 'community'),
    ).toEqual({
      config: 'OperatorConfig openshift-operators/cluster',
      ref: expect.objectContaining({ name: 'cluster' }),
      ready: false,
      missing: false,
      failed: false,
      detail:
        'OperatorConfig openshift-operators/cluster is being deleted: its operator is removing the External Secrets controller',
    });
    const redhat = fakeCluster({
      objects: [
        {
          ...EXTERNAL_SECRETS_CONFIGS.redhat,
          metadata: { name: 'cluster', generation: 2, ...deleting },
          status: redHatReady(2),
        },
      ],
    });
    expect(
      await readExternalSecretsController(redhat.cluster, 'redhat'),
    ).toMatchObject({
      ready: false,
      detail:
        'ExternalSecretsConfig cluster is being deleted: its operator is removing the External Secrets controller',
    });
  });
});
