import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, startSandbox } from '../index';
import { KubeObject } from '../kube/types';
import {
  ARGOCD,
  DEFAULT_ARGOCD_INSTANCE,
  renderHealthChecks,
} from './openshiftGitops';

const LOKI_KEY = 'resource.customizations.health.loki.grafana.com_LokiStack';
const CM = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'openshift-gitops',
  name: 'argocd-cm',
};
const INSTANCE = { ...ARGOCD, ...DEFAULT_ARGOCD_INSTANCE };

async function waitFor<T>(
  fn: () => T | undefined | null | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

const dataOf = (s: Sandbox) =>
  (s.store.get(CM)?.data ?? {}) as Record<string, string>;

describe('renderHealthChecks', () => {
  it('names keys as the operator does, lets extraConfig win, and writes no useOpenLibs key', () => {
    const argocd: KubeObject = {
      ...ARGOCD,
      metadata: { name: 'x', namespace: 'y' },
      spec: {
        resourceHealthChecks: [
          { group: 'loki.grafana.com', kind: 'LokiStack', check: 'a' },
          { kind: 'Service', check: 'b' },
          { group: 'example.com', kind: 'Thing', check: 'c' },
        ],
        extraConfig: {
          'resource.customizations.health.example.com_Thing': 'd',
          'admin.enabled': 'false',
        },
      },
    };
    expect(renderHealthChecks(argocd)).toEqual({
      [LOKI_KEY]: 'a',
      'resource.customizations.health.Service': 'b',
      'resource.customizations.health.example.com_Thing': 'd',
    });
  });
});

describe('the sandbox in OpenShift GitOps mode', () => {
  jest.setTimeout(60_000);
  let stateDir: string;
  let sandbox: Sandbox | undefined;
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gitops-state-'));
  });
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('has the default ArgoCD instance, whose operator renders its health checks into argocd-cm and reverts direct edits', async () => {
    sandbox = await startSandbox({
      argoCdFlavour: 'openshift-gitops',
      stateDir,
    });
    const s = sandbox;
    expect(s.argoCdFlavour).toBe('openshift-gitops');
    const instance = s.store.get(INSTANCE)!;
    expect(instance).toBeDefined();
    const cm = await waitFor(() => s.store.get(CM), 'argocd-cm');
    expect(cm.metadata.labels).toMatchObject({
      'app.kubernetes.io/part-of': 'argocd',
      'app.kubernetes.io/managed-by': 'openshift-gitops',
    });
    expect(cm.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ArgoCD', uid: instance.metadata.uid }),
    ]);

    // Someone's own key, and the entries through the API (as the product
    // writes them: a merge patch of the ArgoCD resource).
    s.store.apply(
      {
        ...CM,
        metadata: { name: CM.name, namespace: CM.namespace },
        data: { url: 'https://argocd.example' },
      } as KubeObject,
      { fieldManager: 'someone' },
    );
    const kc = new KubeConfig();
    kc.loadFromString(s.kubeconfig);
    await KubernetesObjectApi.makeApiClient(kc).patch(
      {
        ...ARGOCD,
        metadata: { ...DEFAULT_ARGOCD_INSTANCE },
        spec: {
          resourceHealthChecks: [
            {
              group: 'loki.grafana.com',
              kind: 'LokiStack',
              check: 'return hs',
            },
          ],
        },
      } as any,
      undefined,
      undefined,
      'test',
      undefined,
      PatchStrategy.MergePatch,
    );
    await waitFor(() => dataOf(s)[LOKI_KEY] === 'return hs', 'the key');
    expect(
      Object.keys(dataOf(s)).filter(k => k.includes('useOpenLibs')),
    ).toEqual([]);

    // Direct edits of health-check keys are reverted or removed; other
    // keys stay.
    s.store.apply(
      {
        ...CM,
        metadata: { name: CM.name, namespace: CM.namespace },
        data: {
          [LOKI_KEY]: 'return edited',
          'resource.customizations.useOpenLibs.loki.grafana.com_LokiStack':
            'true',
          'resource.customizations.health.example.com_Thing': 'return x',
        },
      } as KubeObject,
      { fieldManager: 'backstage-logging-environments', force: true },
    );
    await waitFor(
      () =>
        dataOf(s)[LOKI_KEY] === 'return hs' &&
        Object.keys(dataOf(s)).length === 2,
      'the edit reverted',
    );
    expect(dataOf(s)).toEqual({
      url: 'https://argocd.example',
      [LOKI_KEY]: 'return hs',
    });

    // Deleted (a reset does that): the operator puts it back.
    s.store.delete(CM);
    await waitFor(() => dataOf(s)[LOKI_KEY] === 'return hs', 'argocd-cm back');
  });

  it('keeps its ArgoCD resource across restarts, and is not started in the default mode on that state', async () => {
    await expect(startSandbox({ stateDir })).rejects.toThrow(
      'is of a sandbox in OpenShift GitOps mode (it holds ArgoCD resources): start it in that mode again (argoCdFlavour openshift-gitops), or from empty state',
    );
    sandbox = await startSandbox({
      argoCdFlavour: 'openshift-gitops',
      stateDir,
    });
    const s = sandbox;
    expect(
      (s.store.get(INSTANCE)?.spec as any)?.resourceHealthChecks,
    ).toHaveLength(1);
    expect(dataOf(s)[LOKI_KEY]).toBe('return hs');
  });

  it('serves no ArgoCD kind in the default mode', async () => {
    sandbox = await startSandbox();
    expect(sandbox.argoCdFlavour).toBe('upstream');
    expect(() =>
      sandbox!.store.typeOf(ARGOCD.apiVersion, ARGOCD.kind),
    ).toThrow();
    const kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    await expect(
      KubernetesObjectApi.makeApiClient(kc).list(
        ARGOCD.apiVersion,
        ARGOCD.kind,
        'openshift-gitops',
      ),
    ).rejects.toMatchObject({ code: 404 });
  });
});
