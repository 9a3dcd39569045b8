/**
 * External Secrets installed through OLM runs only once its operator's
 * configuration object exists. The stores here have no credentials Secret,
 * so a running controller answers at once (InvalidProviderConfig) without
 * asking AWS: any status at all shows that it ran.
 */
import { KubeObject } from '../../kube/types';
import {
  conditionOf,
  newTestStore,
  testContext,
  waitFor,
} from '../__testUtils__/operators';
import { startOlmController } from '../olm';
import { Controller } from '../types';
import {
  ExternalSecretsControllerOptions,
  startExternalSecretsController,
} from '.';

const CSS = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
};
const ES = { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret' };
const OPERATOR_CONFIG = {
  apiVersion: 'operator.external-secrets.io/v1alpha1',
  kind: 'OperatorConfig',
};
const ESC = {
  apiVersion: 'operator.openshift.io/v1alpha1',
  kind: 'ExternalSecretsConfig',
};

const store = (name: string): KubeObject => ({
  ...CSS,
  metadata: { name },
  spec: {
    provider: {
      aws: {
        service: 'SecretsManager',
        region: 'us-east-1',
        auth: {
          secretRef: {
            accessKeyIDSecretRef: {
              name: 'aws-credentials',
              namespace: 'external-secrets-system',
              key: 'access-key-id',
            },
            secretAccessKeySecretRef: {
              name: 'aws-credentials',
              namespace: 'external-secrets-system',
              key: 'secret-access-key',
            },
          },
        },
      },
    },
  },
});

const externalSecret = (name: string): KubeObject => ({
  ...ES,
  metadata: { name, namespace: 'openshift-logging' },
  spec: {
    secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' },
    target: { name },
    data: [{ secretKey: 'k', remoteRef: { key: 'logging/x' } }],
  },
});

const subscription = (
  namespace: string,
  pkg: string,
  channel: string,
  source: string,
): KubeObject => ({
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'Subscription',
  metadata: { name: pkg, namespace },
  spec: {
    name: pkg,
    channel,
    source,
    sourceNamespace: 'openshift-marketplace',
    installPlanApproval: 'Automatic',
  },
});

describe('External Secrets installed through OLM', () => {
  const controllers: Controller[] = [];
  afterEach(() => {
    for (const c of controllers.splice(0)) c.stop();
  });

  function setup(options: ExternalSecretsControllerOptions = {}) {
    const kube = newTestStore([
      'external-secrets-system',
      'openshift-logging',
      'external-secrets-operator',
    ]);
    const ctx = testContext(kube);
    controllers.push(
      startOlmController(ctx),
      startExternalSecretsController(ctx, options),
    );
    const csvSucceeded = (namespace: string) =>
      waitFor(
        () =>
          kube
            .list('operators.coreos.com/v1alpha1', 'ClusterServiceVersion', {
              namespace,
            })
            .some(c => (c.status as any)?.phase === 'Succeeded'),
        { what: `a CSV in ${namespace} to succeed` },
      );
    const reconciled = (ref: { name: string; namespace?: string }, o = CSS) =>
      conditionOf(kube.get({ ...o, ...ref }), 'Ready');
    /** Long enough for a running controller to have answered several times. */
    const settle = () =>
      new Promise(r => setTimeout(r, ctx.profile.esoReconcileMs * 8));
    return { kube, ctx, csvSucceeded, reconciled, settle };
  }

  it('runs as before when it was installed another way (no CSV)', async () => {
    const { kube, reconciled } = setup();
    kube.create(store('aws-secrets-manager'));
    expect(
      await waitFor(() => reconciled({ name: 'aws-secrets-manager' })),
    ).toMatchObject({ status: 'False', reason: 'InvalidProviderConfig' });
  });

  it('community: reconciles nothing until an OperatorConfig exists, which it then reports Deployed', async () => {
    const { kube, ctx, csvSucceeded, reconciled, settle } = setup();
    kube.create(
      subscription(
        'openshift-operators',
        'external-secrets-operator',
        'stable',
        'community-operators',
      ),
    );
    await csvSucceeded('openshift-operators');
    kube.create(store('aws-secrets-manager'));
    kube.create(externalSecret('loki-s3'));
    await settle();
    expect(kube.get({ ...CSS, name: 'aws-secrets-manager' })?.status).toBe(
      undefined,
    );
    expect(
      kube.get({ ...ES, namespace: 'openshift-logging', name: 'loki-s3' })
        ?.status,
    ).toBe(undefined);
    expect(ctx.logs).toContain(
      'external-secrets: controller not running: external-secrets-operator: no OperatorConfig deployed',
    );

    kube.create({
      ...OPERATOR_CONFIG,
      metadata: { name: 'cluster', namespace: 'openshift-operators' },
      spec: { installCRDs: false },
    });
    const config = await waitFor(() => {
      const o = kube.get({
        ...OPERATOR_CONFIG,
        namespace: 'openshift-operators',
        name: 'cluster',
      });
      return conditionOf(o, 'Deployed') && o;
    });
    expect(config.status).toEqual({
      conditions: [
        {
          type: 'Initialized',
          status: 'True',
          lastTransitionTime: expect.any(String),
        },
        {
          type: 'Deployed',
          status: 'True',
          reason: 'InstallSuccessful',
          message:
            'external-secrets has been deployed successfully in namespace openshift-operators!',
          lastTransitionTime: expect.any(String),
        },
      ],
      deployedRelease: { name: 'cluster' },
    });
    expect(
      await waitFor(() => config.metadata.finalizers?.length && config),
    ).toBe(config);
    expect(config.metadata.finalizers).toEqual([
      'helm.sdk.operatorframework.io/uninstall-release',
    ]);
    expect(
      await waitFor(() => reconciled({ name: 'aws-secrets-manager' })),
    ).toMatchObject({ reason: 'InvalidProviderConfig' });
    expect(
      await waitFor(() =>
        reconciled({ namespace: 'openshift-logging', name: 'loki-s3' }, ES),
      ),
    ).toMatchObject({ status: 'False', reason: 'SecretSyncedError' });

    // Deleting the OperatorConfig uninstalls the release, and the
    // controller stops; the finalizer holds the object until then.
    const events: Array<{ type: string; object: KubeObject }> = [];
    kube.watch(OPERATOR_CONFIG.apiVersion, OPERATOR_CONFIG.kind, e =>
      events.push(e),
    );
    const marked = kube.delete({
      ...OPERATOR_CONFIG,
      namespace: 'openshift-operators',
      name: 'cluster',
    });
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    kube.create(store('another'));
    await waitFor(
      () =>
        !kube.get({
          ...OPERATOR_CONFIG,
          namespace: 'openshift-operators',
          name: 'cluster',
        }),
      { what: 'the OperatorConfig to be gone' },
    );
    expect(events.map(e => e.type)).toEqual([
      'MODIFIED', // deletionTimestamp
      'MODIFIED', // the uninstall's status
      'DELETED', // the finalizer removed
    ]);
    expect(events[1].object.status).toEqual({
      conditions: [
        expect.objectContaining({ type: 'Initialized', status: 'True' }),
        {
          type: 'Deployed',
          status: 'False',
          reason: 'UninstallSuccessful',
          lastTransitionTime: expect.any(String),
        },
      ],
    });
    expect(ctx.logs).toContain(
      'external-secrets: external-secrets-operator removed the controller for OperatorConfig openshift-operators/cluster',
    );
    await settle();
    expect(kube.get({ ...CSS, name: 'another' })?.status).toBe(undefined);
  });

  it('redhat: waits for the ExternalSecretsConfig named cluster, which it then reports Ready', async () => {
    const { kube, csvSucceeded, reconciled, settle } = setup();
    kube.create({ ...ESC, metadata: { name: 'other' }, spec: {} });
    kube.create({
      apiVersion: 'operators.coreos.com/v1',
      kind: 'OperatorGroup',
      metadata: {
        name: 'external-secrets-operator',
        namespace: 'external-secrets-operator',
      },
      spec: {},
    });
    kube.create(
      subscription(
        'external-secrets-operator',
        'openshift-external-secrets-operator',
        'stable-v1',
        'redhat-operators',
      ),
    );
    await csvSucceeded('external-secrets-operator');
    kube.create(store('aws-secrets-manager'));
    await settle();
    // Another name is not the singleton: no controller.
    expect(kube.get({ ...ESC, name: 'other' })?.status).toBe(undefined);
    expect(kube.get({ ...CSS, name: 'aws-secrets-manager' })?.status).toBe(
      undefined,
    );

    kube.create({ ...ESC, metadata: { name: 'cluster' }, spec: {} });
    const ready = await waitFor(() =>
      conditionOf(kube.get({ ...ESC, name: 'cluster' }), 'Ready'),
    );
    expect(ready).toMatchObject({
      status: 'True',
      reason: 'Ready',
      message: 'reconciliation successful',
      observedGeneration: 1,
    });
    expect(
      conditionOf(kube.get({ ...ESC, name: 'cluster' }), 'Degraded'),
    ).toMatchObject({ status: 'False', reason: 'Ready' });
    expect(kube.get({ ...ESC, name: 'cluster' })!.metadata.finalizers).toEqual([
      'externalsecretsconfigs.operator.openshift.io/external-secrets-controller',
    ]);
    expect(
      await waitFor(() => reconciled({ name: 'aws-secrets-manager' })),
    ).toMatchObject({ reason: 'InvalidProviderConfig' });

    // Deleted, it is held until the operator removed the operand.
    const marked = kube.delete({ ...ESC, name: 'cluster' });
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    kube.create(store('another'));
    await waitFor(() => !kube.get({ ...ESC, name: 'cluster' }), {
      what: 'the ExternalSecretsConfig to be gone',
    });
    await settle();
    expect(kube.get({ ...CSS, name: 'another' })?.status).toBe(undefined);
  });

  it('keeps a configuration object being deleted while its operator is not running', async () => {
    const { kube, csvSucceeded } = setup();
    kube.create(
      subscription(
        'openshift-operators',
        'external-secrets-operator',
        'stable',
        'community-operators',
      ),
    );
    await csvSucceeded('openshift-operators');
    const ref = {
      ...OPERATOR_CONFIG,
      namespace: 'openshift-operators',
      name: 'cluster',
    };
    kube.create({
      ...OPERATOR_CONFIG,
      metadata: { name: 'cluster', namespace: 'openshift-operators' },
      spec: {},
    });
    await waitFor(() => kube.get(ref)?.metadata.finalizers?.length);
    // The operator is uninstalled: nobody removes the finalizer.
    const olm = 'operators.coreos.com/v1alpha1';
    kube.delete({
      apiVersion: olm,
      kind: 'Subscription',
      namespace: 'openshift-operators',
      name: 'external-secrets-operator',
    });
    for (const csv of kube.list(olm, 'ClusterServiceVersion', {
      namespace: 'openshift-operators',
    })) {
      kube.delete({
        ...csv,
        name: csv.metadata.name,
        namespace: 'openshift-operators',
      });
    }
    kube.delete(ref);
    await new Promise(r => setTimeout(r, 300));
    expect(kube.get(ref)?.metadata.deletionTimestamp).toBeDefined();
  });

  it('answers no configuration object before its operator is installed', async () => {
    const { kube, settle } = setup();
    kube.create({ ...ESC, metadata: { name: 'cluster' }, spec: {} });
    kube.create({
      ...OPERATOR_CONFIG,
      metadata: { name: 'cluster', namespace: 'openshift-operators' },
      spec: {},
    });
    await settle();
    expect(kube.get({ ...ESC, name: 'cluster' })?.status).toBe(undefined);
    expect(
      kube.get({
        ...OPERATOR_CONFIG,
        namespace: 'openshift-operators',
        name: 'cluster',
      })?.status,
    ).toBe(undefined);
  });

  it('runs without the configuration object when the switch is off', async () => {
    const { kube, csvSucceeded, reconciled } = setup({
      requireOperatorConfig: false,
    });
    kube.create(
      subscription(
        'openshift-operators',
        'external-secrets-operator',
        'stable',
        'community-operators',
      ),
    );
    await csvSucceeded('openshift-operators');
    kube.create(store('aws-secrets-manager'));
    expect(
      await waitFor(() => reconciled({ name: 'aws-secrets-manager' })),
    ).toMatchObject({ reason: 'InvalidProviderConfig' });
  });
});
