/**
 * Where the sandbox's Argo CD keeps per-resource health: in the resource
 * tree only, as Argo CD 3.x does by default (`status.resourceHealthSource:
 * appTree`, controller/health.go setApplicationHealth with
 * persistResourceHealth false), or also in `status.resources[].health`, as
 * Argo CD 2.x did (`--persist-resource-health`).
 */
import { MemoryObjectStore } from '../../../kube/store';
import { ArgoCdApiServer, startArgoCdApiServer } from '../api';
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
import { ArgoCdControllerOptions, startArgoCdController } from '.';

const NS = 'openshift-gitops';
const TOKEN = 'resource-health-token';

// A LokiStack (health from the argocd-cm Lua check below) and a ConfigMap
// (no health check in Argo CD: no health anywhere).
const FILES = {
  'envs/loki/kustomization.yaml':
    'resources:\n  - lokistack.yaml\n  - cm.yaml\n',
  'envs/loki/lokistack.yaml': `apiVersion: loki.grafana.com/v1
kind: LokiStack
metadata:
  name: logging-loki
spec:
  size: 1x.demo
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
  'envs/loki/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  k: v
`,
};

const LOKI_HEALTH = `hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for i, c in ipairs(obj.status.conditions) do
    if c.type == "Degraded" and c.status == "True" then
      hs.status = "Degraded"
      hs.message = c.message
      return hs
    end
    if c.type == "Ready" and c.status == "True" then
      hs.status = "Healthy"
      hs.message = c.message
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for the Loki Operator"
return hs
`;

const LOKI_REF = {
  apiVersion: 'loki.grafana.com/v1',
  kind: 'LokiStack',
  namespace: 'team-a',
  name: 'logging-loki',
};

describe('per-resource health of the Argo CD controller', () => {
  let git: GitFixture;
  let store: MemoryObjectStore;
  let controller: Controller | undefined;
  let api: ArgoCdApiServer;
  const log: string[] = [];

  const getApp = () =>
    store.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      namespace: NS,
      name: 'loki',
    }) as Application;
  const call = async (path: string) => {
    const res = await fetch(`${api.url}${path}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    return res.json();
  };
  const start = (options: ArgoCdControllerOptions = {}) => {
    controller = startArgoCdController(
      testContext(store, git.server, log),
      options,
    );
  };
  const degrade = () =>
    store.updateStatus({
      ...store.get(LOKI_REF)!,
      status: {
        conditions: [
          {
            type: 'Degraded',
            status: 'True',
            reason: 'MissingObjectStorageSecret',
            message: 'Missing object storage secret',
          },
        ],
      },
    });
  /** Synced, LokiStack Degraded, as the controller reports it after a refresh. */
  const syncAndDegrade = async () => {
    const sha = await git.commit(FILES);
    store.create(
      application('loki', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/loki',
        namespace: 'team-a',
      }),
    );
    const app = getApp();
    store.update({ ...app, operation: { sync: { revision: sha } } });
    await waitFor(() => store.get(LOKI_REF), 'LokiStack applied');
    degrade();
    return waitFor(() => {
      const a = getApp();
      return a.status?.health?.status === 'Degraded' && a;
    }, 'the Application Degraded');
  };

  beforeEach(async () => {
    git = await startGitFixture();
    store = newStore(['team-a']);
    store.create(appProject('logging', git.server.url, ['team-*']));
    store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: NS },
      data: {
        'resource.customizations.health.loki.grafana.com_LokiStack':
          LOKI_HEALTH,
      },
    });
    api = await startArgoCdApiServer({
      store,
      token: TOKEN,
      namespace: NS,
      git: { url: git.server.url, repoDir: git.server.repoDir },
    });
  });

  afterEach(async () => {
    controller?.stop();
    controller = undefined;
    await api.close();
    await git.close();
    const problems = log.splice(0);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });

  it('by default (Argo CD 3.x) keeps it out of status.resources: resourceHealthSource appTree, health in the resource tree', async () => {
    start();
    const app = await syncAndDegrade();
    expect(app.status!.resourceHealthSource).toBe('appTree');
    expect(app.status!.resources!.map(r => r.kind).sort()).toEqual([
      'ConfigMap',
      'LokiStack',
    ]);
    for (const r of app.status!.resources!) expect(r.health).toBeUndefined();

    const tree = await call('/api/v1/applications/loki/resource-tree');
    const node = (kind: string) =>
      tree.nodes.find((n: { kind: string }) => n.kind === kind);
    expect(node('LokiStack')).toMatchObject({
      group: 'loki.grafana.com',
      namespace: 'team-a',
      name: 'logging-loki',
      uid: expect.any(String),
      health: {
        status: 'Degraded',
        message: 'Missing object storage secret',
      },
    });
    // Argo CD has no health check for a ConfigMap: a node without health.
    expect(node('ConfigMap')).toMatchObject({ uid: expect.any(String) });
    expect(node('ConfigMap').health).toBeUndefined();

    // The API fills status.resources[].health from the tree (argocd-server's
    // inferResourcesStatusHealth); the stored Application stays without.
    const served = await call('/api/v1/applications/loki');
    expect(
      served.status.resources.find(
        (r: { kind: string }) => r.kind === 'LokiStack',
      ).health,
    ).toEqual({ status: 'Degraded', message: 'Missing object storage secret' });
    const listed = await call('/api/v1/applications');
    expect(
      listed.items[0].status.resources.find(
        (r: { kind: string }) => r.kind === 'LokiStack',
      ).health.status,
    ).toBe('Degraded');
    expect(getApp().status!.resources!.every(r => !r.health)).toBe(true);
  });

  it('reports a resource that was never created as Missing in the tree, not in status.resources', async () => {
    await git.commit(FILES);
    store.create(
      application('loki', {
        project: 'logging',
        repoURL: git.server.url,
        path: 'envs/loki',
        namespace: 'team-a',
      }),
    );
    start();
    const app = await waitFor(() => {
      const a = getApp();
      return a.status?.sync?.status === 'OutOfSync' && a;
    }, 'OutOfSync');
    expect(app.status!.resources!.every(r => !r.health)).toBe(true);
    const tree = await call('/api/v1/applications/loki/resource-tree');
    expect(tree.nodes).toEqual(
      expect.arrayContaining([
        {
          group: 'loki.grafana.com',
          version: 'v1',
          kind: 'LokiStack',
          namespace: 'team-a',
          name: 'logging-loki',
          health: { status: 'Missing' },
        },
      ]),
    );
  });

  it('with persistResourceHealth (Argo CD 2.x) writes it into status.resources and leaves resourceHealthSource unset', async () => {
    start({ persistResourceHealth: true });
    const app = await syncAndDegrade();
    expect(app.status!.resourceHealthSource).toBeUndefined();
    expect(
      app.status!.resources!.find(r => r.kind === 'LokiStack')!.health,
    ).toEqual({
      status: 'Degraded',
      message: 'Missing object storage secret',
    });
    // Still no health for a kind Argo CD has no check for.
    expect(
      app.status!.resources!.find(r => r.kind === 'ConfigMap')!.health,
    ).toBeUndefined();

    // A controller started without it (an upgrade to 3.x) takes the health
    // out again on its next refresh.
    controller!.stop();
    start();
    const upgraded = await waitFor(() => {
      const a = getApp();
      return a.status?.resourceHealthSource === 'appTree' && a;
    }, 'resourceHealthSource appTree');
    expect(upgraded.status!.resources!.every(r => !r.health)).toBe(true);
  });
});
