import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkClusterNames } from './cluster';
import { Sandbox, portalConfig, startSandbox } from './index';

// Whole sandboxes (moto included) on 2 shared cores.
jest.setTimeout(60_000);

function kubeConfig(yaml: string) {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 50));
  }
}

describe('checkClusterNames', () => {
  it('refuses names that are no DNS label, repeated, or the first cluster', () => {
    expect(() => checkClusterNames(['dev', 'staging'])).not.toThrow();
    expect(() => checkClusterNames(['Dev'])).toThrow(/DNS label/);
    expect(() => checkClusterNames(['dev', 'dev'])).toThrow(/named twice/);
    expect(() => checkClusterNames(['sandbox'])).toThrow(/named twice/);
  });
});

describe('a sandbox with further clusters', () => {
  let dir: string;
  let sandbox: Sandbox | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-clusters-'));
  });
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('serves each as a cluster of its own, with its own Argo CD and operators, and lists all three for the portal', async () => {
    sandbox = await startSandbox({
      clusters: ['dev', 'staging'],
      stateDir: join(dir, 'state'),
    });
    expect(sandbox.clusters.map(c => c.name)).toEqual(['dev', 'staging']);
    const urls = [sandbox.kube.url, ...sandbox.clusters.map(c => c.kube.url)];
    expect(new Set(urls).size).toBe(3);
    const argocdUrls = [
      sandbox.argocd.url,
      ...sandbox.clusters.map(c => c.argocd.url),
    ];
    expect(new Set(argocdUrls).size).toBe(3);

    // A Job on dev runs there (dev's Job controller) and nowhere else.
    const dev = sandbox.clusters[0];
    const batch = kubeConfig(dev.kubeconfig).makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: 'default',
      body: {
        metadata: { name: 'hello' },
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'c', image: 'busybox', command: ['true'] }],
            },
          },
        },
      },
    });
    const done = await waitFor(async () => {
      const job = await batch.readNamespacedJob({
        namespace: 'default',
        name: 'hello',
      });
      return job.status?.succeeded ? job : undefined;
    });
    expect(done.status?.succeeded).toBe(1);
    const jobKey = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: 'default',
      name: 'hello',
    };
    expect(sandbox.store.get(jobKey)).toBeUndefined();
    expect(sandbox.clusters[1].store.get(jobKey)).toBeUndefined();

    // Each cluster's Argo CD answers with the shared token.
    for (const url of argocdUrls) {
      const res = await fetch(`${url}/api/v1/applications`, {
        headers: { authorization: `Bearer ${sandbox.argocd.token}` },
      });
      expect(res.status).toBe(200);
    }

    // The portal's configuration names all three, each with its kubeconfig.
    const out = join(dir, 'out');
    await sandbox.writeFiles(out);
    const config = portalConfig(sandbox, {
      kubeconfigPath: join(out, 'kubeconfig'),
    }) as any;
    expect(config.loggingEnvironments.clusters).toEqual([
      expect.objectContaining({ name: 'sandbox' }),
      {
        name: 'dev',
        kubeconfig: join(out, 'kubeconfig-dev'),
        argocdUrl: dev.argocd.url,
        argocdToken: dev.argocd.token,
      },
      expect.objectContaining({
        name: 'staging',
        kubeconfig: join(out, 'kubeconfig-staging'),
      }),
    ]);
    const core = kubeConfig(
      await readFile(join(out, 'kubeconfig-staging'), 'utf8'),
    ).makeApiClient(CoreV1Api);
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map(n => n.metadata?.name)).toContain('default');

    // Reset wipes every cluster; a restart keeps each cluster's objects.
    await sandbox.reset();
    expect(dev.store.get(jobKey)).toBeUndefined();
    await batch.createNamespacedJob({
      namespace: 'default',
      body: {
        metadata: { name: 'kept' },
        spec: { template: { spec: { containers: [] } } },
      },
    });
    await sandbox.stop();
    sandbox = await startSandbox({
      clusters: ['dev', 'staging'],
      stateDir: join(dir, 'state'),
    });
    expect(
      sandbox.clusters[0].store.get({ ...jobKey, name: 'kept' }),
    ).toBeDefined();
    expect(sandbox.store.get({ ...jobKey, name: 'kept' })).toBeUndefined();
  });
});
