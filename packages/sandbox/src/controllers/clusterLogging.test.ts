import { KubeObject } from '../kube/types';
import {
  collectedLogTypes,
  collectedNamespaces,
  startClusterLoggingController,
} from './clusterLogging';
import {
  conditionOf,
  newTestStore,
  testContext,
  waitFor,
} from './__testUtils__/operators';
import { Controller } from './types';

const NS = 'openshift-logging';
const CLF = {
  apiVersion: 'observability.openshift.io/v1',
  kind: 'ClusterLogForwarder',
};
const LOKI = { apiVersion: 'loki.grafana.com/v1', kind: 'LokiStack' };

// The forwarder of manifests/base/forwarder/clusterlogforwarder.yaml.
function forwarder(inputRefs = ['application', 'infrastructure']): KubeObject {
  return {
    ...CLF,
    metadata: { name: 'collector', namespace: NS },
    spec: {
      managementState: 'Managed',
      serviceAccount: { name: 'logging-collector' },
      outputs: [
        {
          name: 'default-lokistack',
          type: 'lokiStack',
          lokiStack: {
            target: { name: 'logging-loki', namespace: NS },
            authentication: { token: { from: 'serviceAccount' } },
          },
          tls: {
            ca: {
              key: 'service-ca.crt',
              configMapName: 'openshift-service-ca.crt',
            },
            securityProfile: { type: 'Intermediate' },
          },
        },
      ],
      pipelines: [
        {
          name: 'default-logstore',
          inputRefs,
          outputRefs: ['default-lokistack'],
        },
      ],
    },
  };
}

function binding(logType: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `logging-collector-collect-${logType}-logs` },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: `collect-${logType}-logs`,
    },
    subjects: [
      { kind: 'ServiceAccount', name: 'logging-collector', namespace: NS },
    ],
  };
}

function lokiStack(store: ReturnType<typeof newTestStore>, ready: boolean) {
  const existing = store.get({ ...LOKI, namespace: NS, name: 'logging-loki' });
  const stack =
    existing ??
    store.create({
      ...LOKI,
      metadata: { name: 'logging-loki', namespace: NS },
      spec: {
        size: '1x.demo',
        storage: { secret: { name: 's3', type: 's3' } },
      },
    });
  store.updateStatus({
    ...stack,
    status: {
      conditions: [
        {
          type: ready ? 'Ready' : 'Pending',
          status: 'True',
          reason: ready ? 'ReadyComponents' : 'PendingComponents',
          message: ready ? 'All components ready' : 'pending',
          lastTransitionTime: '2025-01-01T00:00:00Z',
        },
      ],
    },
  });
}

const serviceAccount: KubeObject = {
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: 'logging-collector', namespace: NS },
};

describe('collected log types and namespaces', () => {
  it('follows CLO: reserved inputs, custom inputs, infrastructure namespaces', () => {
    const spec = {
      inputs: [
        {
          name: 'team-a',
          type: 'application',
          application: { includes: [{ namespace: 'team-a-*' }] },
        },
      ],
      pipelines: [
        { name: 'p', inputRefs: ['team-a', 'audit'], outputRefs: ['o'] },
      ],
    };
    expect(collectedLogTypes(spec)).toEqual(['application', 'audit']);
    const namespaces = [
      'default',
      'kube-system',
      'openshift-logging',
      'checkout',
      'team-a-x',
    ];
    expect(collectedNamespaces(spec, namespaces)).toEqual(['team-a-x']);
    expect(
      collectedNamespaces(
        {
          pipelines: [
            { name: 'p', inputRefs: ['application', 'infrastructure'] },
          ],
        },
        namespaces,
      ),
    ).toEqual(namespaces.slice().sort());
  });
});

describe('startClusterLoggingController', () => {
  let controller: Controller | undefined;
  afterEach(() => controller?.stop());

  function setup() {
    const store = newTestStore([NS, 'checkout']);
    const ctx = testContext(store);
    return { store, ctx };
  }
  const clfOf = (store: ReturnType<typeof newTestStore>) =>
    store.get({ ...CLF, namespace: NS, name: 'collector' });

  it('becomes Ready once its LokiStack is Ready and its service account exists', async () => {
    const { store, ctx } = setup();
    store.create(serviceAccount);
    store.create(binding('application'));
    store.create(binding('infrastructure'));
    lokiStack(store, false);
    controller = startClusterLoggingController(ctx);
    store.create(forwarder());

    const invalid = await waitFor(() => {
      const c = clfOf(store);
      return conditionOf(c, 'Ready') && c;
    });
    expect(conditionOf(invalid, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ValidationFailure',
    });
    expect(
      conditionOf(invalid, 'observability.openshift.io/Valid'),
    ).toMatchObject({
      status: 'False',
      reason: 'ValidationFailure',
      message:
        'one or more of inputs, outputs, pipelines, filters have a validation failure',
    });
    expect((invalid.status as any).outputConditions).toEqual([
      expect.objectContaining({
        type: 'observability.openshift.io/ValidOutput-default-lokistack',
        status: 'False',
        reason: 'ValidationFailure',
        message: 'lokistack "openshift-logging/logging-loki" is not ready',
      }),
    ]);
    expect(
      conditionOf(invalid, 'observability.openshift.io/Authorized'),
    ).toMatchObject({
      status: 'True',
      reason: 'ClusterRolesExist',
      message: 'permitted to collect log types: [application infrastructure]',
    });

    lokiStack(store, true);
    const ready = await waitFor(() => {
      const c = clfOf(store);
      return conditionOf(c, 'Ready')?.status === 'True' && c;
    });
    expect(conditionOf(ready, 'Ready')?.reason).toBe('ReconciliationComplete');
    const status = ready.status as any;
    expect(
      status.inputConditions.map((c: any) => [c.type, c.status, c.message]),
    ).toEqual([
      [
        'observability.openshift.io/ValidInput-application',
        'True',
        'input "application" is valid',
      ],
      [
        'observability.openshift.io/ValidInput-infrastructure',
        'True',
        'input "infrastructure" is valid',
      ],
    ]);
    expect(status.pipelineConditions[0]).toMatchObject({
      type: 'observability.openshift.io/ValidPipeline-default-logstore',
      status: 'True',
      reason: 'ValidationSuccess',
    });

    // Steady: no more writes.
    const rv = clfOf(store)!.metadata.resourceVersion;
    await new Promise(r => setTimeout(r, ctx.profile.forwarderReadyMs * 2));
    expect(clfOf(store)!.metadata.resourceVersion).toBe(rv);
  });

  it('is not authorized without its service account, and Ready once it exists', async () => {
    const { store, ctx } = setup();
    store.create(binding('application'));
    store.create(binding('infrastructure'));
    lokiStack(store, true);
    controller = startClusterLoggingController(ctx);
    store.create(forwarder());
    const unauthorized = await waitFor(() =>
      conditionOf(clfOf(store), 'observability.openshift.io/Authorized'),
    );
    expect(unauthorized).toMatchObject({
      status: 'False',
      reason: 'ServiceAccountDoesNotExist',
      message: 'serviceaccounts "logging-collector" not found',
    });
    expect(conditionOf(clfOf(store), 'Ready')?.status).toBe('False');
    store.create(serviceAccount);
    await waitFor(() => conditionOf(clfOf(store), 'Ready')?.status === 'True');
  });

  it('names the log types its service account may not collect', async () => {
    const { store, ctx } = setup();
    store.create(serviceAccount);
    store.create(binding('application'));
    store.create(binding('infrastructure'));
    lokiStack(store, true);
    controller = startClusterLoggingController(ctx);
    store.create(forwarder(['application', 'infrastructure', 'audit']));
    const c = await waitFor(() => {
      const a = conditionOf(
        clfOf(store),
        'observability.openshift.io/Authorized',
      );
      return a?.status === 'False' && a;
    });
    expect(c).toMatchObject({
      reason: 'ClusterRoleMissing',
      message:
        'insufficient permissions on service account, not authorized to collect ["audit"] logs',
    });
    store.create(binding('audit'));
    await waitFor(() => conditionOf(clfOf(store), 'Ready')?.status === 'True');
  });
});
