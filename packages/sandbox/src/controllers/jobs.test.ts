import { BUILTIN_TYPES } from '../kube/builtins';
import { loadCrdTypes } from '../kube/crds';
import { KubeObject } from '../kube/types';
import {
  parseWait,
  resolveResource,
  shellWords,
  startJobController,
  waitsOfContainer,
} from './jobs';
import {
  conditionOf,
  newTestStore,
  testContext,
  waitFor,
} from './__testUtils__/operators';
import { Controller } from './types';

const NS = 'openshift-logging';
const LOKI = { apiVersion: 'loki.grafana.com/v1', kind: 'LokiStack' };
const JOB = { apiVersion: 'batch/v1', kind: 'Job' };

function job(
  name: string,
  container: { command?: string[]; args?: string[] },
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    ...JOB,
    metadata: { name, namespace: NS },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 900,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'c', image: 'ose-cli', ...container }],
        },
      },
      ...spec,
    },
  };
}

// The health check of manifests/base/infrastructure/health-check.yaml.
const HEALTH_CHECK = [
  'oc',
  'wait',
  '--for=condition=Ready',
  'lokistack/logging-loki',
  '--namespace=openshift-logging',
  '--timeout=840s',
];

function lokiStack(name: string): KubeObject {
  return {
    ...LOKI,
    metadata: { name, namespace: NS },
    spec: {
      size: '1x.demo',
      storage: { secret: { name: 's3', type: 's3' } },
    },
  };
}

function setReady(
  store: ReturnType<typeof newTestStore>,
  name: string,
  ready: boolean,
) {
  const stack = store.get({ ...LOKI, namespace: NS, name })!;
  store.updateStatus({
    ...stack,
    status: {
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: 'ReadyComponents',
          message: 'All components ready',
          lastTransitionTime: '2025-01-01T00:00:00Z',
        },
      ],
    },
  });
}

describe('kubectl wait parsing', () => {
  const types = [...BUILTIN_TYPES, ...loadCrdTypes()];

  it('reads the health check of the manifests', () => {
    expect(parseWait(HEALTH_CHECK)).toEqual({
      resource: 'lokistack',
      names: ['logging-loki'],
      all: false,
      allNamespaces: false,
      namespace: 'openshift-logging',
      for: 'condition=Ready',
      timeoutMs: 840_000,
    });
  });

  it('reads the other spellings of kubectl', () => {
    expect(
      parseWait(
        shellWords(
          'kubectl -n ns wait lokistacks.loki.grafana.com logging-loki --for condition=Ready=True --timeout 2m',
        ),
      ),
    ).toMatchObject({
      resource: 'lokistacks.loki.grafana.com',
      names: ['logging-loki'],
      namespace: 'ns',
      for: 'condition=Ready=True',
      timeoutMs: 120_000,
    });
    expect(
      parseWait(
        shellWords(
          "oc wait clusterlogforwarder/collector -nlogs --for='jsonpath={.status.x}'",
        ),
      ),
    ).toMatchObject({
      resource: 'clusterlogforwarder',
      namespace: 'logs',
      for: 'jsonpath={.status.x}',
      timeoutMs: 30_000,
    });
    expect(parseWait(['oc', 'get', 'pods'])).toBeUndefined();
    expect(parseWait(['echo', 'wait'])).toBeUndefined();
  });

  it('finds the waits of a shell script', () => {
    const waits = waitsOfContainer({
      command: ['/bin/sh', '-c'],
      args: [
        'set -e\necho "waiting"; oc wait --for=condition=Ready lokistack/a -n x --timeout=10s && kubectl wait --for=delete pod/p -n y',
      ],
    });
    expect(waits.map(w => [w.resource, w.names, w.namespace, w.for])).toEqual([
      ['lokistack', ['a'], 'x', 'condition=Ready'],
      ['pod', ['p'], 'y', 'delete'],
    ]);
  });

  it('resolves kinds, plurals, short names and group-qualified names', () => {
    for (const r of [
      'lokistack',
      'lokistacks',
      'LokiStack',
      'lokistack.loki.grafana.com',
      'lokistacks.v1.loki.grafana.com',
    ]) {
      expect(resolveResource(types, r)?.kind).toBe('LokiStack');
    }
    expect(
      resolveResource(types, 'clusterlogforwarders.observability.openshift.io')
        ?.group,
    ).toBe('observability.openshift.io');
    expect(resolveResource(types, 'csv')?.kind).toBe('ClusterServiceVersion');
    expect(resolveResource(types, 'lokistack.example.com')).toBeUndefined();
  });
});

describe('startJobController', () => {
  let controller: Controller | undefined;
  afterEach(() => controller?.stop());

  function setup() {
    const store = newTestStore([NS]);
    const ctx = testContext(store);
    controller = startJobController(ctx);
    return { store, ctx };
  }
  const jobOf = (store: ReturnType<typeof newTestStore>, name: string) =>
    store.get({ ...JOB, namespace: NS, name });

  it('completes the health check when the LokiStack becomes Ready', async () => {
    const { store } = setup();
    store.create(lokiStack('logging-loki'));
    store.create(job('health', { command: HEALTH_CHECK }));

    const running = await waitFor(() => {
      const j = jobOf(store, 'health');
      return (j?.status as any)?.startTime && j;
    });
    expect(running.status).toMatchObject({ active: 1, terminating: 0 });
    setReady(store, 'logging-loki', false);
    await new Promise(r => setTimeout(r, 150));
    expect(conditionOf(jobOf(store, 'health'), 'Complete')).toBeUndefined();

    setReady(store, 'logging-loki', true);
    const done = await waitFor(() => {
      const j = jobOf(store, 'health');
      return conditionOf(j, 'Complete') && j;
    });
    expect(done.status).toMatchObject({
      active: 0,
      succeeded: 1,
      completionTime: expect.any(String),
    });
    for (const type of ['SuccessCriteriaMet', 'Complete']) {
      expect(conditionOf(done, type)).toMatchObject({
        status: 'True',
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
      });
    }
  });

  it('fails with DeadlineExceeded when the LokiStack never becomes Ready', async () => {
    const { store } = setup();
    store.create(lokiStack('logging-loki'));
    store.create(
      job('deadline', { command: HEALTH_CHECK }, { activeDeadlineSeconds: 1 }),
    );
    const failed = await waitFor(
      () => {
        const j = jobOf(store, 'deadline');
        return conditionOf(j, 'Failed') && j;
      },
      { timeoutMs: 5_000 },
    );
    for (const type of ['FailureTarget', 'Failed']) {
      expect(conditionOf(failed, type)).toMatchObject({
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
      });
    }
    expect(failed.status).toMatchObject({ active: 0, failed: 1 });
    expect((failed.status as any).succeeded).toBeUndefined();
  });

  it('runs the waits of a shell script one after another', async () => {
    const { store } = setup();
    store.create(lokiStack('a'));
    store.create(lokiStack('b'));
    store.create(
      job('script', {
        command: ['sh', '-c'],
        args: [
          'oc wait --for=condition=Ready lokistack/a -n openshift-logging && oc wait --for=condition=Ready lokistacks.loki.grafana.com/b -n openshift-logging',
        ],
      }),
    );
    setReady(store, 'a', true);
    await new Promise(r => setTimeout(r, 150));
    expect(conditionOf(jobOf(store, 'script'), 'Complete')).toBeUndefined();
    setReady(store, 'b', true);
    await waitFor(() => conditionOf(jobOf(store, 'script'), 'Complete'));
  });

  it('retries a failing wait until the backoff limit', async () => {
    const { store } = setup();
    // No such LokiStack: `oc wait` exits with NotFound at once.
    store.create(
      job('missing', { command: HEALTH_CHECK }, { backoffLimit: 1 }),
    );
    const failed = await waitFor(() => {
      const j = jobOf(store, 'missing');
      return conditionOf(j, 'Failed') && j;
    });
    expect(conditionOf(failed, 'Failed')).toMatchObject({
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect((failed.status as any).failed).toBe(2);

    // A timed-out wait fails the attempt too.
    store.create(lokiStack('slow'));
    store.create(
      job(
        'timeout',
        {
          command: [
            'oc',
            'wait',
            '--for=condition=Ready',
            'lokistack/slow',
            '-n',
            NS,
            '--timeout=100ms',
          ],
        },
        { backoffLimit: 0 },
      ),
    );
    await waitFor(
      () =>
        conditionOf(jobOf(store, 'timeout'), 'Failed')?.reason ===
        'BackoffLimitExceeded',
    );
  });

  it('completes any other Job after one poll', async () => {
    const { store } = setup();
    store.create(job('other', { command: ['echo', 'hello'] }));
    const done = await waitFor(() => {
      const j = jobOf(store, 'other');
      return conditionOf(j, 'Complete') && j;
    });
    expect((done.status as any).succeeded).toBe(1);
  });
});
