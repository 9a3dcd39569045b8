import { ConfigReader } from '@backstage/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigClusterRegistry } from './ClusterRegistry';

describe('ConfigClusterRegistry', () => {
  it('reads token clusters from the Kubernetes plugin config and our own', () => {
    const registry = ConfigClusterRegistry.fromConfig(
      new ConfigReader({
        loggingEnvironments: {
          clusters: [
            {
              name: 'ours',
              url: 'https://ours.example.com:6443',
              serviceAccountToken: 'token-a',
              argocdUrl: 'https://argocd.ours.example.com',
              externalSecretsFlavour: 'redhat',
            },
          ],
        },
        kubernetes: {
          clusterLocatorMethods: [
            { type: 'catalog' },
            {
              type: 'config',
              clusters: [
                {
                  name: 'shared',
                  url: 'https://shared.example.com:6443',
                  authProvider: 'serviceAccount',
                  serviceAccountToken: 'token-b',
                },
              ],
            },
          ],
        },
      }),
    );

    expect(registry.list().map(c => c.name)).toEqual(['ours', 'shared']);
    expect(registry.get('ours').argocdUrl).toBe(
      'https://argocd.ours.example.com',
    );
    // External Secrets: as configured, else the community operator.
    expect(registry.get('ours').externalSecretsFlavour).toBe('redhat');
    expect(registry.get('shared').externalSecretsFlavour).toBe('community');
    const kc = registry.kubeConfig('shared');
    expect(kc.getCurrentCluster()?.server).toBe(
      'https://shared.example.com:6443',
    );
    expect(kc.getCurrentUser()?.token).toBe('token-b');
  });

  it('loads a kubeconfig file, lazily', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const path = join(dir, 'kubeconfig');
    const registry = ConfigClusterRegistry.fromConfig(
      new ConfigReader({
        loggingEnvironments: {
          clusters: [{ name: 'sandbox', kubeconfig: path }],
        },
      }),
    );
    expect(() => registry.kubeConfig('sandbox')).toThrow(
      /cluster "sandbox": cannot read kubeconfig/,
    );

    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: sandbox',
        '  cluster: { server: "http://127.0.0.1:6443" }',
        'users:',
        '- name: admin',
        '  user: { token: sandbox-token }',
        'contexts:',
        '- name: sandbox',
        '  context: { cluster: sandbox, user: admin }',
        'current-context: sandbox',
      ].join('\n'),
    );
    expect(registry.get('sandbox').url).toBe('http://127.0.0.1:6443');
    expect(registry.kubeConfig('sandbox').getCurrentUser()?.token).toBe(
      'sandbox-token',
    );
  });

  it('names the unknown cluster and the known ones', () => {
    const registry = ConfigClusterRegistry.fromConfig(
      new ConfigReader({
        loggingEnvironments: {
          clusters: [{ name: 'a', url: 'https://a.example.com' }],
        },
      }),
    );
    expect(() => registry.get('b')).toThrow(
      'Cluster "b" is not configured (configured: a)',
    );
  });

  it('rejects bad entries with their config path', () => {
    expect(() =>
      ConfigClusterRegistry.fromConfig(
        new ConfigReader({
          loggingEnvironments: { clusters: [{ name: 'x' }] },
        }),
      ),
    ).toThrow(
      'loggingEnvironments.clusters[0]: cluster "x" needs either "url" or "kubeconfig"',
    );
    expect(() =>
      ConfigClusterRegistry.fromConfig(
        new ConfigReader({
          loggingEnvironments: {
            clusters: [
              { name: 'x', url: 'https://x' },
              { name: 'x', url: 'https://y' },
            ],
          },
        }),
      ),
    ).toThrow('cluster "x" is configured twice');
    expect(() =>
      ConfigClusterRegistry.fromConfig(
        new ConfigReader({
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  { name: 'g', url: 'https://g', authProvider: 'google' },
                ],
              },
            ],
          },
        }),
      ),
    ).toThrow(
      /clusterLocatorMethods\[0\].clusters\[0\]: cluster "g" uses authProvider "google"/,
    );
    expect(() =>
      ConfigClusterRegistry.fromConfig(
        new ConfigReader({
          loggingEnvironments: {
            clusters: [
              { name: 'x', url: 'https://x', externalSecretsFlavour: 'helm' },
            ],
          },
        }),
      ),
    ).toThrow(
      'loggingEnvironments.clusters[0]: cluster "x": externalSecretsFlavour must be one of community, redhat, not "helm"',
    );
  });
});
