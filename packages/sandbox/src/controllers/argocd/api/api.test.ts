import { MemoryObjectStore } from '../../../kube/store';
import { startArgoCdController } from '../controller';
import { ArgoCdApiServer, startArgoCdApiServer } from '.';
import {
  GitFixture,
  appProject,
  application,
  newStore,
  startGitFixture,
  testContext,
  waitFor,
} from '../__testUtils__/testkit';
import { Application } from '../types';
import { Controller } from '../../types';

const NS = 'openshift-gitops';
const TOKEN = 'argocd-api-token';

const files = (name: string) => ({
  'apps/infra/kustomization.yaml': 'resources:\n  - cm.yaml\n  - job.yaml\n',
  'apps/infra/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  k: v
`,
  'apps/infra/job.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: health-check
  annotations:
    argocd.argoproj.io/hook: Sync
    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
    argocd.argoproj.io/sync-wave: "20"
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: wait
          image: registry.redhat.io/openshift4/ose-cli:latest
`,
});

describe('Argo CD API server', () => {
  let git: GitFixture;
  let store: MemoryObjectStore;
  let controller: Controller;
  let api: ArgoCdApiServer;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = TOKEN,
  ) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  const getApp = (name: string) =>
    store.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      namespace: NS,
      name,
    }) as Application;

  const completeHook = async (namespace: string) => {
    const job = await waitFor(() => {
      const j = store.get({
        apiVersion: 'batch/v1',
        kind: 'Job',
        namespace,
        name: 'health-check',
      });
      return j && !j.status && j;
    }, 'fresh hook Job');
    store.updateStatus({
      ...job,
      status: {
        succeeded: 1,
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    });
  };

  beforeEach(async () => {
    git = await startGitFixture();
    store = newStore(['team-a', 'team-b']);
    store.create(appProject('logging', git.server.url, ['team-*']));
    store.create({
      ...appProject('frozen', git.server.url, ['team-*']),
      spec: {
        ...(appProject('frozen', git.server.url, ['team-*']).spec as object),
        syncWindows: [
          {
            kind: 'deny',
            schedule: '* * * * *',
            duration: '1h',
            applications: ['*'],
          },
        ],
      },
    });
    controller = startArgoCdController(testContext(store, git.server));
    api = await startArgoCdApiServer({
      store,
      token: TOKEN,
      namespace: NS,
      git: git.server,
    });
  });

  afterEach(async () => {
    controller.stop();
    await api.close();
    await git.close();
  });

  it('requires the bearer token, answering with grpc-gateway errors', async () => {
    const none = await call('GET', '/api/v1/applications', undefined, null);
    expect(none).toEqual({
      status: 401,
      body: {
        error: 'no session information',
        code: 16,
        message: 'no session information',
      },
    });
    const wrong = await call('GET', '/api/v1/applications', undefined, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe(16);
    const cookie = await fetch(`${api.url}/api/v1/applications`, {
      headers: { Cookie: `argocd.token=${TOKEN}` },
    });
    expect(cookie.status).toBe(200);
    await cookie.json();
  });

  it('lists and gets applications', async () => {
    await git.commit(files('one'));
    store.create({
      ...application('a1', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'apps/infra',
        namespace: 'team-a',
      }),
      metadata: { name: 'a1', namespace: NS, labels: { env: 'dev' } },
    });
    store.create(
      application('a2', {
        project: 'frozen',
        repoURL: git.server.url,
        path: 'apps/infra',
        namespace: 'team-b',
      }),
    );

    const all = await call('GET', '/api/v1/applications');
    expect(all.status).toBe(200);
    expect(all.body.items.map((a: Application) => a.metadata.name)).toEqual([
      'a1',
      'a2',
    ]);
    expect(all.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(all.body.items[0].kind).toBeUndefined();

    const byProject = await call('GET', '/api/v1/applications?projects=frozen');
    expect(
      byProject.body.items.map((a: Application) => a.metadata.name),
    ).toEqual(['a2']);
    const bySelector = await call(
      'GET',
      '/api/v1/applications?selector=env%3Ddev',
    );
    expect(
      bySelector.body.items.map((a: Application) => a.metadata.name),
    ).toEqual(['a1']);
    const otherNs = await call(
      'GET',
      '/api/v1/applications?appNamespace=team-a',
    );
    expect(otherNs.body.items).toEqual([]);

    const one = await call('GET', '/api/v1/applications/a1');
    expect(one.status).toBe(200);
    expect(one.body.spec.project).toBe('logging');

    expect(await call('GET', '/api/v1/applications/missing')).toEqual({
      status: 403,
      body: {
        error: 'permission denied',
        code: 7,
        message: 'permission denied',
      },
    });
    const named = await call(
      'GET',
      '/api/v1/applications/missing?project=logging',
    );
    expect(named.status).toBe(404);
    expect(named.body.message).toBe(
      'applications.argoproj.io "missing" not found',
    );

    const refreshed = await call(
      'GET',
      '/api/v1/applications/a1?refresh=normal',
    );
    expect(refreshed.status).toBe(200);
    expect(
      refreshed.body.metadata.annotations?.['argocd.argoproj.io/refresh'],
    ).toBeUndefined();
    expect(refreshed.body.status.sync.status).toBe('OutOfSync');
  });

  it('syncs, refuses a second operation while one runs, and rolls back', async () => {
    const first = await git.commit(files('one'));
    store.create(
      application('infra', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'apps/infra',
        namespace: 'team-a',
      }),
    );

    const synced = await call('POST', '/api/v1/applications/infra/sync', {
      revision: 'main',
      prune: true,
    });
    expect(synced.status).toBe(200);
    expect(synced.body.operation).toEqual({
      sync: {
        revision: first,
        prune: true,
        source: {
          repoURL: git.server.url,
          targetRevision: 'main',
          path: 'apps/infra',
        },
      },
      initiatedBy: { username: 'admin' },
    });

    expect(
      store
        .list('v1', 'Event', { namespace: NS })
        .filter(e => e.reason === 'OperationStarted')
        .map(e => e.message),
    ).toEqual(['admin initiated sync to main']);

    const again = await call('POST', '/api/v1/applications/infra/sync', {});
    expect(again).toEqual({
      status: 400,
      body: {
        error:
          'error setting app operation: another operation is already in progress',
        code: 9,
        message:
          'error setting app operation: another operation is already in progress',
      },
    });

    await completeHook('team-a');
    await waitFor(
      () => getApp('infra').status?.operationState?.phase === 'Succeeded',
      'first sync',
    );
    const second = await git.commit(files('two'));
    const s2 = await call('POST', '/api/v1/applications/infra/sync', {});
    expect(s2.body.operation.sync.revision).toBe(second);
    await completeHook('team-a');
    await waitFor(
      () => getApp('infra').status?.history?.length === 2,
      'second sync',
    );
    const hookUid = store.get({
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: 'team-a',
      name: 'health-check',
    })!.metadata.uid;

    const missing = await call('PUT', '/api/v1/applications/infra/rollback', {
      id: 7,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe(
      'application infra does not have deployment with id 7',
    );

    const rb = await call('PUT', '/api/v1/applications/infra/rollback', {
      id: 0,
      prune: true,
    });
    expect(rb.status).toBe(200);
    expect(rb.body.operation.sync).toMatchObject({
      revision: first,
      prune: true,
      syncStrategy: { apply: {} },
    });
    const done = await waitFor(() => {
      const s = getApp('infra').status?.operationState;
      return s?.phase === 'Succeeded' && s?.operation.sync?.syncStrategy && s;
    }, 'rollback');
    expect(done.syncResult!.revision).toBe(first);
    // An apply-strategy sync runs no hooks; the removed ConfigMap is pruned.
    expect(
      store.get({
        apiVersion: 'batch/v1',
        kind: 'Job',
        namespace: 'team-a',
        name: 'health-check',
      })!.metadata.uid,
    ).toBe(hookUid);
    expect(
      store.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'team-a',
        name: 'one',
      }),
    ).toBeDefined();
    expect(
      store.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'team-a',
        name: 'two',
      }),
    ).toBeUndefined();
    expect(getApp('infra').status!.history!.map(h => h.revision)).toEqual([
      first,
      second,
      first,
    ]);

    const tree = await call('GET', '/api/v1/applications/infra/resource-tree');
    expect(tree.status).toBe(200);
    expect(tree.body.nodes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'ConfigMap',
          name: 'one',
          namespace: 'team-a',
          uid: expect.any(String),
        }),
        expect.objectContaining({
          group: 'batch',
          kind: 'Job',
          name: 'health-check',
          health: { status: 'Healthy' },
        }),
      ]),
    );
  });

  it('blocks syncs in a deny window with PermissionDenied unless manual syncs are allowed', async () => {
    await git.commit(files('one'));
    store.create(
      application('frozen-app', {
        project: 'frozen',
        repoURL: git.server.url,
        path: 'apps/infra',
        namespace: 'team-b',
      }),
    );
    expect(
      await call('POST', '/api/v1/applications/frozen-app/sync', {}),
    ).toEqual({
      status: 403,
      body: {
        error: 'cannot sync: blocked by sync window',
        code: 7,
        message: 'cannot sync: blocked by sync window',
      },
    });
    expect(getApp('frozen-app').operation).toBeUndefined();

    const proj = store.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      namespace: NS,
      name: 'frozen',
    })!;
    (proj.spec as any).syncWindows[0].manualSync = true;
    store.update(proj);
    const ok = await call('POST', '/api/v1/applications/frozen-app/sync', {});
    expect(ok.status).toBe(200);
    expect(ok.body.operation.initiatedBy).toEqual({ username: 'admin' });
  });

  it('refuses rollback with automated sync and terminates a running operation', async () => {
    await git.commit(files('one'));
    store.create(
      application('auto', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'apps/infra',
        namespace: 'team-a',
        automated: {},
      }),
    );
    const rb = await call('PUT', '/api/v1/applications/auto/rollback', {
      id: 0,
    });
    expect(rb.status).toBe(400);
    expect(rb.body.message).toBe(
      'rollback cannot be initiated when auto-sync is enabled',
    );

    const cannot = await call('POST', '/api/v1/applications/auto/sync', {
      revision: 'v9',
    });
    expect(cannot.status).toBe(400);
    expect(cannot.body.message).toBe(
      'Cannot sync to v9: auto-sync currently set to main',
    );

    await waitFor(
      () =>
        store.get({
          apiVersion: 'batch/v1',
          kind: 'Job',
          namespace: 'team-a',
          name: 'health-check',
        }),
      'automated sync running its hook',
    );
    const term = await call('DELETE', '/api/v1/applications/auto/operation');
    expect(term).toEqual({ status: 200, body: {} });
    const state = await waitFor(() => {
      const s = getApp('auto').status?.operationState;
      return s?.phase === 'Failed' && s;
    }, 'terminated');
    expect(state.message).toBe('Operation terminated');
    expect(
      store.get({
        apiVersion: 'batch/v1',
        kind: 'Job',
        namespace: 'team-a',
        name: 'health-check',
      }),
    ).toBeUndefined();
    const none = await call('DELETE', '/api/v1/applications/auto/operation');
    expect(none.status).toBe(400);
    expect(none.body.message).toBe(
      'Unable to terminate operation. No operation is in progress',
    );
  });
});
