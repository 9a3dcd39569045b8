import { KubeObject } from '../../kube/types';
import { newStore } from './__testUtils__/testkit';
import {
  builtinHealth,
  healthScriptFor,
  isWorse,
  readHealthOverrides,
  resourceHealth,
} from './health';

const es = (conditions?: unknown[]): KubeObject => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: {
    name: 'loki-s3',
    namespace: 'team-a',
    uid: `u-${Math.random()}`,
    resourceVersion: '1',
  },
  spec: { refreshInterval: '1h' },
  ...(conditions ? { status: { conditions } } : {}),
});

describe('resource health', () => {
  it('runs Argo CD built-in ExternalSecret health script by default', async () => {
    expect(await resourceHealth(es(), {})).toEqual({
      status: 'Progressing',
      message: 'Waiting for ExternalSecret',
    });
    expect(
      await resourceHealth(
        es([{ type: 'Ready', status: 'True', message: 'Secret was synced' }]),
        {},
      ),
    ).toEqual({ status: 'Healthy', message: 'Secret was synced' });
    expect(
      await resourceHealth(
        es([
          {
            type: 'Ready',
            status: 'False',
            reason: 'SecretSyncedError',
            message: 'could not get secret data from provider',
          },
        ]),
        {},
      ),
    ).toEqual({
      status: 'Degraded',
      message: 'could not get secret data from provider',
    });
  });

  it('has gitops-engine health for Jobs and none for plain kinds', () => {
    const job = (conditions: unknown[]): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      status: { conditions },
    });
    expect(builtinHealth(job([]))).toEqual({
      status: 'Progressing',
      message: '',
    });
    expect(
      builtinHealth(job([{ type: 'Complete', status: 'True' }]))!.status,
    ).toBe('Healthy');
    expect(
      builtinHealth(
        job([
          {
            type: 'Failed',
            status: 'True',
            message: 'Job has reached the specified backoff limit',
          },
        ]),
      ),
    ).toEqual({
      status: 'Degraded',
      message: 'Job has reached the specified backoff limit',
    });
    for (const kind of ['ConfigMap', 'Secret', 'ServiceAccount', 'Namespace']) {
      expect(
        builtinHealth({ apiVersion: 'v1', kind, metadata: { name: 'x' } }),
      ).toBeUndefined();
    }
    expect(
      builtinHealth({
        apiVersion: 'loki.grafana.com/v1',
        kind: 'LokiStack',
        metadata: { name: 'x' },
      }),
    ).toBeUndefined();
  });

  it('reads customizations from argocd-cm (split keys win over the block form)', async () => {
    const store = newStore();
    store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: 'openshift-gitops' },
      data: {
        'resource.customizations': `loki.grafana.com/LokiStack:
  health.lua: |
    return { status = "Degraded", message = "from block" }
observability.openshift.io/*:
  health.lua: |
    return { status = "Healthy", message = string.lower("WILDCARD") }
  health.lua.useOpenLibs: true
`,
        'resource.customizations.health.loki.grafana.com_LokiStack':
          'return { status = "Suspended", message = "from split key" }',
        'resource.customizations.health.ConfigMap':
          'return { status = "Healthy" }',
      },
    });
    const overrides = readHealthOverrides(store, 'openshift-gitops');
    expect(Object.keys(overrides).sort()).toEqual([
      'ConfigMap',
      'loki.grafana.com/LokiStack',
      'observability.openshift.io/*',
    ]);
    const loki: KubeObject = {
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      metadata: { name: 'l' },
    };
    expect(await resourceHealth(loki, overrides)).toEqual({
      status: 'Suspended',
      message: 'from split key',
    });
    const clf: KubeObject = {
      apiVersion: 'observability.openshift.io/v1',
      kind: 'ClusterLogForwarder',
      metadata: { name: 'c' },
    };
    expect(healthScriptFor(clf, overrides)!.useOpenLibs).toBe(true);
    expect(await resourceHealth(clf, overrides)).toEqual({
      status: 'Healthy',
      message: 'wildcard',
    });
    expect(
      await resourceHealth(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
        overrides,
      ),
    ).toEqual({
      status: 'Healthy',
    });
    // Without argocd-cm: only built-ins.
    expect(readHealthOverrides(store, 'default')).toEqual({});
  });

  it('turns a failing script into Unknown with the error', async () => {
    const overrides = {
      'loki.grafana.com/LokiStack': {
        healthLua: 'return obj.status.conditions[1]',
      },
    };
    const loki: KubeObject = {
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      metadata: { name: 'l' },
    };
    expect(await resourceHealth(loki, overrides)).toEqual({
      status: 'Unknown',
      message: "<string>:1: attempt to index a nil value (field 'status')",
    });
  });

  it('orders health like health.IsWorse', () => {
    expect(isWorse('Healthy', 'Progressing')).toBe(true);
    expect(isWorse('Degraded', 'Missing')).toBe(false);
    expect(isWorse('Missing', 'Degraded')).toBe(true);
    expect(isWorse('Healthy', 'Suspended')).toBe(true);
  });
});
