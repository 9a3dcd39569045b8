import * as k8s from '@kubernetes/client-node';
import { FaultInjector } from '../../faults';
import {
  apiException,
  callKube,
  kubeConfigFor,
  statusOf,
} from '../__testUtils__/clients';
import { startTestKube, TestKube } from '../__testUtils__/testKube';
import { KubeObject } from '../types';

let kube: TestKube;
const faults = new FaultInjector();

beforeAll(async () => {
  kube = await startTestKube({ faults });
  kube.store.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'openshift-logging' },
  });
});
afterAll(() => kube.close());
afterEach(() => faults.clear());

const kubeConfig = (token?: string) => kubeConfigFor(kube, token);
const call = (
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
) => callKube(kube, path, init);

const lokiStack = (name: string, size = '1x.extra-small') => ({
  apiVersion: 'loki.grafana.com/v1',
  kind: 'LokiStack',
  metadata: { name, namespace: 'openshift-logging' },
  spec: {
    size,
    storage: {
      schemas: [{ effectiveDate: '2024-10-01', version: 'v13' }],
      secret: { name: 'logging-loki-s3', type: 's3' },
    },
    storageClassName: 'gp3-csi',
    tenants: { mode: 'openshift-logging' },
  },
});

const application = (name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'openshift-gitops' },
  spec: {
    project: 'default',
    source: {
      repoURL: 'https://github.com/example/logging.git',
      path: 'envs/dev',
      targetRevision: 'main',
    },
    destination: {
      server: 'https://kubernetes.default.svc',
      namespace: 'openshift-logging',
    },
  },
});

/** Polls (briefly) until `check` passes. */
async function eventually(check: () => void, timeoutMs = 3000) {
  const start = Date.now();
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() - start > timeoutMs) throw e;
      await new Promise(r => setTimeout(r, 10));
    }
  }
}

/** Reads newline-delimited watch events from a streaming response. */
function eventReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: any[] = [];
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        events.push(JSON.parse(buffer.slice(0, i)));
        buffer = buffer.slice(i + 1);
      }
    }
  })();
  return { events, done: pump, cancel: () => reader.cancel() };
}

describe('authentication', () => {
  it('answers 401 Unauthorized without the right token', async () => {
    const res = await fetch(`${kube.server.url}/api/v1/namespaces`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    const core = kubeConfig('wrong').makeApiClient(k8s.CoreV1Api);
    const e = await apiException(core.listNamespace());
    expect(e.code).toBe(401);
  });

  it('leaves health checks open', async () => {
    const res = await fetch(`${kube.server.url}/readyz`);
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
  });
});

describe('client-node', () => {
  it('creates, reads, replaces (with optimistic concurrency) and deletes a Secret', async () => {
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedSecret({
      namespace: 'openshift-logging',
      body: {
        metadata: { name: 'logging-loki-s3', labels: { app: 'loki' } },
        stringData: { bucketnames: 'logs' },
      },
    });
    expect(created.metadata?.uid).toBeTruthy();
    // The API server folds stringData into data.
    expect(created.data).toEqual({
      bucketnames: Buffer.from('logs').toString('base64'),
    });

    const read = await core.readNamespacedSecret({
      name: 'logging-loki-s3',
      namespace: 'openshift-logging',
    });
    expect(read.metadata?.resourceVersion).toBe(
      created.metadata?.resourceVersion,
    );

    read.data = {
      ...read.data,
      endpoint: Buffer.from('http://s3').toString('base64'),
    };
    const replaced = await core.replaceNamespacedSecret({
      name: 'logging-loki-s3',
      namespace: 'openshift-logging',
      body: read,
    });
    expect(replaced.metadata?.resourceVersion).not.toBe(
      read.metadata?.resourceVersion,
    );

    // `read` still carries the old resourceVersion.
    const stale = await apiException(
      core.replaceNamespacedSecret({
        name: 'logging-loki-s3',
        namespace: 'openshift-logging',
        body: read,
      }),
    );
    expect(stale.code).toBe(409);
    expect(statusOf(stale)).toMatchObject({ reason: 'Conflict', code: 409 });

    await core.deleteNamespacedSecret({
      name: 'logging-loki-s3',
      namespace: 'openshift-logging',
    });
    const gone = await apiException(
      core.readNamespacedSecret({
        name: 'logging-loki-s3',
        namespace: 'openshift-logging',
      }),
    );
    expect(gone.code).toBe(404);
    expect(statusOf(gone).message).toBe('secrets "logging-loki-s3" not found');
  });

  it('lists with a label selector and reports the list resourceVersion', async () => {
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    for (const [name, tier] of [
      ['cm-a', 'gold'],
      ['cm-b', 'silver'],
      ['cm-c', 'gold'],
    ]) {
      await core.createNamespacedConfigMap({
        namespace: 'openshift-logging',
        body: { metadata: { name, labels: { tier } }, data: { k: 'v' } },
      });
    }
    const gold = await core.listNamespacedConfigMap({
      namespace: 'openshift-logging',
      labelSelector: 'tier=gold',
    });
    expect(gold.items.map(i => i.metadata?.name)).toEqual(['cm-a', 'cm-c']);
    expect(gold.metadata?.resourceVersion).toBe(kube.store.currentRevision());
    const all = await core.listConfigMapForAllNamespaces({
      labelSelector: 'tier in (gold,silver)',
    });
    expect(all.items).toHaveLength(3);
  });

  it('creates, gets, lists and merge-patches a LokiStack as a custom object', async () => {
    const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const target = {
      group: 'loki.grafana.com',
      version: 'v1',
      namespace: 'openshift-logging',
      plural: 'lokistacks',
    };
    await custom.createNamespacedCustomObject({
      ...target,
      body: lokiStack('logging-loki'),
    });
    const got = await custom.getNamespacedCustomObject({
      ...target,
      name: 'logging-loki',
    });
    expect(got.spec.size).toBe('1x.extra-small');
    // Schema default applied by admission.
    expect(got.spec.managementState).toBe('Managed');

    const list = await custom.listNamespacedCustomObject(target);
    expect(list.items.map((i: KubeObject) => i.metadata.name)).toEqual([
      'logging-loki',
    ]);

    const patched = await custom.patchNamespacedCustomObject(
      { ...target, name: 'logging-loki', body: { spec: { size: '1x.small' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.spec.size).toBe('1x.small');
    expect(patched.metadata.generation).toBe(2);

    const invalid = await apiException(
      custom.patchNamespacedCustomObject(
        { ...target, name: 'logging-loki', body: { spec: { size: 'huge' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(invalid.code).toBe(422);
    expect(statusOf(invalid)).toMatchObject({
      reason: 'Invalid',
      details: {
        causes: [{ reason: 'FieldValueNotSupported', field: 'spec.size' }],
      },
    });
  });

  it('creates, server-side applies and reads through KubernetesObjectApi', async () => {
    const client = k8s.KubernetesObjectApi.makeApiClient(kubeConfig());
    const created = await client.create<any>(lokiStack('object-api'));
    expect(created.metadata.uid).toBeTruthy();

    const applied = await client.patch<any>(
      {
        apiVersion: 'loki.grafana.com/v1',
        kind: 'LokiStack',
        metadata: {
          name: 'object-api',
          namespace: 'openshift-logging',
          labels: { team: 'obs' },
        },
        spec: { size: '1x.medium' },
      },
      undefined,
      undefined,
      'logging-environments',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(applied.spec.size).toBe('1x.medium');
    // Fields the apply did not mention stay.
    expect(applied.spec.storageClassName).toBe('gp3-csi');

    const read = await client.read<any>({
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      metadata: { name: 'object-api', namespace: 'openshift-logging' },
    });
    expect(read.metadata.labels).toEqual({ team: 'obs' });
    expect(read.metadata.managedFields.map((f: any) => f.manager)).toContain(
      'logging-environments',
    );

    // Server-side apply also creates.
    const fresh = await client.patch<any>(
      lokiStack('applied-fresh'),
      undefined,
      undefined,
      'logging-environments',
      undefined,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(fresh.metadata.uid).toBeTruthy();
  });

  it('streams ADDED, MODIFIED and DELETED Application events to a Watch', async () => {
    const kc = kubeConfig();
    const events: Array<[string, string]> = [];
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch(
      '/apis/argoproj.io/v1alpha1/namespaces/openshift-gitops/applications',
      {},
      (phase, obj) => events.push([phase, obj.metadata.name]),
      () => {},
    );
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const target = {
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'openshift-gitops',
      plural: 'applications',
    };
    await custom.createNamespacedCustomObject({
      ...target,
      body: application('logging-dev'),
    });
    await custom.patchNamespacedCustomObject(
      {
        ...target,
        name: 'logging-dev',
        body: { metadata: { labels: { env: 'dev' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await custom.deleteNamespacedCustomObject({
      ...target,
      name: 'logging-dev',
    });
    await eventually(() =>
      expect(events).toEqual([
        ['ADDED', 'logging-dev'],
        ['MODIFIED', 'logging-dev'],
        ['DELETED', 'logging-dev'],
      ]),
    );
    controller.abort();
  });

  it('keeps an informer in sync', async () => {
    const kc = kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(
      kc,
      '/api/v1/namespaces/openshift-logging/serviceaccounts',
      () =>
        core.listNamespacedServiceAccount({ namespace: 'openshift-logging' }),
    );
    await informer.start();
    await core.createNamespacedServiceAccount({
      namespace: 'openshift-logging',
      body: { metadata: { name: 'logcollector' } },
    });
    await eventually(() =>
      expect(informer.list().map(o => o.metadata?.name)).toEqual([
        'logcollector',
      ]),
    );
    await informer.stop();
  });
});

describe('watch', () => {
  it('resumes from a resourceVersion and answers too old ones with 410 Expired', async () => {
    const small = await startTestKube({ watchHistory: 3 });
    try {
      const { store } = small;
      const at = store.currentRevision();
      for (const name of ['a', 'b']) {
        store.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'default' },
        });
      }
      const get = (rv: string) =>
        fetch(
          `${small.server.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
          { headers: { Authorization: `Bearer ${small.token}` } },
        );
      const resumed = eventReader(await get(at));
      await eventually(() =>
        expect(
          resumed.events.map(e => [e.type, e.object.metadata.name]),
        ).toEqual([
          ['ADDED', 'a'],
          ['ADDED', 'b'],
        ]),
      );
      await resumed.cancel();

      for (const name of ['c', 'd', 'e']) {
        store.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'default' },
        });
      }
      const expired = eventReader(await get(at));
      await expired.done;
      expect(expired.events).toEqual([
        {
          type: 'ERROR',
          object: expect.objectContaining({
            kind: 'Status',
            code: 410,
            reason: 'Expired',
          }),
        },
      ]);
    } finally {
      await small.close();
    }
  });

  it('ends after timeoutSeconds', async () => {
    const res = await call(
      '/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=1',
    );
    const stream = eventReader(res);
    await stream.done;
    expect(stream.events).toEqual([]);
  });

  it('sends the current state first without a resourceVersion, and honours selectors', async () => {
    kube.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'w-1',
        namespace: 'openshift-gitops',
        labels: { w: 'yes' },
      },
    });
    const res = await call(
      '/api/v1/namespaces/openshift-gitops/configmaps?watch=1&labelSelector=w%3Dyes&allowWatchBookmarks=true&sendInitialEvents=true',
    );
    const stream = eventReader(res);
    kube.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'w-2', namespace: 'openshift-gitops' },
    });
    const w1 = kube.store.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'openshift-gitops',
      name: 'w-1',
    })!;
    // Dropping the label takes it out of the watch's view.
    kube.store.update({ ...w1, metadata: { ...w1.metadata, labels: {} } });
    await eventually(() =>
      expect(
        stream.events.map(e => [e.type, e.object.metadata.name ?? null]),
      ).toEqual([
        ['ADDED', 'w-1'],
        ['BOOKMARK', null],
        ['DELETED', 'w-1'],
      ]),
    );
    await stream.cancel();
    expect(stream.events[1].object.metadata.annotations).toEqual({
      'k8s.io/initial-events-end': 'true',
    });
  });
});

describe('faults', () => {
  it('throttles with 429 TooManyRequests and Retry-After', async () => {
    faults.add({
      target: 'kube',
      match: 'get:secrets',
      action: { type: 'throttle' },
    });
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const e = await apiException(
      core.readNamespacedSecret({ name: 'x', namespace: 'default' }),
    );
    expect(e.code).toBe(429);
    expect(statusOf(e)).toMatchObject({ reason: 'TooManyRequests', code: 429 });
    expect(e.headers['retry-after']).toBe('1');
    expect(faults.calls.kube).toContain('get:secrets');
  });

  it('fails a call once with times: 1, then serves it', async () => {
    faults.add({
      target: 'kube',
      match: 'list:lokistacks',
      action: { type: 'error' },
      times: 1,
    });
    const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const target = {
      group: 'loki.grafana.com',
      version: 'v1',
      namespace: 'openshift-logging',
      plural: 'lokistacks',
    };
    const e = await apiException(custom.listNamespacedCustomObject(target));
    expect(e.code).toBe(500);
    expect(statusOf(e).reason).toBe('InternalError');
    await expect(
      custom.listNamespacedCustomObject(target),
    ).resolves.toHaveProperty('items');
  });

  it('answers with the given 5xx, delays, and drops connections', async () => {
    faults.add({
      target: 'kube',
      match: 'create:configmaps',
      action: { type: 'error', status: 503 },
      times: 1,
    });
    faults.add({
      target: 'kube',
      match: 'get:namespaces',
      action: { type: 'latency', ms: 20 },
      times: 1,
    });
    faults.add({
      target: 'kube',
      match: 'list:namespaces',
      action: { type: 'drop' },
      times: 1,
    });
    const res = await call('/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'f' } }),
    });
    expect(res.status).toBe(503);
    expect((await res.json()).reason).toBe('ServiceUnavailable');
    expect((await call('/api/v1/namespaces/default')).status).toBe(200);
    await expect(call('/api/v1/namespaces')).rejects.toThrow();
    expect((await call('/api/v1/namespaces')).status).toBe(200);
  });
});

describe('HTTP API', () => {
  it('serves legacy and aggregated discovery', async () => {
    const core = await (await call('/api/v1')).json();
    expect(core.resources).toContainEqual(
      expect.objectContaining({ name: 'namespaces/status', kind: 'Namespace' }),
    );
    const loki = await (await call('/apis/loki.grafana.com/v1')).json();
    expect(loki.resources).toEqual([
      expect.objectContaining({
        name: 'lokistacks',
        singularName: 'lokistack',
        namespaced: true,
        kind: 'LokiStack',
        verbs: expect.arrayContaining(['get', 'list', 'watch', 'patch']),
      }),
      expect.objectContaining({
        name: 'lokistacks/status',
        verbs: ['get', 'patch', 'update'],
      }),
    ]);
    const olm = await (await call('/apis/operators.coreos.com')).json();
    expect(olm.preferredVersion.version).toBe('v1');
    expect(olm.versions.map((v: any) => v.version)).toEqual([
      'v1',
      'v1alpha2',
      'v1alpha1',
    ]);

    const accept =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const aggregated = await call('/apis', { headers: { Accept: accept } });
    expect(aggregated.headers.get('content-type')).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    const groups = (await aggregated.json()).items;
    const argo = groups.find((g: any) => g.metadata.name === 'argoproj.io');
    expect(argo.versions[0].resources).toContainEqual(
      expect.objectContaining({
        resource: 'applications',
        scope: 'Namespaced',
        shortNames: ['app', 'apps'],
      }),
    );
  });

  it('answers unknown paths and kinds with a 404 Status', async () => {
    for (const path of [
      '/apis/nope.io/v1',
      '/api/v1/widgets',
      '/foo',
      '/apis/loki.grafana.com/v1/namespaces/x/lokistacks/y/scale',
    ]) {
      const res = await call(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({
        kind: 'Status',
        reason: 'NotFound',
        code: 404,
      });
    }
  });

  it('does not store dry runs', async () => {
    const res = await call('/api/v1/namespaces/default/configmaps?dryRun=All', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'dry' }, data: { a: 'b' } }),
    });
    expect(res.status).toBe(201);
    expect((await res.json()).metadata.uid).toBeTruthy();
    expect(
      kube.store.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'dry',
      }),
    ).toBeUndefined();
  });

  it('requires a field manager for apply and refuses strategic merge patches of custom resources', async () => {
    const path =
      '/apis/loki.grafana.com/v1/namespaces/openshift-logging/lokistacks/logging-loki';
    const noManager = await call(path, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: 'apiVersion: loki.grafana.com/v1\nkind: LokiStack\n',
    });
    expect(noManager.status).toBe(422);
    expect((await noManager.json()).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    const smp = await call(path, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
      body: '{}',
    });
    expect(smp.status).toBe(415);
    expect((await smp.json()).reason).toBe('UnsupportedMediaType');
  });

  it('applies strategic merge patches to built-in kinds by merge key', async () => {
    kube.store.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'health', namespace: 'default' },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'check', image: 'a', env: [{ name: 'A', value: '1' }] },
            ],
            restartPolicy: 'Never',
          },
        },
      },
    });
    const res = await call('/apis/batch/v1/namespaces/default/jobs/health', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
      body: JSON.stringify({
        spec: {
          template: {
            spec: {
              containers: [{ name: 'check', env: [{ name: 'B', value: '2' }] }],
            },
          },
        },
      }),
    });
    expect(res.status).toBe(200);
    const container = (await res.json()).spec.template.spec.containers[0];
    expect(container).toEqual({
      name: 'check',
      image: 'a',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    });
  });

  it('ignores status on the main resource and validates writes to /status', async () => {
    const path =
      '/apis/loki.grafana.com/v1/namespaces/openshift-logging/lokistacks/logging-loki';
    const current = await (await call(path)).json();
    const withStatus = { ...current, status: { conditions: [] } };
    const put = await call(path, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(withStatus),
    });
    expect((await put.json()).status).toBeUndefined();

    const bad = await call(`${path}/status`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { conditions: [{ type: 'Ready' }] } }),
    });
    expect(bad.status).toBe(422);
    expect(
      (await bad.json()).details.causes.map((c: any) => c.field),
    ).toContain('status.conditions[0].status');
    const good = await call(`${path}/status`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'ReadyComponents',
              message: 'All components ready',
              lastTransitionTime: '2024-01-01T00:00:00Z',
            },
          ],
        },
      }),
    });
    expect(good.status).toBe(200);
    expect((await good.json()).status.conditions[0].status).toBe('True');
  });

  it('renders Tables with the CRD printer columns', async () => {
    kube.store.create({
      ...application('table-app'),
      status: {},
    } as KubeObject);
    const app = kube.store.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      namespace: 'openshift-gitops',
      name: 'table-app',
    })!;
    kube.store.updateStatus({
      ...app,
      status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } },
    });
    const res = await call(
      '/apis/argoproj.io/v1alpha1/namespaces/openshift-gitops/applications',
      {
        headers: {
          Accept:
            'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
        },
      },
    );
    const table = await res.json();
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual([
      'Name',
      'Sync Status',
      'Health Status',
      'Revision',
      'Project',
    ]);
    expect(table.rows[0].cells).toEqual([
      'table-app',
      'Synced',
      'Healthy',
      null,
      'default',
    ]);
    expect(table.rows[0].object).toMatchObject({
      kind: 'PartialObjectMetadata',
      metadata: { name: 'table-app', namespace: 'openshift-gitops' },
    });
  });

  it('pages lists with limit and continue', async () => {
    const first = await (await call('/api/v1/namespaces?limit=2')).json();
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    const rest = await (
      await call(
        `/api/v1/namespaces?limit=100&continue=${encodeURIComponent(
          first.metadata.continue,
        )}`,
      )
    ).json();
    const names = [...first.items, ...rest.items].map(
      (n: any) => n.metadata.name,
    );
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('openshift-logging');
    expect(rest.metadata.continue).toBeUndefined();
  });

  it('deletes collections by label and checks delete preconditions', async () => {
    const res = await call(
      '/api/v1/namespaces/openshift-logging/configmaps?labelSelector=tier%3Dgold',
      {
        method: 'DELETE',
      },
    );
    expect((await res.json()).items.map((i: any) => i.metadata.name)).toEqual([
      'cm-a',
      'cm-c',
    ]);
    const stale = await call(
      '/api/v1/namespaces/openshift-logging/configmaps/cm-b',
      {
        method: 'DELETE',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ preconditions: { resourceVersion: '1' } }),
      },
    );
    expect(stale.status).toBe(409);
    const ok = await call(
      '/api/v1/namespaces/openshift-logging/configmaps/cm-b',
      { method: 'DELETE' },
    );
    expect(await ok.json()).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'cm-b', kind: 'configmaps' },
    });
  });
});
