import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Manifest, REPO_ROOT, kustomize } from './__testUtils__/kustomize';
import { renderSkeleton } from './__testUtils__/render';
import { schemaProblems } from './__testUtils__/schemas';

const manifests = join(REPO_ROOT, 'manifests');
const TIERS = ['development', 'staging', 'production'] as const;

function kustomizationDirs(dir: string): string[] {
  const here = readdirSync(dir).includes('kustomization.yaml') ? [dir] : [];
  return [
    ...here,
    ...readdirSync(dir)
      .map(n => join(dir, n))
      .filter(p => statSync(p).isDirectory())
      .flatMap(kustomizationDirs),
  ];
}

describe('every manifest matches the upstream CRD schemas', () => {
  jest.setTimeout(120_000);

  // Components are not buildable on their own; they are checked through the
  // environments that include them.
  const dirs = kustomizationDirs(manifests).filter(
    d => !d.includes('/components/'),
  );

  it.each(dirs.map(d => [d.slice(REPO_ROOT.length + 1)]))('%s', async dir => {
    const objects = await kustomize(join(REPO_ROOT, dir));
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it.each(TIERS)(
    'the rendered %s environment, with every option',
    async tier => {
      const root = mkdtempSync(join(tmpdir(), 'rendered-'));
      symlinkSync(manifests, join(root, 'platform'));
      await renderSkeleton(root, {
        name: `acme-${tier}`,
        tier,
        cluster: 'sandbox',
        region: 'eu-west-1',
        repoUrl: 'https://git.example.com/platform/gitops.git',
        tlsStrategy: 'custom-ca',
      });
      const env = join(root, 'environments', `acme-${tier}`);
      const objects: Manifest[] = [
        ...(await kustomize(join(env, 'infrastructure'))),
        ...(await kustomize(join(env, 'forwarder'))),
        ...[
          'bootstrap/cluster-secret-store.yaml',
          'argocd/appproject.yaml',
          'argocd/applications.yaml',
        ].flatMap(f =>
          parseAllDocuments(readFileSync(join(env, f), 'utf8'))
            .map(d => d.toJS())
            .filter(Boolean),
        ),
      ];
      expect(objects.map(o => o.kind).sort()).toEqual(
        expect.arrayContaining([
          'AppProject',
          'Application',
          'Application',
          'ClusterLogForwarder',
          'ClusterSecretStore',
          'ExternalSecret',
          'Job',
          'LokiStack',
        ]),
      );
      expect(objects.flatMap(schemaProblems)).toEqual([]);
    },
  );

  // The check itself must catch what a real API server rejects.
  it('flags typos, wrong values and versions that are not served', () => {
    expect(
      schemaProblems({
        apiVersion: 'loki.grafana.com/v1',
        kind: 'LokiStack',
        metadata: { name: 'x' },
        spec: {
          size: '1x.huge',
          storageClassName: 'gp3-csi',
          storage: { secret: { name: 's', type: 's3' } },
          tenants: { mode: 'openshift-logging' },
          retention: { days: 7 },
        },
      }),
    ).toEqual(['LokiStack x: unknown field "spec.retention"']);
    expect(
      schemaProblems({
        apiVersion: 'loki.grafana.com/v1',
        kind: 'LokiStack',
        metadata: { name: 'x' },
        spec: {
          size: '1x.huge',
          storageClassName: 'gp3-csi',
          storage: { secret: { name: 's', type: 's3' } },
          tenants: { mode: 'openshift-logging' },
        },
      }).join('\n'),
    ).toContain('spec.size');
    expect(
      schemaProblems({
        apiVersion: 'external-secrets.io/v1beta1',
        kind: 'ExternalSecret',
        metadata: { name: 'x' },
        spec: {},
      }).join('\n'),
    ).toContain('could not find the requested resource');
  });
});
