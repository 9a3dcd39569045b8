/**
 * deploy/ (Kustomize): rendered with the real kubectl, checked for what
 * the portal needs (replicas, probes, non-root, every variable of
 * app-config.production.yaml provided), and applied with
 * `--dry-run=server` to the sandbox's API server, which validates
 * Deployments, Services and PodDisruptionBudgets as a cluster does and
 * stores nothing.
 */
import { Sandbox, startSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = resolve(__dirname, '../../../..');
const KUBECTL = '/usr/bin/kubectl';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: any;
  [k: string]: any;
};

function kubectl(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(done => {
    const child = execFile(
      KUBECTL,
      args,
      { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) =>
        done({
          code: error ? Number((error as any).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
    child.stdin?.end(input ?? '');
  });
}

const parseObjects = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map(d => d.toJS())
    .filter(Boolean);

const { PRODUCTION_LAYOUT: layout } = createRequire(__filename)(
  resolve(ROOT, 'scripts/start-production.js'),
) as { PRODUCTION_LAYOUT: { command: string[] } };

describe('deploy/', () => {
  jest.setTimeout(120_000);

  let rendered: string;
  let objects: Obj[];
  const one = (kind: string) => {
    const found = objects.filter(o => o.kind === kind);
    expect(found).toHaveLength(1);
    return found[0];
  };

  beforeAll(async () => {
    const result = await kubectl(['kustomize', resolve(ROOT, 'deploy')]);
    if (result.code !== 0 || result.stderr) {
      throw new Error(`kubectl kustomize deploy/ failed: ${result.stderr}`);
    }
    rendered = result.stdout;
    objects = parseObjects(rendered);
  });

  it('renders the portal: two replicas, probes on the health endpoints, a disruption budget', () => {
    expect(objects.map(o => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Namespace',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    const namespace = one('Namespace').metadata.name;
    for (const o of objects.filter(x => x.kind !== 'Namespace')) {
      expect([o.kind, o.metadata.namespace]).toEqual([o.kind, namespace]);
    }
    const deployment = one('Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template;
    const [container] = pod.spec.containers;
    expect(container.readinessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/readiness',
    );
    expect(container.livenessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/liveness',
    );
    // The image's own command: the one yarn start:production runs.
    expect(container.command).toBeUndefined();
    expect(container.args).toBeUndefined();
    expect(layout.command[0]).toBe('node');
    expect(container.image).toMatch(/:[\w.-]+$/);
    expect(container.image).not.toMatch(/:latest$/);
    expect(container.resources.requests).toEqual(
      expect.objectContaining({
        cpu: expect.any(String),
        memory: expect.any(String),
      }),
    );
    expect(container.resources.limits.memory).toBeDefined();

    // Not root, nothing written outside the /tmp emptyDir.
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod.spec.securityContext.runAsUser).not.toBe(0);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const tmp = container.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    expect(
      pod.spec.volumes.find((v: any) => v.name === tmp.name).emptyDir,
    ).toBeDefined();

    // The Service and the budget select the Deployment's pods.
    const labels = pod.metadata.labels;
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(selects(one('Service').spec.selector)).toBe(true);
    const pdb = one('PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(pod.spec.serviceAccountName).toBe(
      one('ServiceAccount').metadata.name,
    );
  });

  it('provides every variable app-config.production.yaml reads, and no other', () => {
    const wanted = new Set(
      [
        ...readFileSync(
          resolve(ROOT, 'app-config.production.yaml'),
          'utf8',
        ).matchAll(/\$\{(\w+)\}/g),
      ].map(m => m[1]),
    );
    expect(wanted.size).toBeGreaterThan(5);
    const [container] = one('Deployment').spec.template.spec.containers;
    const configMap = one('ConfigMap');
    const secrets = new Map(
      parseObjects(
        readFileSync(resolve(ROOT, 'deploy/secret.example.yaml'), 'utf8'),
      ).map(s => [s.metadata.name, Object.keys(s.stringData)]),
    );
    const configMaps = container.envFrom
      .filter((f: any) => f.configMapRef)
      .map((f: any) => f.configMapRef.name);
    const secretRefs = container.envFrom
      .filter((f: any) => f.secretRef)
      .map((f: any) => f.secretRef.name);
    expect(configMaps).toEqual([configMap.metadata.name]);
    expect(secretRefs.filter((n: string) => !secrets.has(n))).toEqual([]);
    const keyRefs = container.env.map((e: any) => e.valueFrom.secretKeyRef);
    expect(
      keyRefs.filter((r: any) => !secrets.get(r.name)?.includes(r.key)),
    ).toEqual([]);
    const provided = [
      ...Object.keys(configMap.data),
      ...secretRefs.flatMap((n: string) => secrets.get(n) ?? []),
      ...container.env.map((e: any) => e.name),
    ];
    expect(provided.sort()).toEqual([...wanted].sort());
  });

  describe('on the sandbox API server', () => {
    let sandbox: Sandbox;
    let dir: string;
    let base: string[];

    beforeAll(async () => {
      sandbox = await startSandbox({ profile: 'fast' });
      dir = mkdtempSync(join(tmpdir(), 'deploy-dry-run-'));
      writeFileSync(join(dir, 'kubeconfig'), sandbox.kubeconfig);
      base = [
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--cache-dir',
        join(dir, 'cache'),
      ];
    });
    afterAll(async () => {
      await sandbox?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('passes kubectl apply --dry-run=server and stores nothing', async () => {
      const namespace = one('Namespace');
      // As on a cluster, a dry run creates no namespace for the objects in
      // it: the namespace is applied first, for real.
      const created = await kubectl(
        [...base, 'apply', '-f', '-'],
        JSON.stringify(namespace),
      );
      expect(created.stderr).toBe('');

      const dryRun = await kubectl(
        [...base, 'apply', '--dry-run=server', '-f', '-'],
        rendered,
      );
      expect(dryRun.stderr).toBe('');
      expect(dryRun.code).toBe(0);
      for (const o of objects) {
        const group = o.apiVersion.includes('/')
          ? `.${o.apiVersion.split('/')[0]}`
          : '';
        expect(dryRun.stdout).toContain(
          `${o.kind.toLowerCase()}${group}/${o.metadata.name} ${
            o.kind === 'Namespace' ? 'unchanged' : 'created'
          } (server dry run)`,
        );
      }

      const listed = await kubectl([
        ...base,
        'get',
        'deployments,services,poddisruptionbudgets,configmaps,serviceaccounts',
        '-n',
        namespace.metadata.name,
        '-o',
        'name',
      ]);
      expect(listed.code).toBe(0);
      expect(listed.stdout.trim()).toBe('');
    });

    it('refuses a Deployment whose selector misses its pods', async () => {
      const broken = objects.map(o =>
        o.kind === 'Deployment'
          ? {
              ...o,
              spec: {
                ...o.spec,
                selector: { matchLabels: { 'app.kubernetes.io/name': 'x' } },
              },
            }
          : o,
      );
      const dryRun = await kubectl(
        [...base, 'apply', '--dry-run=server', '-f', '-'],
        broken.map(o => JSON.stringify(o)).join('\n'),
      );
      expect(dryRun.code).not.toBe(0);
      expect(dryRun.stderr).toContain('`selector` does not match template');
    });
  });
});
