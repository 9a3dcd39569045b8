import { WAVE_PLAN } from '@internal/plugin-logging-environments-common';
import { runHealthLua } from '@internal/sandbox/testUtils';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { Manifest, REPO_ROOT, kustomize } from './__testUtils__/kustomize';

const manifests = join(REPO_ROOT, 'manifests');
const TIERS = ['development', 'staging', 'production'] as const;
const wave = (o: Manifest) =>
  o.metadata.annotations?.['argocd.argoproj.io/sync-wave'];
const find = (objects: Manifest[], kind: string) => {
  const found = objects.find(o => o.kind === kind);
  if (!found) throw new Error(`no ${kind} rendered`);
  return found;
};

describe('manifests', () => {
  jest.setTimeout(60_000);

  it('installs the four operators with their channels as parameters', async () => {
    const objects = await kustomize(join(manifests, 'operators'));
    const subscriptions = objects.filter(o => o.kind === 'Subscription');
    expect(
      Object.fromEntries(subscriptions.map(s => [s.spec.name, s.spec.channel])),
    ).toEqual({
      'loki-operator': 'stable-6.2',
      'cluster-logging': 'stable-6.2',
      'external-secrets-operator': 'stable',
      'openshift-gitops-operator': 'latest',
    });
    // The parameters themselves are never applied.
    expect(
      objects.find(o => o.metadata.name === 'operator-channels'),
    ).toBeUndefined();
    for (const s of subscriptions) {
      const ns = s.metadata.namespace;
      const groups = objects.filter(
        o => o.kind === 'OperatorGroup' && o.metadata.namespace === ns,
      );
      // OLM needs exactly one OperatorGroup per namespace; openshift-operators
      // has the cluster's global-operators group already.
      expect(groups.length).toBe(ns === 'openshift-operators' ? 0 : 1);
    }
  });

  describe.each(TIERS)('the %s overlay', tier => {
    it('puts every infrastructure object in the wave of its step, the health check as a Sync hook', async () => {
      const objects = await kustomize(
        join(manifests, 'overlays', tier, 'infrastructure'),
      );
      const waveOf = (kind: string) =>
        String(WAVE_PLAN.find(s => s.kind === kind)!.wave);
      expect(wave(find(objects, 'ExternalSecret'))).toBe(
        waveOf('ExternalSecret'),
      );
      expect(wave(find(objects, 'LokiStack'))).toBe(waveOf('LokiStack'));
      const job = find(objects, 'Job');
      expect(wave(job)).toBe(waveOf('Job'));
      expect(job.metadata.annotations).toMatchObject({
        'argocd.argoproj.io/hook': 'Sync',
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      });
      // The hook waits for the LokiStack of this stack to be Ready.
      const command = job.spec.template.spec.containers[0].command.join(' ');
      expect(command).toContain(
        'wait --for=condition=Ready lokistack/logging-loki',
      );
      expect(command).toContain(
        `--namespace=${find(objects, 'LokiStack').metadata.namespace}`,
      );
      for (const o of objects) {
        expect(wave(o)).toMatch(/^(0|10|20)$/);
        expect(o.metadata.namespace ?? 'openshift-logging').toBe(
          'openshift-logging',
        );
      }
      // Its service account and RBAC exist in the same wave as the hook.
      expect(
        objects
          .filter(o =>
            ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind),
          )
          .map(wave),
      ).toEqual(['20', '20', '20']);
    });

    it('keeps the forwarder in wave 30 only, reading from the same LokiStack', async () => {
      const infra = await kustomize(
        join(manifests, 'overlays', tier, 'infrastructure'),
      );
      const objects = await kustomize(
        join(manifests, 'overlays', tier, 'forwarder'),
      );
      for (const o of objects) expect(wave(o)).toBe('30');
      const clf = find(objects, 'ClusterLogForwarder');
      const loki = find(infra, 'LokiStack');
      expect(clf.spec.outputs[0].lokiStack.target).toEqual({
        name: loki.metadata.name,
        namespace: loki.metadata.namespace,
      });
      const sa = find(objects, 'ServiceAccount');
      expect(clf.spec.serviceAccount.name).toBe(sa.metadata.name);
      // Every log type the pipelines read is authorized by a binding.
      const bound = objects
        .filter(o => o.kind === 'ClusterRoleBinding')
        .map(o => o.roleRef.name);
      for (const input of clf.spec.pipelines.flatMap((p: any) => p.inputRefs)) {
        expect(bound).toContain(`collect-${input}-logs`);
      }
      expect(bound).toContain('logging-collector-logs-writer');
    });
  });

  it('grows the stack with the tier', async () => {
    const summary: Record<string, unknown> = {};
    for (const tier of TIERS) {
      const loki = find(
        await kustomize(join(manifests, 'overlays', tier, 'infrastructure')),
        'LokiStack',
      );
      const clf = find(
        await kustomize(join(manifests, 'overlays', tier, 'forwarder')),
        'ClusterLogForwarder',
      );
      summary[tier] = {
        size: loki.spec.size,
        retentionDays: loki.spec.limits.global.retention.days,
        replication: loki.spec.replication?.factor ?? 1,
        tls: clf.spec.outputs[0].tls.securityProfile.type,
        inputs: clf.spec.pipelines[0].inputRefs,
      };
    }
    expect(summary).toEqual({
      development: {
        size: '1x.demo',
        retentionDays: 7,
        replication: 1,
        tls: 'Intermediate',
        inputs: ['application', 'infrastructure'],
      },
      staging: {
        size: '1x.extra-small',
        retentionDays: 14,
        replication: 2,
        tls: 'Intermediate',
        inputs: ['application', 'infrastructure'],
      },
      production: {
        size: '1x.small',
        retentionDays: 30,
        replication: 2,
        tls: 'Modern',
        inputs: ['application', 'infrastructure', 'audit'],
      },
    });
  });

  it('lets the custom-ca TLS strategy point Loki at a CA bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'resources:',
        `  - ${relative(
          dir,
          join(manifests, 'overlays/production/infrastructure'),
        )}`,
        'components:',
        `  - ${relative(dir, join(manifests, 'components/s3-custom-ca'))}`,
      ].join('\n'),
    );
    const loki = find(await kustomize(dir), 'LokiStack');
    expect(loki.spec.storage.tls).toEqual({
      caName: 'logging-loki-s3-ca',
      caKey: 'ca-bundle.crt',
    });
  });
});

describe('Argo CD health checks', () => {
  const healthDir = join(manifests, 'argocd', 'health');

  it('are shipped as argocd-cm resource customizations', async () => {
    const [cm] = await kustomize(healthDir);
    expect(cm.metadata).toMatchObject({
      name: 'argocd-cm',
      namespace: 'openshift-gitops',
    });
    expect(Object.keys(cm.data).sort()).toEqual([
      'resource.customizations.health.loki.grafana.com_LokiStack',
      'resource.customizations.health.observability.openshift.io_ClusterLogForwarder',
      'resource.customizations.useOpenLibs.observability.openshift.io_ClusterLogForwarder',
    ]);
  });

  // Same shape as argo-cd's resource_customizations: health.lua beside a
  // health_test.yaml listing inputs and the expected status and message.
  const suites = [
    'loki.grafana.com/LokiStack',
    'observability.openshift.io/ClusterLogForwarder',
  ];
  describe.each(suites)('%s', suite => {
    const testFile = join(healthDir, suite, 'health_test.yaml');
    const { tests } = parse(readFileSync(testFile, 'utf8')) as {
      tests: Array<{
        healthStatus: { status: string; message: string };
        inputPath: string;
      }>;
    };
    const script = readFileSync(join(healthDir, suite, 'health.lua'), 'utf8');
    const key = suite.replace('/', '_');

    it.each(tests.map(t => [t.inputPath, t] as const))(
      '%s',
      async (_path, t) => {
        const obj = parse(
          readFileSync(join(dirname(testFile), t.inputPath), 'utf8'),
        );
        // Argo CD opens the full standard library only where argocd-cm says so.
        const [cm] = await kustomize(healthDir);
        const useOpenLibs =
          cm.data[`resource.customizations.useOpenLibs.${key}`] === 'true';
        const result = await runHealthLua(script, obj, { useOpenLibs });
        expect({
          status: result.status,
          message: result.message ?? '',
        }).toEqual(t.healthStatus);
      },
    );
  });
});
