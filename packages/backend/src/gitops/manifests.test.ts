import { WAVE_PLAN } from '@internal/plugin-logging-environments-common';
// The health checks' TypeScript mirror, which the plugin does not export:
// it must agree with the Lua on the same objects.
import {
  clusterLogForwarderHealth,
  lokiStackHealth,
} from '@internal/plugin-logging-environments-backend/testUtils';
import { runHealthLua } from '@internal/sandbox/testUtils';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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

  it('are shipped as argocd-cm resource customizations, without useOpenLibs', async () => {
    const [cm] = await kustomize(healthDir);
    expect(cm.metadata).toMatchObject({
      name: 'argocd-cm',
      namespace: 'openshift-gitops',
    });
    // The OpenShift GitOps operator writes spec.resourceHealthChecks as
    // these keys only, never a useOpenLibs key: the scripts must not need one.
    expect(Object.keys(cm.data).sort()).toEqual([
      'resource.customizations.health.loki.grafana.com_LokiStack',
      'resource.customizations.health.observability.openshift.io_ClusterLogForwarder',
    ]);
  });

  // Hides every library Argo CD's Lua VM may have open besides the base
  // functions (argo-cd util/lua/lua.go opens package, table and a safe os
  // even without useOpenLibs): a script that needs none runs the same.
  // On the script's first line, so error line numbers stay right.
  const BASE_ONLY =
    'local string, table, os, math, io, coroutine, debug, utf8, package, require = nil; ';

  it('hide the libraries from a script run with BASE_ONLY', async () => {
    await expect(
      runHealthLua(
        `${BASE_ONLY}return { status = "Healthy", message = table.concat({}) }`,
        {},
        { useOpenLibs: false },
      ),
    ).rejects.toThrow("attempt to index a nil value (local 'table')");
  });

  const sources = readFileSync(join(healthDir, 'SOURCES.md'), 'utf8');

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
    const fixtures = readdirSync(join(dirname(testFile), 'testdata'));

    it('lists every fixture in health_test.yaml, each naming its source', () => {
      expect(tests.map(t => t.inputPath).sort()).toEqual(
        fixtures.map(f => `testdata/${f}`).sort(),
      );
      for (const f of fixtures) {
        const text = readFileSync(
          join(dirname(testFile), 'testdata', f),
          'utf8',
        );
        expect(text).toMatch(/^# Source: /);
        expect(sources).toContain(`${suite}/testdata/${f}`);
      }
    });

    it('calls no Lua library, on any path', () => {
      const code = script.replace(/--.*$/gm, '');
      expect(code).not.toMatch(/\b(string|table|os|math|io|utf8)\s*\./);
      // Nor string methods (s:sub(...)), which go through the string library.
      expect(code).not.toMatch(/:\s*\w+\s*\(/);
    });

    it.each(tests.map(t => [t.inputPath, t] as const))(
      '%s',
      async (_path, t) => {
        const obj = parse(
          readFileSync(join(dirname(testFile), t.inputPath), 'utf8'),
        );
        // As Argo CD runs a customization without useOpenLibs, and with
        // nothing but the base functions.
        for (const source of [script, BASE_ONLY + script]) {
          const result = await runHealthLua(source, obj, {
            useOpenLibs: false,
          });
          expect({
            status: result.status,
            message: result.message ?? '',
          }).toEqual(t.healthStatus);
        }
      },
    );
  });

  // Odd shapes the fixtures do not show, through the Lua and its TypeScript
  // mirror (argoHealth.ts), which must agree.
  const c = (type: string, status: string, more: object = {}) => ({
    type,
    status,
    ...more,
  });
  const V = 'observability.openshift.io/Valid';
  const edgeCases: Array<
    [string, 'LokiStack' | 'ClusterLogForwarder', object, object]
  > = [
    [
      'empty conditions',
      'LokiStack',
      { status: { conditions: [] } },
      {
        status: 'Progressing',
        message: 'Waiting for the Loki Operator to report status',
      },
    ],
    [
      'Ready with an empty message, a null reason',
      'LokiStack',
      { status: { conditions: [c('Ready', 'True', { message: '' })] } },
      { status: 'Healthy', message: 'All components ready' },
    ],
    [
      'Degraded without reason or message',
      'LokiStack',
      { status: { conditions: [c('Degraded', 'True', { reason: null })] } },
      { status: 'Degraded', message: 'Degraded' },
    ],
    [
      'Ready Unknown',
      'LokiStack',
      { status: { conditions: [c('Ready', 'Unknown')] } },
      {
        status: 'Progressing',
        message: 'Waiting for the Loki Operator to report status',
      },
    ],
    [
      'an empty status',
      'ClusterLogForwarder',
      { status: {} },
      {
        status: 'Progressing',
        message: 'Waiting for the Cluster Logging Operator to report status',
      },
    ],
    [
      'Ready Unknown without a message',
      'ClusterLogForwarder',
      {
        status: {
          conditions: [
            c('Ready', 'Unknown', { reason: 'UnknownState', message: '' }),
          ],
        },
      },
      { status: 'Progressing', message: 'UnknownState' },
    ],
    [
      'Ready True beside a False Valid',
      'ClusterLogForwarder',
      {
        status: {
          conditions: [
            c('Ready', 'True'),
            c(V, 'False', { reason: 'ValidationFailure' }),
          ],
        },
      },
      { status: 'Degraded', message: 'ValidationFailure' },
    ],
    [
      'item names matched whole, and from pipeline references',
      'ClusterLogForwarder',
      {
        spec: {
          outputs: [{ name: 'a' }, { name: 'a-b' }, { name: 7 }],
          pipelines: [{ name: 'p', inputRefs: ['audit'], outputRefs: ['a'] }],
        },
        status: {
          conditions: [c('Ready', 'True', { message: null })],
          inputConditions: [
            c(`${V}Input-audit`, 'False', { reason: 'MissingSpec' }),
          ],
          outputConditions: [
            c(`${V}Output-a`, 'True'),
            c(`${V}Output-a-b`, 'False', { reason: 'R', message: 'm' }),
            c(`${V}Output-gone`, 'False', { message: 'stale' }),
          ],
        },
      },
      {
        status: 'Degraded',
        message: `input audit: MissingSpec; output a-b: R: m; ${V}Output-gone: ${V}Output-gone: stale`,
      },
    ],
  ];
  it.each(edgeCases)(
    'agrees with argoHealth.ts: %s (%s)',
    async (_name, kind, obj, expected) => {
      const suite =
        kind === 'LokiStack'
          ? 'loki.grafana.com/LokiStack'
          : 'observability.openshift.io/ClusterLogForwarder';
      const script = readFileSync(join(healthDir, suite, 'health.lua'), 'utf8');
      const lua = await runHealthLua(BASE_ONLY + script, obj, {
        useOpenLibs: false,
      });
      expect({ status: lua.status, message: lua.message ?? '' }).toEqual(
        expected,
      );
      const mirror =
        kind === 'LokiStack'
          ? lokiStackHealth(obj as any)
          : clusterLogForwarderHealth(obj as any);
      expect(mirror).toEqual(expected);
    },
  );
});
