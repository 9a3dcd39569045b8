import { ApiException } from '@kubernetes/client-node';
import { EnsureError } from '../aws/errors';
import { ClusterClient, FIELD_MANAGER, ObjectRef } from './client';
import {
  EXTERNAL_SECRETS_CONFIGS,
  assertExternalSecretsFlavour,
  ensureExternalSecretsConfig,
  readExternalSecretsController,
} from './externalSecretsConfig';

type Obj = Record<string, any>;

const statusError = (code: 403 | 404) =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({
      kind: 'Status',
      reason: code === 404 ? 'NotFound' : 'Forbidden',
      message: 'nope',
    }),
    {},
  );

/**
 * A stand-in cluster: objects by kind/namespace/name, server-side apply
 * with managed fields and generations, and `operator`, called after each
 * read, standing for the operators that write status.
 */
function fakeCluster(
  options: {
    objects?: Obj[];
    /** Kinds without a CRD. */
    notServed?: string[];
    /** Kinds the portal may not read. */
    forbidden?: string[];
    operator?: (objects: Map<string, Obj>) => void;
  } = {},
) {
  const key = (kind: string, namespace: string | undefined, name: string) =>
    `${kind}/${namespace ?? ''}/${name}`;
  const objects = new Map<string, Obj>();
  for (const o of options.objects ?? []) {
    objects.set(key(o.kind, o.metadata.namespace, o.metadata.name), o);
  }
  const applied: string[] = [];
  const served = (kind: string) => {
    if (options.notServed?.includes(kind)) {
      throw new Error(
        `Failed to fetch resource metadata: Unrecognized API version and kind: x ${kind}`,
      );
    }
  };
  const cluster = {
    server: 'https://k8s.example.com',
    async get(ref: ObjectRef) {
      served(ref.kind);
      if (options.forbidden?.includes(ref.kind)) throw statusError(403);
      const found = objects.get(key(ref.kind, ref.namespace, ref.name));
      options.operator?.(objects);
      return structuredClone(found);
    },
    async list(_apiVersion: string, kind: string) {
      served(kind);
      return [...objects.values()]
        .filter(o => o.kind === kind)
        .map(o => structuredClone(o));
    },
    async apply(o: Obj) {
      served(o.kind);
      const k = key(o.kind, o.metadata.namespace, o.metadata.name);
      const existing = objects.get(k);
      const changed = JSON.stringify(existing?.spec) !== JSON.stringify(o.spec);
      const next = {
        ...existing,
        ...structuredClone(o),
        metadata: {
          ...existing?.metadata,
          ...o.metadata,
          generation: (existing?.metadata.generation ?? 0) + (changed ? 1 : 0),
          managedFields: [{ manager: FIELD_MANAGER, operation: 'Apply' }],
        },
        status: existing?.status,
      };
      objects.set(k, next);
      applied.push(`${o.kind} ${o.metadata.name}`);
      return structuredClone(next);
    },
  };
  return {
    cluster: cluster as unknown as ClusterClient,
    objects,
    applied,
    get: (kind: string, name: string, namespace?: string) =>
      objects.get(key(kind, namespace, name)),
  };
}

/** The Helm operator's status after installing the chart (operator-sdk). */
const helmDeployed = {
  conditions: [
    { type: 'Initialized', status: 'True' },
    {
      type: 'Deployed',
      status: 'True',
      reason: 'InstallSuccessful',
      message: 'external-secrets has been deployed successfully!',
    },
  ],
  deployedRelease: { name: 'cluster' },
};

/** Red Hat's operator's status after a successful reconcile. */
const redHatReady = (generation: number) => ({
  conditions: [
    {
      type: 'Degraded',
      status: 'False',
      reason: 'Ready',
      observedGeneration: generation,
    },
    {
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      message: 'reconciliation successful',
      observedGeneration: generation,
    },
  ],
});

const deployment = (namespace: string, name: string, available: boolean) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: { replicas: 1 },
  status: {
    availableReplicas: available ? 1 : 0,
    conditions: [
      available
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
    ],
  },
});

const fast = { timeoutMs: 2_000, pollMs: 5 };

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
});

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
});

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
