/**
 * The product's Argo CD health checks on a sandbox in OpenShift GitOps mode,
 * through the real API server: the -node ensure operation merges its
 * entries into the ArgoCD resource (others' kept), the sandbox's operator
 * renders them into argocd-cm, and the checklist's probe tells missing,
 * different and right apart. (Upstream Argo CD, through the scaffolder
 * action: clusterActions.test.ts.)
 */
import {
  ArgoCdHealthChecks,
  ClusterClient,
  argoCdHealthCheckKey,
  argoCdHealthCheckSettings,
  ensureArgoCdHealthChecks,
} from '@internal/plugin-logging-environments-node';
import { argoCdHealthChecksProbe } from '@internal/plugin-logging-environments-backend/testUtils';
import type { ProbeContext } from '@internal/plugin-logging-environments-backend/testUtils';
import { KubeConfig } from '@kubernetes/client-node';
import { Sandbox, startSandbox } from '@internal/sandbox';

jest.setTimeout(60_000);

const INSTANCE = {
  apiVersion: 'argoproj.io/v1beta1',
  kind: 'ArgoCD',
  namespace: 'openshift-gitops',
  name: 'openshift-gitops',
};
const CM = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'openshift-gitops',
  name: 'argocd-cm',
};

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

describe('Argo CD health checks on OpenShift GitOps', () => {
  let sandbox: Sandbox;
  let client: ClusterClient;
  let shipped: ArgoCdHealthChecks;
  const theirs = { group: 'example.com', kind: 'Thing', check: 'return {}' };
  const instance = () => sandbox.store.get(INSTANCE) as any;
  const cmData = () =>
    ((sandbox.store.get(CM) as any)?.data ?? {}) as Record<string, string>;
  const probe = () =>
    argoCdHealthChecksProbe.run({
      environment: { argocdNamespace: 'openshift-gitops', cluster: 'sandbox' },
      cluster: () => client,
      argoCd: { healthChecks: async () => shipped, flavour: () => 'auto' },
    } as unknown as ProbeContext);

  beforeAll(async () => {
    sandbox = await startSandbox({ argoCdFlavour: 'openshift-gitops' });
    const kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    client = ClusterClient.fromKubeConfig(kc);
    shipped = await argoCdHealthCheckSettings().healthChecks();
  });
  afterAll(() => sandbox?.stop());

  it('fails the probe while the ArgoCD resource has no entry', async () => {
    const result = await probe();
    expect(result.status).toBe('fail');
    expect(result.message).toContain(
      'loki.grafana.com/LokiStack: no entry in spec.resourceHealthChecks of ArgoCD openshift-gitops/openshift-gitops',
    );
    expect(result.evidence).toMatchObject({ flavour: 'openshift-gitops' });
  });

  it("merges its entries into the ArgoCD resource, keeps others', and the operator renders them", async () => {
    await client.mergePatch(INSTANCE, {
      spec: { resourceHealthChecks: [theirs] },
    });
    const dry = await ensureArgoCdHealthChecks(client, shipped, {
      dryRun: true,
    });
    expect(dry.action).toBe('would-update');
    expect(instance().spec.resourceHealthChecks).toEqual([theirs]);

    const first = await ensureArgoCdHealthChecks(client, shipped);
    expect(first).toEqual({
      resource: 'ArgoCD openshift-gitops/openshift-gitops',
      action: 'updated',
      changes: [
        'added an entry for loki.grafana.com/LokiStack',
        'added an entry for observability.openshift.io/ClusterLogForwarder',
      ],
    });
    expect(instance().spec.resourceHealthChecks).toEqual([
      theirs,
      ...shipped.checks,
    ]);
    const version = instance().metadata.resourceVersion;
    expect((await ensureArgoCdHealthChecks(client, shipped)).action).toBe(
      'unchanged',
    );
    expect(instance().metadata.resourceVersion).toBe(version);

    // The operator's rendering: one key per entry, no useOpenLibs key.
    await waitFor('the operator to render argocd-cm', () =>
      shipped.checks.every(c => cmData()[argoCdHealthCheckKey(c)] === c.check),
    );
    expect(cmData()['resource.customizations.health.example.com_Thing']).toBe(
      'return {}',
    );
    expect(
      Object.keys(cmData()).filter(k => k.includes('useOpenLibs')),
    ).toEqual([]);
    expect(await probe()).toMatchObject({ status: 'pass' });
  });

  it('would lose an install into argocd-cm to the operator: the flavour matters', async () => {
    const key = argoCdHealthCheckKey(shipped.checks[1]);
    const direct = await ensureArgoCdHealthChecks(
      client,
      {
        ...shipped,
        checks: [{ ...shipped.checks[1], check: 'return {}' }],
      },
      { flavour: 'upstream' },
    );
    expect(direct).toMatchObject({
      resource: 'ConfigMap openshift-gitops/argocd-cm',
      action: 'updated',
    });
    await waitFor(
      'the operator to revert the key',
      () => cmData()[key] === shipped.checks[1].check,
    );
  });

  it('fails the probe for an entry someone changed, until the bootstrap runs again', async () => {
    await client.mergePatch(INSTANCE, {
      spec: {
        resourceHealthChecks: [
          theirs,
          { ...shipped.checks[0], check: 'return {}' },
          shipped.checks[1],
        ],
      },
    });
    await waitFor(
      'the operator to render the change',
      () => cmData()[argoCdHealthCheckKey(shipped.checks[0])] === 'return {}',
    );
    const result = await probe();
    expect(result.status).toBe('fail');
    expect(result.message).toContain(
      'loki.grafana.com/LokiStack: its entry in spec.resourceHealthChecks of ArgoCD openshift-gitops/openshift-gitops differs from the shipped script',
    );
    expect(result.evidence).toMatchObject({
      'loki.grafana.com/LokiStack (argocd-cm)': 'another script',
    });

    const fixed = await ensureArgoCdHealthChecks(client, shipped);
    expect(fixed.changes).toEqual([
      'replaced the entry of loki.grafana.com/LokiStack (it differed from the shipped script)',
    ]);
    await waitFor(
      'the operator to render the fix',
      () =>
        cmData()[argoCdHealthCheckKey(shipped.checks[0])] ===
        shipped.checks[0].check,
    );
    expect(await probe()).toMatchObject({ status: 'pass' });
    expect(instance().spec.resourceHealthChecks[0]).toEqual(theirs);
  });
});
