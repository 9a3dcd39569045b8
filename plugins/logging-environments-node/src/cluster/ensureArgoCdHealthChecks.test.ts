/**
 * The rules of the health-check installation on a stand-in cluster; the
 * real API server's server-side apply, merge patch and the sandbox's
 * OpenShift GitOps operator are exercised in packages/backend
 * (src/bootstrap/argoCdHealthChecks.test.ts).
 */
import { ApiException } from '@kubernetes/client-node';
import { ArgoCdHealthChecks } from './argoCdHealthChecks';
import { ClusterClient, ObjectRef } from './client';
import {
  detectArgoCdFlavour,
  ensureArgoCdHealthChecks,
  inspectArgoCdHealthChecks,
} from './ensureArgoCdHealthChecks';

const SHIPPED: ArgoCdHealthChecks = {
  labels: { 'app.kubernetes.io/part-of': 'argocd' },
  checks: [
    { group: 'loki.grafana.com', kind: 'LokiStack', check: 'return loki\n' },
    {
      group: 'observability.openshift.io',
      kind: 'ClusterLogForwarder',
      check: 'return clf\n',
    },
  ],
};
const LOKI_KEY = 'resource.customizations.health.loki.grafana.com_LokiStack';
const CLF_KEY =
  'resource.customizations.health.observability.openshift.io_ClusterLogForwarder';

const status = (code: number, reason: string) =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({ kind: 'Status', reason, message: reason }),
    {},
  );

/**
 * A stand-in cluster: objects by kind and name, a resourceVersion bumped on
 * each write, merge patches that honour a given resourceVersion, and (when
 * `argocdServed` is false) no `ArgoCD` kind at all.
 */
function fakeCluster(
  objects: any[],
  options: { argocdServed?: boolean; beforePatch?: () => void } = {},
) {
  let version = 1;
  const writes: string[] = [];
  const find = (ref: { kind: string; name: string; namespace?: string }) =>
    objects.find(
      o =>
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        o.metadata.namespace === ref.namespace,
    );
  for (const o of objects) o.metadata.resourceVersion = String(version++);
  const cluster = {
    server: 'https://k8s.example.com',
    async get(ref: ObjectRef) {
      return structuredClone(find(ref));
    },
    async list(_apiVersion: string, kind: string, o: { namespace?: string }) {
      if (kind === 'ArgoCD' && options.argocdServed === false) {
        throw status(404, 'NotFound');
      }
      return objects
        .filter(x => x.kind === kind && x.metadata.namespace === o.namespace)
        .map(x => structuredClone(x));
    },
    async apply(object: any) {
      writes.push(`apply ${object.kind}`);
      const existing = find({ ...object.metadata, kind: object.kind });
      if (!existing) {
        objects.push({
          ...structuredClone(object),
          metadata: { ...object.metadata, resourceVersion: String(version++) },
        });
        return object;
      }
      existing.metadata.labels = {
        ...existing.metadata.labels,
        ...object.metadata.labels,
      };
      existing.data = { ...existing.data, ...object.data };
      existing.metadata.resourceVersion = String(version++);
      return existing;
    },
    async mergePatch(ref: ObjectRef, patch: any) {
      options.beforePatch?.();
      writes.push(`merge ${ref.kind}`);
      const existing = find(ref);
      if (!existing) throw status(404, 'NotFound');
      const rv = patch.metadata?.resourceVersion;
      if (rv && rv !== existing.metadata.resourceVersion) {
        throw status(409, 'Conflict');
      }
      existing.spec = { ...existing.spec, ...patch.spec };
      existing.metadata.resourceVersion = String(version++);
      return existing;
    },
  };
  return {
    cluster: cluster as unknown as ClusterClient,
    writes,
    get: (kind: string, name: string) =>
      find({ kind, name, namespace: 'openshift-gitops' }),
  };
}

const configMap = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'argocd-cm', namespace: 'openshift-gitops' },
  data,
});
const argoCd = (spec: Record<string, unknown>) => ({
  apiVersion: 'argoproj.io/v1beta1',
  kind: 'ArgoCD',
  metadata: { name: 'openshift-gitops', namespace: 'openshift-gitops' },
  spec,
});

describe('ensureArgoCdHealthChecks on upstream Argo CD', () => {
  it('applies only its keys, keeps the others, and writes nothing the second time', async () => {
    const fake = fakeCluster(
      [
        configMap({
          url: 'https://argocd.example.com',
          [LOKI_KEY]: 'return old',
        }),
      ],
      { argocdServed: false },
    );
    const dry = await ensureArgoCdHealthChecks(fake.cluster, SHIPPED, {
      dryRun: true,
    });
    expect(dry).toEqual({
      resource: 'ConfigMap openshift-gitops/argocd-cm',
      action: 'would-update',
      changes: [
        'replaced the health check of loki.grafana.com/LokiStack (it differed from the shipped script)',
        'added the health check of observability.openshift.io/ClusterLogForwarder',
      ],
    });
    expect(fake.writes).toEqual([]);

    const first = await ensureArgoCdHealthChecks(fake.cluster, SHIPPED);
    expect(first.action).toBe('updated');
    expect(fake.get('ConfigMap', 'argocd-cm').data).toEqual({
      url: 'https://argocd.example.com',
      [LOKI_KEY]: 'return loki\n',
      [CLF_KEY]: 'return clf\n',
    });
    const second = await ensureArgoCdHealthChecks(fake.cluster, SHIPPED);
    expect(second).toEqual({
      resource: 'ConfigMap openshift-gitops/argocd-cm',
      action: 'unchanged',
      changes: [],
    });
    expect(fake.writes).toEqual(['apply ConfigMap']);
  });

  it('creates argocd-cm with the labels Argo CD reads it by', async () => {
    const fake = fakeCluster([], { argocdServed: false });
    const result = await ensureArgoCdHealthChecks(fake.cluster, SHIPPED);
    expect(result.action).toBe('created');
    expect(fake.get('ConfigMap', 'argocd-cm').metadata.labels).toEqual({
      'app.kubernetes.io/part-of': 'argocd',
    });
  });

  it('uses argocd-cm when so configured, even beside an ArgoCD resource', async () => {
    const fake = fakeCluster([argoCd({}), configMap({})]);
    const result = await ensureArgoCdHealthChecks(fake.cluster, SHIPPED, {
      flavour: 'upstream',
    });
    expect(result.resource).toBe('ConfigMap openshift-gitops/argocd-cm');
    expect(fake.get('ArgoCD', 'openshift-gitops').spec).toEqual({});
  });
});

describe('ensureArgoCdHealthChecks on OpenShift GitOps', () => {
  it("merges its entries into the ArgoCD resource, keeps others' entries, and never touches argocd-cm", async () => {
    const theirs = { group: 'example.com', kind: 'Thing', check: 'return x' };
    const fake = fakeCluster([
      argoCd({
        resourceHealthChecks: [
          theirs,
          { group: 'loki.grafana.com', kind: 'LokiStack', check: 'old' },
        ],
        extraConfig: { 'admin.enabled': 'false' },
      }),
      configMap({ 'admin.enabled': 'false' }),
    ]);
    const first = await ensureArgoCdHealthChecks(fake.cluster, SHIPPED);
    expect(first).toEqual({
      resource: 'ArgoCD openshift-gitops/openshift-gitops',
      action: 'updated',
      changes: [
        'replaced the entry of loki.grafana.com/LokiStack (it differed from the shipped script)',
        'added an entry for observability.openshift.io/ClusterLogForwarder',
      ],
    });
    expect(fake.get('ArgoCD', 'openshift-gitops').spec).toEqual({
      resourceHealthChecks: [
        theirs,
        {
          group: 'loki.grafana.com',
          kind: 'LokiStack',
          check: 'return loki\n',
        },
        {
          group: 'observability.openshift.io',
          kind: 'ClusterLogForwarder',
          check: 'return clf\n',
        },
      ],
      extraConfig: { 'admin.enabled': 'false' },
    });
    const second = await ensureArgoCdHealthChecks(fake.cluster, SHIPPED);
    expect(second.action).toBe('unchanged');
    expect(fake.writes).toEqual(['merge ArgoCD']);
  });

  it('merges again when someone changed the resource in between', async () => {
    const theirs = { group: 'example.com', kind: 'Thing', check: 'return x' };
    const objects: any[] = [argoCd({})];
    let raced = false;
    const fake = fakeCluster(objects, {
      beforePatch() {
        if (raced) return;
        raced = true;
        // Someone else adds their entry after the read.
        objects[0].spec = { resourceHealthChecks: [theirs] };
        objects[0].metadata.resourceVersion = '99';
      },
    });
    await ensureArgoCdHealthChecks(fake.cluster, SHIPPED);
    expect(
      fake.get('ArgoCD', 'openshift-gitops').spec.resourceHealthChecks,
    ).toEqual([theirs, expect.any(Object), expect.any(Object)]);
    expect(fake.writes).toEqual(['merge ArgoCD', 'merge ArgoCD']);
  });

  it('refuses a spec.extraConfig that overrides a check with another script', async () => {
    const fake = fakeCluster([
      argoCd({ extraConfig: { [LOKI_KEY]: 'return mine' } }),
    ]);
    await expect(
      ensureArgoCdHealthChecks(fake.cluster, SHIPPED),
    ).rejects.toThrow(
      `ArgoCD openshift-gitops/openshift-gitops: check spec.extraConfig failed (Conflict): spec.extraConfig sets ${LOKI_KEY} to another script, and the operator lets extraConfig override spec.resourceHealthChecks: remove that key (or make them the shipped scripts). Nothing was changed`,
    );
    expect(fake.writes).toEqual([]);
  });

  it('fails when configured as OpenShift GitOps without an ArgoCD resource', async () => {
    const fake = fakeCluster([configMap({})]);
    await expect(
      ensureArgoCdHealthChecks(fake.cluster, SHIPPED, {
        flavour: 'openshift-gitops',
      }),
    ).rejects.toThrow(
      'the cluster is configured as OpenShift GitOps (argocdFlavour), but there is no ArgoCD resource in openshift-gitops',
    );
  });
});

describe('detectArgoCdFlavour and inspectArgoCdHealthChecks', () => {
  it('tell upstream from OpenShift GitOps, and what each place holds', async () => {
    expect(
      await detectArgoCdFlavour(
        fakeCluster([], { argocdServed: false }).cluster,
        'openshift-gitops',
      ),
    ).toEqual({ flavour: 'upstream' });
    const fake = fakeCluster([
      argoCd({
        resourceHealthChecks: [
          {
            group: 'loki.grafana.com',
            kind: 'LokiStack',
            check: 'return loki',
          },
        ],
        extraConfig: { [CLF_KEY]: 'return other' },
      }),
      configMap({ [LOKI_KEY]: 'return loki', [CLF_KEY]: 'return other' }),
    ]);
    expect(
      await inspectArgoCdHealthChecks(fake.cluster, SHIPPED.checks, {
        namespace: 'openshift-gitops',
      }),
    ).toEqual({
      flavour: 'openshift-gitops',
      instance: 'openshift-gitops',
      namespace: 'openshift-gitops',
      configMap: true,
      checks: [
        {
          group: 'loki.grafana.com',
          kind: 'LokiStack',
          key: LOKI_KEY,
          inConfigMap: 'same',
          inResource: 'same',
        },
        {
          group: 'observability.openshift.io',
          kind: 'ClusterLogForwarder',
          key: CLF_KEY,
          inConfigMap: 'different',
          inResource: 'missing',
          inExtraConfig: 'different',
        },
      ],
    });
  });

  it('do not guess when the cluster refuses to say', async () => {
    const cluster = {
      async list() {
        throw status(403, 'Forbidden');
      },
    } as unknown as ClusterClient;
    await expect(ensureArgoCdHealthChecks(cluster, SHIPPED)).rejects.toThrow(
      'Argo CD in openshift-gitops: detect its flavour failed (Forbidden): Forbidden. Nothing was changed',
    );
  });
});
