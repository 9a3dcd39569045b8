import { ConfigReader } from '@backstage/config';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConfigClusterRegistry } from '../clusters';
import {
  argoCdHealthCheckKey,
  argoCdHealthCheckSettings,
  defaultArgoCdHealthChecksDir,
  readArgoCdHealthChecks,
  sameHealthScript,
} from './argoCdHealthChecks';
import { loadYaml } from '@kubernetes/client-node';

/** The product's checks, in this checkout. */
const HEALTH_DIR = resolve(__dirname, '../../../../manifests/argocd/health');

/** A kustomization directory with the given kustomization and files. */
function kustomization(text: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'health-'));
  writeFileSync(join(dir, 'kustomization.yaml'), text);
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

describe('readArgoCdHealthChecks', () => {
  it('renders manifests/argocd/health as kubectl kustomize does', async () => {
    const { stdout } = await promisify(execFile)('kubectl', [
      'kustomize',
      HEALTH_DIR,
    ]);
    const rendered = loadYaml<{
      metadata: { name: string; labels: Record<string, string> };
      data: Record<string, string>;
    }>(stdout);
    const ours = await readArgoCdHealthChecks(HEALTH_DIR);

    expect(rendered.metadata.name).toBe('argocd-cm');
    expect(ours.labels).toEqual(rendered.metadata.labels);
    expect(
      Object.fromEntries(
        ours.checks.map(c => [argoCdHealthCheckKey(c), c.check]),
      ),
    ).toEqual(rendered.data);
    expect(ours.checks.map(c => [c.group, c.kind])).toEqual([
      ['loki.grafana.com', 'LokiStack'],
      ['observability.openshift.io', 'ClusterLogForwarder'],
    ]);
    expect(ours.checks[0].check).toBe(
      readFileSync(join(HEALTH_DIR, 'loki.grafana.com/LokiStack/health.lua'), {
        encoding: 'utf8',
      }),
    );
  });

  it('is what the settings read by default, and from the configured directory', async () => {
    expect(defaultArgoCdHealthChecksDir()).toBe(HEALTH_DIR);
    const dir = kustomization(
      [
        'generatorOptions: { disableNameSuffixHash: true }',
        'configMapGenerator:',
        '  - name: argocd-cm',
        "    literals: ['resource.customizations.health.example.com_Thing=return {}']",
      ].join('\n'),
    );
    const settings = argoCdHealthCheckSettings({
      config: new ConfigReader({
        loggingEnvironments: { argocd: { healthChecksDir: dir } },
      }),
    });
    expect((await settings.healthChecks()).checks).toEqual([
      { group: 'example.com', kind: 'Thing', check: 'return {}' },
    ]);
    expect(settings.flavour('any')).toBe('auto');
    expect(
      (await argoCdHealthCheckSettings().healthChecks()).checks,
    ).toHaveLength(2);
  });

  it("takes each cluster's configured flavour", () => {
    const clusters = ConfigClusterRegistry.fromConfig(
      new ConfigReader({
        loggingEnvironments: {
          clusters: [
            { name: 'a', url: 'https://a', argocdFlavour: 'openshift-gitops' },
            { name: 'b', url: 'https://b' },
          ],
        },
      }),
    );
    const settings = argoCdHealthCheckSettings({ clusters });
    expect(settings.flavour('a')).toBe('openshift-gitops');
    expect(settings.flavour('b')).toBe('auto');
    expect(() =>
      ConfigClusterRegistry.fromConfig(
        new ConfigReader({
          loggingEnvironments: {
            clusters: [{ name: 'c', url: 'https://c', argocdFlavour: 'argo' }],
          },
        }),
      ),
    ).toThrow(
      'loggingEnvironments.clusters[0]: argocdFlavour must be one of auto, upstream, openshift-gitops, not "argo"',
    );
  });

  it.each([
    [
      'a missing directory',
      undefined,
      /No Argo CD health checks at .*: cannot read kustomization.yaml .*set loggingEnvironments.argocd.healthChecksDir/,
    ],
    [
      'resources besides the generator',
      'resources: [x.yaml]\nconfigMapGenerator: [{ name: argocd-cm }]',
      /resources not supported: the health checks are one configMapGenerator \(argocd-cm\)/,
    ],
    [
      'a name suffix hash',
      'configMapGenerator:\n  - name: argocd-cm\n    literals: [a=b]',
      /argocd-cm needs disableNameSuffixHash: true/,
    ],
    [
      'a useOpenLibs key',
      'generatorOptions: { disableNameSuffixHash: true }\nconfigMapGenerator:\n  - name: argocd-cm\n    literals: [resource.customizations.useOpenLibs.example.com_Thing=true]',
      /key resource.customizations.useOpenLibs.example.com_Thing is not a health check/,
    ],
    [
      'a file outside the kustomization',
      'generatorOptions: { disableNameSuffixHash: true }\nconfigMapGenerator:\n  - name: argocd-cm\n    files: [resource.customizations.health.a_B=../../etc/passwd]',
      /resource.customizations.health.a_B=..\/..\/etc\/passwd is outside/,
    ],
  ])('refuses %s', async (_what, text, message) => {
    const dir =
      text === undefined
        ? join(tmpdir(), 'no-such-health-dir')
        : kustomization(text);
    await expect(readArgoCdHealthChecks(dir)).rejects.toThrow(message);
  });
});

describe('argoCdHealthCheckKey and sameHealthScript', () => {
  it('name keys as the OpenShift GitOps operator does', () => {
    expect(argoCdHealthCheckKey({ group: 'loki.grafana.com', kind: 'X' })).toBe(
      'resource.customizations.health.loki.grafana.com_X',
    );
    expect(argoCdHealthCheckKey({ group: '', kind: 'Service' })).toBe(
      'resource.customizations.health.Service',
    );
  });

  it('compare scripts but for trailing white space', () => {
    expect(sameHealthScript('return hs\n', 'return hs')).toBe(true);
    expect(sameHealthScript('return hs', 'return  hs')).toBe(false);
    expect(sameHealthScript(undefined, 'return hs')).toBe(false);
  });
});
