import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestKube, TestKube } from './__testUtils__/testKube';
import { KubeObject } from './types';

const KUBECTL = '/usr/bin/kubectl';

let kube: TestKube;
beforeAll(async () => {
  kube = await startTestKube({ tls: true });
});
afterAll(() => kube.close());

function kubectl(
  input: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(kube.dir, `objects-${Date.now()}.yaml`);
  writeFileSync(path, input);
  return new Promise(resolve => {
    execFile(
      KUBECTL,
      [
        '--kubeconfig',
        kube.kubeconfigPath,
        '--cache-dir',
        join(kube.dir, 'cache'),
        ...args,
        '-f',
        path,
      ],
      { timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as any).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

type Workload = KubeObject & { spec: Record<string, any> };

const deployment = (
  patch: Record<string, any> = {},
  name = 'bad',
): Workload => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'portal' } },
    template: {
      metadata: { labels: { app: 'portal' } },
      spec: {
        containers: [
          {
            name: 'backend',
            image: 'portal:1',
            readinessProbe: { httpGet: { path: '/ready', port: 7007 } },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [{ name: 'tmp', emptyDir: {} }],
      },
    },
    ...patch,
  },
});

const yaml = (...objects: KubeObject[]) =>
  objects.map(o => stringify(o)).join('---\n');

const stored = (apiVersion: string, kind: string, name: string) =>
  kube.store.get({ apiVersion, kind, name, namespace: 'default' });

describe('workload kinds (the portal deployment)', () => {
  it('validates a server-side dry run and stores nothing', async () => {
    const objects = yaml(
      deployment({}, 'portal'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'portal', namespace: 'default' },
        spec: { selector: { app: 'portal' }, ports: [{ port: 80 }] },
      },
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'portal', namespace: 'default' },
        spec: {
          maxUnavailable: 1,
          selector: { matchLabels: { app: 'portal' } },
        },
      },
    );
    const result = await kubectl(objects, 'apply', '--dry-run=server');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      'deployment.apps/portal created (server dry run)',
    );
    expect(result.stdout).toContain(
      'poddisruptionbudget.policy/portal created (server dry run)',
    );
    expect(stored('apps/v1', 'Deployment', 'portal')).toBeUndefined();
    expect(stored('v1', 'Service', 'portal')).toBeUndefined();
    expect(
      stored('policy/v1', 'PodDisruptionBudget', 'portal'),
    ).toBeUndefined();

    // Without the dry run, the same file is stored.
    expect((await kubectl(objects, 'apply')).code).toBe(0);
    expect(
      (stored('apps/v1', 'Deployment', 'portal') as Workload).spec.replicas,
    ).toBe(2);
  });

  it.each([
    [
      'a selector that does not match the template',
      deployment({
        selector: { matchLabels: { app: 'other' } },
      }),
      'spec.template.metadata.labels: Invalid value',
    ],
    [
      'no selector',
      deployment({ selector: undefined }),
      'spec.selector: Required value',
    ],
    [
      'a container without an image',
      (() => {
        const d = deployment();
        delete d.spec.template.spec.containers[0].image;
        return d;
      })(),
      'spec.template.spec.containers[0].image: Required value',
    ],
    [
      'a mount of a volume that does not exist',
      (() => {
        const d = deployment();
        d.spec.template.spec.volumes = [];
        return d;
      })(),
      'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "tmp"',
    ],
    [
      'a Service without ports',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'bad', namespace: 'default' },
        spec: { selector: { app: 'portal' } },
      },
      'spec.ports: Required value',
    ],
    [
      'a PodDisruptionBudget with minAvailable and maxUnavailable',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'bad', namespace: 'default' },
        spec: { minAvailable: 1, maxUnavailable: 1 },
      },
      'minAvailable and maxUnavailable cannot be both set',
    ],
  ])('refuses %s, dry run or not', async (_what, object, message) => {
    for (const args of [['apply', '--dry-run=server'], ['apply']]) {
      const result = await kubectl(yaml(object), ...args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(message);
    }
    expect(
      stored(object.apiVersion, object.kind, object.metadata.name),
    ).toBeUndefined();
  });
});
