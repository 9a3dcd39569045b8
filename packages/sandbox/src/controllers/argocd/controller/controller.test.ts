import { MemoryObjectStore } from '../../../kube/store';
import { ArgoCdControllerOptions, startArgoCdController } from '.';
import {
  GitFixture,
  appProject,
  application,
  newStore,
  sleep,
  startGitFixture,
  testContext,
  waitFor,
} from '../__testUtils__/testkit';
import { Application } from '../types';
import { Controller } from '../../types';

const NS = 'openshift-gitops';

const wave = (n: number | string) => ({
  'argocd.argoproj.io/sync-wave': String(n),
});

const configMap = (
  name: string,
  annotations: Record<string, string>,
) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  annotations:
${Object.entries(annotations)
  .map(([k, v]) => `    ${k}: "${v}"`)
  .join('\n')}
data:
  key: ${name}
`;

const secret = (name: string, w: number) => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  annotations:
    argocd.argoproj.io/sync-wave: "${w}"
stringData:
  password: hunter2
`;

const hookJob = (name: string, w: number) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  annotations:
    argocd.argoproj.io/hook: Sync
    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
    argocd.argoproj.io/sync-wave: "${w}"
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: wait
          image: registry.redhat.io/openshift4/ose-cli:latest
          command: [oc, wait, --for=condition=Ready, lokistack/logging-loki, -n, team-a]
`;

const kustomization = (files: string[]) =>
  `resources:\n${files.map(f => `  - ${f}`).join('\n')}\n`;

/** The four-wave app of the brief: ConfigMap 0, Secret 10, Job hook 20, ConfigMap 30. */
function wavesApp(dir: string) {
  return {
    [`${dir}/kustomization.yaml`]: kustomization([
      'cm-first.yaml',
      'secret.yaml',
      'job.yaml',
      'cm-last.yaml',
    ]),
    [`${dir}/cm-first.yaml`]: configMap('first', wave(0)),
    [`${dir}/secret.yaml`]: secret('credentials', 10),
    [`${dir}/job.yaml`]: hookJob('health-check', 20),
    [`${dir}/cm-last.yaml`]: configMap('last', wave(30)),
  };
}

function getApp(store: MemoryObjectStore, name: string): Application {
  return store.get({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    namespace: NS,
    name,
  }) as Application;
}

function get(
  store: MemoryObjectStore,
  kind: string,
  namespace: string,
  name: string,
) {
  const apiVersion = kind === 'Job' ? 'batch/v1' : 'v1';
  return store.get({ apiVersion, kind, namespace, name });
}

function patchApp(
  store: MemoryObjectStore,
  name: string,
  mutate: (a: Application) => void,
) {
  const app = structuredClone(getApp(store, name));
  mutate(app);
  store.update(app);
}

function setJobCondition(
  store: MemoryObjectStore,
  ns: string,
  name: string,
  type: 'Complete' | 'Failed',
) {
  const job = get(store, 'Job', ns, name)!;
  store.updateStatus({
    ...job,
    status: {
      ...(type === 'Failed' ? { failed: 1 } : { succeeded: 1 }),
      conditions: [
        type === 'Failed'
          ? {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            }
          : { type: 'Complete', status: 'True' },
      ],
    },
  });
}

describe('Argo CD controller', () => {
  let git: GitFixture;
  let store: MemoryObjectStore;
  let controller: Controller | undefined;
  const log: string[] = [];

  beforeEach(async () => {
    git = await startGitFixture();
    store = newStore(['team-a', 'team-b', 'team-c']);
    store.create(appProject('logging', git.server.url, ['team-*']));
  });

  afterEach(async () => {
    controller?.stop();
    controller = undefined;
    await git.close();
    // The controller logs only what went wrong inside it.
    const problems = log.splice(0);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });

  const start = (options: ArgoCdControllerOptions = {}) => {
    controller = startArgoCdController(
      testContext(store, git.server, log),
      options,
    );
  };

  it('without automated sync compares but applies nothing; a refresh does not sync (2.x: health persisted)', async () => {
    const sha = await git.commit(wavesApp('envs/a'));
    store.create(
      application('app-a', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/a',
        namespace: 'team-a',
      }),
    );
    start({ persistResourceHealth: true });
    const app = await waitFor(() => {
      const a = getApp(store, 'app-a');
      return a.status?.sync?.status === 'OutOfSync' && a;
    }, 'OutOfSync');
    expect(app.status!.sync).toMatchObject({
      revision: sha,
      comparedTo: {
        source: {
          repoURL: git.server.url,
          path: 'envs/a',
          targetRevision: 'main',
        },
        destination: {
          server: 'https://kubernetes.default.svc',
          namespace: 'team-a',
        },
      },
    });
    expect(app.status!.sourceType).toBe('Kustomize');
    expect(app.status!.health!.status).toBe('Missing');
    // Hooks are not resources until they exist; syncWave per resource.
    expect(app.status!.resources).toEqual([
      expect.objectContaining({
        kind: 'ConfigMap',
        name: 'first',
        namespace: 'team-a',
        status: 'OutOfSync',
        syncWave: 0,
        health: { status: 'Missing' },
      }),
      expect.objectContaining({
        kind: 'ConfigMap',
        name: 'last',
        status: 'OutOfSync',
        syncWave: 30,
      }),
      expect.objectContaining({
        kind: 'Secret',
        name: 'credentials',
        status: 'OutOfSync',
        syncWave: 10,
      }),
    ]);
    expect(app.status!.resources!.map(r => r.group)).toEqual(['', '', '']);
    expect(app.status!.reconciledAt).toBeTruthy();

    patchApp(store, 'app-a', a => {
      a.metadata.annotations = { 'argocd.argoproj.io/refresh': 'hard' };
    });
    await waitFor(
      () =>
        !getApp(store, 'app-a').metadata.annotations?.[
          'argocd.argoproj.io/refresh'
        ],
      'refresh annotation removed',
    );
    await sleep(200);
    const after = getApp(store, 'app-a');
    expect(after.operation).toBeUndefined();
    expect(after.status!.operationState).toBeUndefined();
    expect(after.status!.sync!.status).toBe('OutOfSync');
    expect(get(store, 'ConfigMap', 'team-a', 'first')).toBeUndefined();
    expect(get(store, 'Job', 'team-a', 'health-check')).toBeUndefined();
  });

  it('syncs a pinned revision wave by wave, waiting for the hook Job, then records history', async () => {
    const sha = await git.commit(wavesApp('envs/a'));
    // A later commit on main must not be what the pinned operation deploys.
    await git.commit({
      'envs/a/cm-first.yaml': configMap('first-v2', wave(0)),
    });
    store.create(
      application('app-a', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/a',
        namespace: 'team-a',
      }),
    );
    start();
    await waitFor(
      () => getApp(store, 'app-a').status?.sync?.status,
      'first refresh',
    );

    patchApp(store, 'app-a', a => {
      a.operation = {
        sync: { revision: sha },
        initiatedBy: { username: 'portal' },
      };
    });

    const job = await waitFor(
      () => get(store, 'Job', 'team-a', 'health-check'),
      'hook Job',
    );
    expect(get(store, 'ConfigMap', 'team-a', 'first')).toBeDefined();
    expect(get(store, 'ConfigMap', 'team-a', 'first-v2')).toBeUndefined();
    expect(get(store, 'Secret', 'team-a', 'credentials')!.data).toEqual({
      password: Buffer.from('hunter2').toString('base64'),
    });
    expect(job.metadata.annotations!['argocd.argoproj.io/tracking-id']).toBe(
      'app-a:batch/Job:team-a/health-check',
    );
    // The hook is not complete: wave 30 must wait, however long we look.
    for (let i = 0; i < 5; i++) {
      await sleep(60);
      expect(get(store, 'ConfigMap', 'team-a', 'last')).toBeUndefined();
    }
    const running = getApp(store, 'app-a').status!.operationState!;
    expect(running.phase).toBe('Running');
    expect(running.message).toBe(
      'waiting for completion of hook batch/Job/health-check',
    );
    expect(running.operation).toEqual({
      sync: { revision: sha },
      initiatedBy: { username: 'portal' },
    });
    expect(running.syncResult!.revision).toBe(sha);
    expect(running.syncResult!.resources).toEqual([
      expect.objectContaining({
        kind: 'ConfigMap',
        name: 'first',
        status: 'Synced',
        hookPhase: 'Succeeded',
        syncPhase: 'Sync',
        message: 'configmap/first created',
      }),
      expect.objectContaining({
        kind: 'Secret',
        name: 'credentials',
        status: 'Synced',
        hookPhase: 'Succeeded',
        syncPhase: 'Sync',
      }),
      expect.objectContaining({
        group: 'batch',
        version: 'v1',
        kind: 'Job',
        name: 'health-check',
        hookType: 'Sync',
        hookPhase: 'Running',
        syncPhase: 'Sync',
      }),
    ]);

    // Play the Job controller.
    setJobCondition(store, 'team-a', 'health-check', 'Complete');
    const done = await waitFor(() => {
      const s = getApp(store, 'app-a').status?.operationState;
      return s?.phase === 'Succeeded' && s;
    }, 'operation Succeeded');
    expect(done.message).toBe('successfully synced (all tasks run)');
    expect(done.finishedAt).toBeTruthy();
    expect(get(store, 'ConfigMap', 'team-a', 'last')).toBeDefined();
    const hookResult = done.syncResult!.resources!.find(r => r.kind === 'Job')!;
    expect(hookResult).toMatchObject({
      hookPhase: 'Succeeded',
      hookType: 'Sync',
    });
    expect(hookResult.status).toBeUndefined();
    expect(done.syncResult!.resources!.map(r => r.name)).toEqual([
      'first',
      'credentials',
      'health-check',
      'last',
    ]);

    const app = getApp(store, 'app-a');
    expect(app.operation).toBeUndefined();
    expect(app.status!.history).toEqual([
      expect.objectContaining({
        id: 0,
        revision: sha,
        deployStartedAt: done.startedAt,
        source: expect.objectContaining({ path: 'envs/a' }),
        initiatedBy: { username: 'portal' },
      }),
    ]);
    // The app compares with main, which has moved on: still OutOfSync there.
    const refreshed = await waitFor(() => {
      const a = getApp(store, 'app-a');
      return a.status!.resources!.some(r => r.kind === 'Job') && a;
    }, 'hook listed as a resource');
    expect(refreshed.status!.resources!.find(r => r.kind === 'Job')).toEqual(
      expect.objectContaining({ hook: true, name: 'health-check' }),
    );
    expect(
      refreshed.status!.resources!.find(r => r.kind === 'Job')!.status,
    ).toBeUndefined();
  });

  it('re-sync deletes and recreates the hook (BeforeHookCreation)', async () => {
    const sha = await git.commit(wavesApp('envs/a'));
    store.create(
      application('app-a', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/a',
        namespace: 'team-a',
      }),
    );
    start();
    const syncAndComplete = async () => {
      patchApp(store, 'app-a', a => {
        a.operation = { sync: { revision: sha } };
        delete a.status?.operationState;
      });
      const job = await waitFor(() => {
        const j = get(store, 'Job', 'team-a', 'health-check');
        return j && !j.status && j;
      }, 'fresh hook Job');
      setJobCondition(store, 'team-a', 'health-check', 'Complete');
      await waitFor(
        () =>
          getApp(store, 'app-a').status?.operationState?.phase === 'Succeeded',
        'Succeeded',
      );
      return job.metadata.uid;
    };
    const first = await syncAndComplete();
    await waitFor(
      () => getApp(store, 'app-a').status?.sync?.status === 'Synced',
      'Synced',
    );
    const second = await syncAndComplete();
    expect(second).not.toBe(first);
    expect(getApp(store, 'app-a').status!.history!.map(h => h.id)).toEqual([
      0, 1,
    ]);
    expect(getApp(store, 'app-a').status!.health!.status).toBe('Healthy');
  });

  it('a failed hook fails the operation and later waves are never applied', async () => {
    const sha = await git.commit(wavesApp('envs/b'));
    store.create(
      application('app-b', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/b',
        namespace: 'team-b',
      }),
    );
    start();
    patchApp(store, 'app-b', a => {
      a.operation = { sync: { revision: sha } };
    });
    await waitFor(
      () => get(store, 'Job', 'team-b', 'health-check'),
      'hook Job',
    );
    setJobCondition(store, 'team-b', 'health-check', 'Failed');
    const failed = await waitFor(() => {
      const s = getApp(store, 'app-b').status?.operationState;
      return s?.phase === 'Failed' && s;
    }, 'operation Failed');
    expect(failed.message).toBe(
      'one or more synchronization tasks completed unsuccessfully',
    );
    expect(
      failed.syncResult!.resources!.find(r => r.kind === 'Job'),
    ).toMatchObject({
      hookPhase: 'Failed',
      message: 'Job has reached the specified backoff limit',
    });
    expect(getApp(store, 'app-b').operation).toBeUndefined();
    expect(getApp(store, 'app-b').status!.history).toBeUndefined();
    await sleep(200);
    expect(get(store, 'ConfigMap', 'team-b', 'last')).toBeUndefined();
  });

  it('an automated app syncs on its own, once per revision', async () => {
    const sha = await git.commit({
      'envs/c/kustomization.yaml': kustomization(['cm.yaml']),
      'envs/c/cm.yaml': configMap('auto', wave(0)),
    });
    store.create(
      application('app-c', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/c',
        namespace: 'team-c',
        automated: { prune: true },
      }),
    );
    start();
    const done = await waitFor(() => {
      const s = getApp(store, 'app-c').status?.operationState;
      return s?.phase === 'Succeeded' && s;
    }, 'automated sync');
    expect(done.operation).toMatchObject({
      sync: { revision: sha, prune: true },
      initiatedBy: { automated: true },
      retry: { limit: 5 },
    });
    expect(get(store, 'ConfigMap', 'team-c', 'auto')).toBeDefined();
    await waitFor(
      () => getApp(store, 'app-c').status?.sync?.status === 'Synced',
      'Synced',
    );

    // Drift without selfHeal is not corrected (already synced to this revision).
    store.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'team-c',
      name: 'auto',
    });
    await waitFor(
      () => getApp(store, 'app-c').status?.sync?.status === 'OutOfSync',
      'drift seen',
    );
    await sleep(200);
    expect(get(store, 'ConfigMap', 'team-c', 'auto')).toBeUndefined();

    // A new revision is synced; the removed object is pruned.
    const sha2 = await git.commit({
      'envs/c/kustomization.yaml': kustomization(['cm2.yaml']),
      'envs/c/cm.yaml': null,
      'envs/c/cm2.yaml': configMap('auto-2', wave(0)),
    });
    await waitFor(
      () => get(store, 'ConfigMap', 'team-c', 'auto-2'),
      'new revision applied',
    );
    await waitFor(
      () => getApp(store, 'app-c').status?.history?.length === 2,
      'second history entry',
    );
    expect(getApp(store, 'app-c').status!.history![1].revision).toBe(sha2);
  });

  it('creates the destination namespace with CreateNamespace=true, without managing it', async () => {
    const sha = await git.commit({
      'envs/new/kustomization.yaml': kustomization(['cm.yaml']),
      'envs/new/cm.yaml': configMap('in-new-ns', wave(0)),
    });
    store.create(
      application('app-new', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/new',
        namespace: 'team-new',
        syncOptions: ['CreateNamespace=true'],
      }),
    );
    start();
    patchApp(store, 'app-new', a => {
      a.operation = { sync: { revision: sha } };
    });
    const done = await waitFor(() => {
      const s = getApp(store, 'app-new').status?.operationState;
      return s?.phase === 'Succeeded' && s;
    }, 'Succeeded');
    expect(
      store.get({ apiVersion: 'v1', kind: 'Namespace', name: 'team-new' }),
    ).toBeDefined();
    expect(get(store, 'ConfigMap', 'team-new', 'in-new-ns')).toBeDefined();
    expect(done.syncResult!.resources![0]).toMatchObject({
      kind: 'Namespace',
      name: 'team-new',
      status: 'Synced',
      syncPhase: 'PreSync',
      message: 'namespace/team-new created',
    });
    const synced = await waitFor(() => {
      const a = getApp(store, 'app-new');
      return a.status?.sync?.status === 'Synced' && a;
    }, 'Synced');
    expect(synced.status!.resources!.map(r => r.kind)).toEqual(['ConfigMap']);
  });

  it('fails with the API server message when an apply fails', async () => {
    const sha = await git.commit({
      'envs/x/kustomization.yaml': kustomization(['cm.yaml', 'later.yaml']),
      'envs/x/cm.yaml': configMap('elsewhere', wave(0)).replace(
        'name: elsewhere',
        'name: elsewhere\n  namespace: team-missing',
      ),
      'envs/x/later.yaml': configMap('later', wave(5)),
    });
    store.create(
      application('app-x', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/x',
        namespace: 'team-a',
      }),
    );
    start();
    patchApp(store, 'app-x', a => {
      a.operation = { sync: { revision: sha } };
    });
    const state = await waitFor(() => {
      const s = getApp(store, 'app-x').status?.operationState;
      return s?.phase === 'Failed' && s;
    }, 'Failed');
    expect(state.message).toBe(
      'one or more objects failed to apply, reason: namespaces "team-missing" not found',
    );
    expect(state.syncResult!.resources).toEqual([
      expect.objectContaining({
        name: 'elsewhere',
        namespace: 'team-missing',
        status: 'SyncFailed',
        hookPhase: 'Failed',
        message: 'namespaces "team-missing" not found',
      }),
    ]);
    expect(get(store, 'ConfigMap', 'team-a', 'later')).toBeUndefined();
  });

  it('deletes the managed resources of an app deleted with the resources finalizer', async () => {
    const sha = await git.commit({
      'envs/c/kustomization.yaml': kustomization(['cm.yaml']),
      'envs/c/cm.yaml': configMap('owned', wave(0)),
    });
    store.create({
      ...application('app-c', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/c',
        namespace: 'team-c',
      }),
      metadata: {
        name: 'app-c',
        namespace: NS,
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
    });
    store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'unrelated', namespace: 'team-c' },
    });
    start();
    patchApp(store, 'app-c', a => {
      a.operation = { sync: { revision: sha } };
    });
    const owned = await waitFor(
      () => get(store, 'ConfigMap', 'team-c', 'owned'),
      'synced',
    );
    // A finalizer of its own holds the managed resource, and so the app.
    store.update({
      ...owned,
      metadata: { ...owned.metadata, finalizers: ['example.com/hold'] },
    });
    const marked = store.delete({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      namespace: NS,
      name: 'app-c',
    });
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    const terminating = await waitFor(
      () =>
        get(store, 'ConfigMap', 'team-c', 'owned')?.metadata.deletionTimestamp,
      'cascade deletion started',
    );
    expect(terminating).toBeDefined();
    await sleep(200);
    expect(getApp(store, 'app-c').metadata.finalizers).toEqual([
      'resources-finalizer.argocd.argoproj.io',
    ]);
    const held = get(store, 'ConfigMap', 'team-c', 'owned')!;
    store.update({ ...held, metadata: { ...held.metadata, finalizers: [] } });
    await waitFor(
      () =>
        !store.get({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          namespace: NS,
          name: 'app-c',
        }),
      'the Application gone once its resources are',
    );
    expect(get(store, 'ConfigMap', 'team-c', 'owned')).toBeUndefined();
    expect(get(store, 'ConfigMap', 'team-c', 'unrelated')).toBeDefined();
  });

  it('uses health customizations from argocd-cm, run as Lua (2.x: health persisted)', async () => {
    store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: NS },
      data: {
        'resource.customizations.health.loki.grafana.com_LokiStack': `hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for i, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" and c.status == "True" then
      hs.status = "Healthy"
      hs.message = c.message
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for LokiStack (" .. obj.spec.size .. ")"
return hs
`,
      },
    });
    const sha = await git.commit({
      'envs/loki/kustomization.yaml': kustomization([
        'lokistack.yaml',
        'cm.yaml',
      ]),
      'envs/loki/lokistack.yaml': `apiVersion: loki.grafana.com/v1
kind: LokiStack
metadata:
  name: logging-loki
  annotations:
    argocd.argoproj.io/sync-wave: "10"
spec:
  size: 1x.extra-small
  storage:
    schemas:
      - version: v13
        effectiveDate: "2024-10-23"
    secret:
      name: logging-loki-s3
      type: s3
  storageClassName: gp3-csi
  tenants:
    mode: openshift-logging
`,
      'envs/loki/cm.yaml': configMap('after-loki', wave(30)),
    });
    store.create(
      application('loki', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/loki',
        namespace: 'team-a',
      }),
    );
    start({ persistResourceHealth: true });
    patchApp(store, 'loki', a => {
      a.operation = { sync: { revision: sha } };
    });
    const ref = {
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      namespace: 'team-a',
      name: 'logging-loki',
    };
    await waitFor(() => store.get(ref), 'LokiStack applied');
    await waitFor(
      () =>
        getApp(store, 'loki').status?.operationState?.message ===
        'waiting for healthy state of loki.grafana.com/LokiStack/logging-loki',
      'waiting on LokiStack health',
    );
    const progressing = await waitFor(() => {
      const r = getApp(store, 'loki').status?.resources?.find(
        x => x.kind === 'LokiStack',
      );
      return r?.health && r;
    }, 'LokiStack health');
    expect(progressing.health).toEqual({
      status: 'Progressing',
      message: 'Waiting for LokiStack (1x.extra-small)',
    });
    await sleep(200);
    expect(get(store, 'ConfigMap', 'team-a', 'after-loki')).toBeUndefined();

    store.updateStatus({
      ...store.get(ref)!,
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'ReadyComponents',
            message: 'All components ready',
          },
        ],
      },
    });
    await waitFor(
      () => getApp(store, 'loki').status?.operationState?.phase === 'Succeeded',
      'Succeeded after LokiStack Ready',
    );
    expect(get(store, 'ConfigMap', 'team-a', 'after-loki')).toBeDefined();
    await waitFor(
      () =>
        getApp(store, 'loki').status?.resources?.find(
          x => x.kind === 'LokiStack',
        )?.health?.status === 'Healthy',
      'LokiStack Healthy in status.resources',
    );
    expect(
      getApp(store, 'loki').status!.resources!.find(
        x => x.kind === 'LokiStack',
      )!.health!.message,
    ).toBe('All components ready');
  });

  it('refuses a destination the project does not allow', async () => {
    await git.commit(wavesApp('envs/a'));
    store.create(
      application('bad-dest', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/a',
        namespace: 'default',
      }),
    );
    store.create(
      application('no-project', {
        project: 'missing',
        repoURL: git.server.url,
        path: 'envs/a',
        namespace: 'team-a',
      }),
    );
    start();
    const app = await waitFor(() => {
      const a = getApp(store, 'bad-dest');
      return a.status?.conditions && a;
    }, 'conditions');
    expect(app.status!.conditions).toEqual([
      {
        type: 'InvalidSpecError',
        message:
          "application destination server 'https://kubernetes.default.svc' and namespace 'default' do not match any of the allowed destinations in project 'logging'",
        lastTransitionTime: expect.any(String),
      },
    ]);
    expect(app.status!.sync!.status).toBe('Unknown');
    expect(app.status!.health!.status).toBe('Unknown');
    await waitFor(
      () =>
        getApp(store, 'no-project').status?.conditions?.[0]?.message ===
        'Application referencing project missing which does not exist',
      'missing project condition',
    );

    patchApp(store, 'bad-dest', a => {
      a.operation = { sync: { revision: 'main' } };
    });
    const state = await waitFor(() => {
      const s = getApp(store, 'bad-dest').status?.operationState;
      return s?.phase === 'Error' && s;
    }, 'operation Error');
    expect(state.message).toBe(
      "InvalidSpecError: application destination server 'https://kubernetes.default.svc' and namespace 'default' do not match any of the allowed destinations in project 'logging'",
    );
    expect(get(store, 'ConfigMap', 'default', 'first')).toBeUndefined();
  });

  it('fails a sync whose resources the project does not permit, naming them', async () => {
    store.delete({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      namespace: NS,
      name: 'logging',
    });
    store.create(
      appProject('logging', git.server.url, ['team-*'], {
        namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }],
      }),
    );
    const sha = await git.commit(wavesApp('envs/a'));
    store.create(
      application('app-a', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/a',
        namespace: 'team-a',
      }),
    );
    start();
    patchApp(store, 'app-a', a => {
      a.operation = { sync: { revision: sha } };
    });
    const state = await waitFor(() => {
      const s = getApp(store, 'app-a').status?.operationState;
      return s?.phase === 'Failed' && s;
    }, 'operation Failed');
    expect(state.message).toBe(
      'one or more synchronization tasks are not valid',
    );
    expect(state.syncResult!.resources).toEqual([
      expect.objectContaining({
        kind: 'Secret',
        status: 'SyncFailed',
        message: 'resource :Secret is not permitted in project logging',
      }),
    ]);
    expect(get(store, 'ConfigMap', 'team-a', 'first')).toBeUndefined();
  });

  it('reports a repository it cannot reach and an unresolvable revision', async () => {
    store.create(
      application('elsewhere', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/a',
        namespace: 'team-a',
      }),
    );
    store.delete({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      namespace: NS,
      name: 'logging',
    });
    store.create(appProject('logging', '*', ['team-*']));
    patchApp(store, 'elsewhere', a => {
      a.spec.source!.repoURL = 'https://github.com/example/gitops.git';
    });
    store.create(
      application('bad-rev', {
        project: 'logging',
        repoURL: `${git.server.url.replace(/\.git$/, '')}/`,
        path: 'envs/a',
        namespace: 'team-a',
        targetRevision: 'no-such-branch',
      }),
    );
    start();
    const a = await waitFor(
      () => getApp(store, 'elsewhere').status?.conditions?.[0],
      'condition',
    );
    expect(a.type).toBe('ComparisonError');
    expect(a.message).toMatch(
      /^Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = failed to list refs: repository not accessible: https:\/\/github.com\/example\/gitops.git/,
    );
    expect(getApp(store, 'elsewhere').status!.sync!.status).toBe('Unknown');
    const b = await waitFor(
      () => getApp(store, 'bad-rev').status?.conditions?.[0],
      'condition',
    );
    expect(b.message).toBe(
      "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Unable to resolve 'no-such-branch' to a commit SHA",
    );
  });
});
