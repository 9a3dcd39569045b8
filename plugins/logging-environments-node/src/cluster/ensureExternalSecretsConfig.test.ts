/** Applying or adopting the External Secrets configuration object, and waiting for the controller. */
import { EnsureError } from '../aws/errors';
import {
  deployment,
  fakeCluster,
  fast,
  helmDeployed,
  redHatReady,
} from './__testUtils__/externalSecretsCluster';
import { ensureExternalSecretsConfig } from './ensureExternalSecretsConfig';

describe('ensureExternalSecretsConfig', () => {
  it('creates the OperatorConfig of the community operator, waits until its chart is Deployed, and is idempotent', async () => {
    let reads = 0;
    const fake = fakeCluster({
      // The Helm operator installs the chart a few reads after the object appears.
      operator: objects => {
        const config = objects.get(
          'OperatorConfig/openshift-operators/cluster',
        );
        if (config && ++reads > 3) config.status = helmDeployed;
      },
    });
    const first = await ensureExternalSecretsConfig(
      fake.cluster,
      'community',
      fast,
    );
    expect(first).toEqual({
      resource: 'OperatorConfig openshift-operators/cluster',
      action: 'created',
      changes: [
        'controller running: OperatorConfig openshift-operators/cluster Deployed (InstallSuccessful)',
      ],
    });
    expect(
      fake.get('OperatorConfig', 'cluster', 'openshift-operators'),
    ).toMatchObject({
      apiVersion: 'operator.external-secrets.io/v1alpha1',
      spec: { installCRDs: false },
    });
    expect(fake.applied).toEqual(['OperatorConfig cluster']);

    const second = await ensureExternalSecretsConfig(
      fake.cluster,
      'community',
      fast,
    );
    expect(second.action).toBe('unchanged');
    expect(fake.applied).toEqual(['OperatorConfig cluster']);
  });

  it("creates Red Hat's ExternalSecretsConfig, waits for Ready and the controller's Deployment, and is idempotent", async () => {
    let reads = 0;
    const fake = fakeCluster({
      operator: objects => {
        const config = objects.get('ExternalSecretsConfig//cluster');
        if (!config) return;
        config.status = redHatReady(config.metadata.generation);
        // The pods start a little after the operator applied the Deployment.
        const available = ++reads > 4;
        objects.set(
          'Deployment/external-secrets/external-secrets',
          deployment('external-secrets', 'external-secrets', available),
        );
      },
    });
    const first = await ensureExternalSecretsConfig(
      fake.cluster,
      'redhat',
      fast,
    );
    expect(first).toEqual({
      resource: 'ExternalSecretsConfig cluster',
      action: 'created',
      changes: [
        'controller running: ExternalSecretsConfig cluster Ready; Deployment external-secrets/external-secrets Available',
      ],
    });
    expect(fake.get('ExternalSecretsConfig', 'cluster')!.spec).toEqual({
      controllerConfig: {
        networkPolicies: [
          {
            name: 'allow-aws-secrets-manager',
            componentName: 'ExternalSecretsCoreController',
            egress: [{ ports: [{ protocol: 'TCP', port: 443 }] }],
          },
        ],
      },
    });

    const second = await ensureExternalSecretsConfig(
      fake.cluster,
      'redhat',
      fast,
    );
    expect(second.action).toBe('unchanged');
    expect(fake.applied).toEqual(['ExternalSecretsConfig cluster']);

    // Someone dropped the network policy: the bootstrap puts it back.
    fake.get('ExternalSecretsConfig', 'cluster')!.spec = {};
    const third = await ensureExternalSecretsConfig(
      fake.cluster,
      'redhat',
      fast,
    );
    expect(third.action).toBe('updated');
    expect(fake.applied).toHaveLength(2);
    expect(
      fake.get('ExternalSecretsConfig', 'cluster')!.spec.controllerConfig
        .networkPolicies,
    ).toHaveLength(1);
  });

  it('adopts an OperatorConfig someone else made instead of deploying a second controller', async () => {
    const fake = fakeCluster({
      objects: [
        {
          apiVersion: 'operator.external-secrets.io/v1alpha1',
          kind: 'OperatorConfig',
          metadata: {
            name: 'instance',
            namespace: 'external-secrets',
            managedFields: [{ manager: 'kubectl-client-side-apply' }],
          },
          spec: {},
          status: helmDeployed,
        },
        // The chart's Deployment is named after the release.
        deployment('external-secrets', 'instance-external-secrets', true),
      ],
    });
    const result = await ensureExternalSecretsConfig(
      fake.cluster,
      'community',
      fast,
    );
    expect(result).toEqual({
      resource: 'OperatorConfig external-secrets/instance',
      action: 'adopted',
      changes: [
        'controller running: OperatorConfig external-secrets/instance Deployed (InstallSuccessful); Deployment external-secrets/instance-external-secrets Available',
      ],
    });
    expect(fake.applied).toEqual([]);
  });

  it('only reports in a dry run, also before the operator installed the CRD', async () => {
    const fake = fakeCluster({ notServed: ['ExternalSecretsConfig'] });
    expect(
      await ensureExternalSecretsConfig(fake.cluster, 'redhat', {
        ...fast,
        dryRun: true,
      }),
    ).toEqual({
      resource: 'ExternalSecretsConfig cluster',
      action: 'would-create',
      changes: [
        'after openshift-external-secrets-operator installs the ExternalSecretsConfig CRD',
      ],
    });
    const served = fakeCluster();
    expect(
      (
        await ensureExternalSecretsConfig(served.cluster, 'community', {
          ...fast,
          dryRun: true,
        })
      ).action,
    ).toBe('would-create');
    expect(served.applied).toEqual([]);

    // Not in a dry run: the operator must be installed first.
    const error = await ensureExternalSecretsConfig(
      fake.cluster,
      'redhat',
      fast,
    ).catch(e => e);
    expect(error).toBeInstanceOf(EnsureError);
    expect(error.message).toBe(
      'ExternalSecretsConfig cluster: read failed (NotFound): the ExternalSecretsConfig CRD (operator.openshift.io/v1alpha1) is not installed: install openshift-external-secrets-operator first (the operators step with externalSecrets). Nothing was changed',
    );
  });

  it('names what is missing when the controller does not come up in time', async () => {
    const silent = fakeCluster();
    const timeout = await ensureExternalSecretsConfig(
      silent.cluster,
      'community',
      {
        timeoutMs: 50,
        pollMs: 5,
      },
    ).catch(e => e);
    expect(timeout.message).toBe(
      'OperatorConfig openshift-operators/cluster: wait for the External Secrets controller failed (Timeout): not running after 50 ms: OperatorConfig openshift-operators/cluster has no status: its operator has not processed it (is the operator running?). Already done: applied OperatorConfig openshift-operators/cluster',
    );

    const failing = fakeCluster({
      operator: objects => {
        const config = objects.get(
          'OperatorConfig/openshift-operators/cluster',
        );
        if (config) {
          config.status = {
            conditions: [
              { type: 'Initialized', status: 'True' },
              {
                type: 'ReleaseFailed',
                status: 'True',
                reason: 'InstallError',
                message:
                  'rendered manifests contain a resource that already exists',
              },
            ],
          };
        }
      },
    });
    const released = await ensureExternalSecretsConfig(
      failing.cluster,
      'community',
      { timeoutMs: 50, pollMs: 5 },
    ).catch(e => e);
    expect(released.message).toContain(
      'not running after 50 ms: OperatorConfig openshift-operators/cluster is ReleaseFailed (InstallError): rendered manifests contain a resource that already exists',
    );

    // Red Hat's operator gives up on some errors: no point in waiting.
    const degraded = fakeCluster({
      operator: objects => {
        const config = objects.get('ExternalSecretsConfig//cluster');
        if (config) {
          config.status = {
            conditions: [
              {
                type: 'Degraded',
                status: 'True',
                reason: 'Failed',
                message:
                  'reconciliation failed with irrecoverable error, not retrying: invalid configuration',
              },
            ],
          };
        }
      },
    });
    const started = Date.now();
    const gaveUp = await ensureExternalSecretsConfig(
      degraded.cluster,
      'redhat',
      { timeoutMs: 10_000, pollMs: 5 },
    ).catch(e => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(gaveUp.message).toBe(
      'ExternalSecretsConfig cluster: wait for the External Secrets controller failed (Degraded): openshift-external-secrets-operator reports: ExternalSecretsConfig cluster is Degraded (Failed): reconciliation failed with irrecoverable error, not retrying: invalid configuration. Already done: applied ExternalSecretsConfig cluster',
    );
  });

  describe('a configuration object being deleted', () => {
    const leaving = () => ({
      apiVersion: 'operator.external-secrets.io/v1alpha1',
      kind: 'OperatorConfig',
      metadata: {
        name: 'cluster',
        namespace: 'openshift-operators',
        deletionTimestamp: '2026-12-07T23:00:00Z',
        finalizers: ['helm.sdk.operatorframework.io/uninstall-release'],
        managedFields: [{ manager: 'kubectl-client-side-apply' }],
      },
      spec: {},
      status: helmDeployed,
    });

    it('is not adopted: it waits until the operator removed it, then creates its own', async () => {
      let reads = 0;
      const fake = fakeCluster({
        objects: [leaving()],
        operator: objects => {
          const key = 'OperatorConfig/openshift-operators/cluster';
          const config = objects.get(key);
          if (!config) return;
          // A few reads later the operator has uninstalled and the object is gone.
          if (config.metadata.deletionTimestamp) {
            if (++reads > 3) objects.delete(key);
          } else {
            config.status = helmDeployed;
          }
        },
      });
      const result = await ensureExternalSecretsConfig(
        fake.cluster,
        'community',
        fast,
      );
      expect(result).toEqual({
        resource: 'OperatorConfig openshift-operators/cluster',
        action: 'created',
        changes: [
          'controller running: OperatorConfig openshift-operators/cluster Deployed (InstallSuccessful)',
        ],
      });
      expect(fake.applied).toEqual(['OperatorConfig cluster']);
      expect(
        fake.get('OperatorConfig', 'cluster', 'openshift-operators')!.metadata
          .deletionTimestamp,
      ).toBeUndefined();
    });

    it('fails naming it when it stays, and a dry run only reports', async () => {
      const fake = fakeCluster({ objects: [leaving()] });
      expect(
        await ensureExternalSecretsConfig(fake.cluster, 'community', {
          ...fast,
          dryRun: true,
        }),
      ).toEqual({
        resource: 'OperatorConfig openshift-operators/cluster',
        action: 'would-create',
        changes: [
          'after OperatorConfig openshift-operators/cluster, being deleted, is gone',
        ],
      });
      const error = await ensureExternalSecretsConfig(
        fake.cluster,
        'community',
        { timeoutMs: 50, pollMs: 5 },
      ).catch(e => e);
      expect(error).toBeInstanceOf(EnsureError);
      expect(error.message).toBe(
        'OperatorConfig openshift-operators/cluster: wait for the deletion to finish failed (Timeout): OperatorConfig openshift-operators/cluster is being deleted and still there after 50 ms: its operator (external-secrets-operator) removes the External Secrets controller and then its finalizer (is the operator running?); run again once it is gone. Nothing was changed',
      );
      expect(fake.applied).toEqual([]);
    });

    it('prefers another OperatorConfig that is not being deleted', async () => {
      const other = {
        ...leaving(),
        metadata: {
          name: 'instance',
          namespace: 'external-secrets',
          managedFields: [{ manager: 'kubectl-client-side-apply' }],
        },
      };
      const fake = fakeCluster({
        objects: [
          { ...leaving(), metadata: { ...leaving().metadata, name: 'old' } },
          other,
        ],
      });
      const result = await ensureExternalSecretsConfig(
        fake.cluster,
        'community',
        fast,
      );
      expect(result).toMatchObject({
        resource: 'OperatorConfig external-secrets/instance',
        action: 'adopted',
      });
    });
  });
});
