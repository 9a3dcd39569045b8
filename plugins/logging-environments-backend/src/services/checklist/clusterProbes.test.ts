/**
 * Rules of the cluster probes that the sandbox test does not reach, on a
 * stand-in cluster (the probes against a real API server are tested in
 * packages/backend/src/environments/checklist.test.ts).
 */
import { ClusterClient } from '@internal/plugin-logging-environments-node';
import { testEnvironment } from '../__testUtils__/environment';
import { ArgoRevisionSource } from '../revision';
import { Environment } from '../types';
import {
  applicationsProbe,
  operatorsProbe,
  secretStoreProbe,
} from './clusterProbes';
import { ChecklistProbe, ProbeContext } from './types';

type Obj = Record<string, any>;

function fakeCluster(objects: Obj[]): ClusterClient {
  const matches = (o: Obj, kind: string, name?: string, namespace?: string) =>
    o.kind === kind &&
    (name === undefined || o.metadata.name === name) &&
    (namespace === undefined || o.metadata.namespace === namespace);
  return {
    server: 'https://k8s.example.com',
    async get(ref: any) {
      return structuredClone(
        objects.find(o => matches(o, ref.kind, ref.name, ref.namespace)),
      );
    },
    async list(_apiVersion: string, kind: string) {
      return objects.filter(o => matches(o, kind)).map(o => structuredClone(o));
    },
  } as unknown as ClusterClient;
}

function probeRun(
  probe: ChecklistProbe,
  environment: Environment,
  objects: Obj[],
) {
  const cluster = fakeCluster(objects);
  const context: ProbeContext = {
    environment,
    aws: () => Promise.reject(new Error('no AWS here')),
    cluster: () => cluster,
    lokiUser: () => Promise.reject(new Error('no AWS here')),
    secret: () => {},
    gitops: { repoUrl: 'https://git.example.com/gitops.git' },
    revisions: new ArgoRevisionSource({ clusters: () => cluster }),
    timeoutMs: 10_000,
  };
  return probe.run(context);
}

const readyStore = (conditions?: unknown) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
  metadata: { name: 'aws-secrets-manager' },
  spec: {
    provider: {
      aws: {
        service: 'SecretsManager',
        region: 'us-east-1',
        auth: {
          secretRef: {
            accessKeyIDSecretRef: {
              name: 'aws-credentials',
              namespace: 'external-secrets-system',
              key: 'access-key-id',
            },
          },
        },
      },
    },
    ...(conditions ? { conditions } : {}),
  },
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Valid' }] },
});

const application = (
  name: string,
  role: string,
  extra: { spec?: Obj; status?: Obj } = {},
) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'openshift-gitops' },
  spec: {
    project: 'acme-logging',
    source: {
      repoURL: 'https://git.example.com/gitops',
      path: `environments/acme/${role}`,
      targetRevision: 'main',
    },
    ...extra.spec,
  },
  status: {
    reconciledAt: '2026-11-01T10:00:00Z',
    sync: { status: 'OutOfSync', revision: 'abc' },
    ...extra.status,
  },
});

describe('cluster probes', () => {
  it('passes a store serving only the logging namespace, and fails anything broader in every tier', async () => {
    for (const tier of ['development', 'staging', 'production'] as const) {
      const environment = testEnvironment({ name: `acme-${tier}`, tier });
      const run = (conditions?: unknown) =>
        probeRun(secretStoreProbe, environment, [readyStore(conditions)]);
      expect(await run([{ namespaces: ['openshift-logging'] }])).toMatchObject({
        status: 'pass',
      });
      // What the template rendered for development before: scratch
      // namespaces anyone could create, reading production's key.
      expect(
        await run([
          { namespaces: ['openshift-logging'] },
          { namespaceRegexes: ['^logging-dev-[a-z0-9-]+$'] },
        ]),
      ).toMatchObject({
        status: 'fail',
        message:
          'ClusterSecretStore aws-secrets-manager: may be used beyond openshift-logging, by whoever can create such a namespace: namespaces matching ^logging-dev-[a-z0-9-]+$',
      });
      expect(
        await run([{ namespaces: ['openshift-logging', 'team-a'] }]),
      ).toMatchObject({
        status: 'fail',
        message: expect.stringContaining(': namespace team-a'),
      });
      expect(
        await run([{ namespaceSelector: { matchLabels: { a: 'b' } } }]),
      ).toMatchObject({
        status: 'fail',
        message: expect.stringContaining('a namespaceSelector'),
      });
      expect(await run()).toMatchObject({
        status: 'fail',
        message:
          'ClusterSecretStore aws-secrets-manager: has no spec.conditions: every namespace may read Secrets Manager through it (the bootstrap limits it to openshift-logging)',
      });
      expect(await run([{ namespaces: [] }])).toMatchObject({
        status: 'fail',
        message:
          'ClusterSecretStore aws-secrets-manager: does not serve openshift-logging (its spec.conditions name no namespace)',
      });
    }
  });

  it('fails a store reading another region, and one that does not exist', async () => {
    const other = await probeRun(
      secretStoreProbe,
      testEnvironment({ region: 'eu-west-1' }),
      [readyStore([{ namespaces: ['openshift-logging'] }])],
    );
    expect(other).toMatchObject({
      status: 'fail',
      message:
        "ClusterSecretStore aws-secrets-manager: reads region us-east-1, but the environment's secret is in eu-west-1",
    });
    expect(
      await probeRun(secretStoreProbe, testEnvironment(), []),
    ).toMatchObject({
      status: 'fail',
      message: 'ClusterSecretStore aws-secrets-manager does not exist',
    });
  });

  it('accepts External Secrets installed without OLM when its store is Ready', async () => {
    const subscription = (ns: string, pkg: string) => ({
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'Subscription',
      metadata: { name: pkg, namespace: ns },
      spec: { name: pkg },
      status: { installedCSV: `${pkg}.v1` },
    });
    const csv = (ns: string, pkg: string, phase = 'Succeeded') => ({
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'ClusterServiceVersion',
      metadata: { name: `${pkg}.v1`, namespace: ns },
      status: { phase },
    });
    const installed = [
      subscription('openshift-operators-redhat', 'loki-operator'),
      csv('openshift-operators-redhat', 'loki-operator'),
      subscription('openshift-logging', 'cluster-logging'),
      csv('openshift-logging', 'cluster-logging', 'Installing'),
      subscription('openshift-gitops-operator', 'openshift-gitops-operator'),
      csv('openshift-gitops-operator', 'openshift-gitops-operator'),
    ];
    const result = await probeRun(operatorsProbe, testEnvironment(), [
      ...installed,
      readyStore(),
    ]);
    expect(result.status).toBe('fail');
    expect(result.message).toBe(
      'cluster-logging: cluster-logging.v1 is Installing; external-secrets-operator is not installed through OLM, but External Secrets runs (ClusterSecretStore aws-secrets-manager is Ready)',
    );
    expect(result.evidence).toMatchObject({
      'loki-operator': 'loki-operator.v1 Succeeded',
      'cluster-logging': 'not ready',
    });

    // Red Hat's build of External Secrets counts as installed.
    const redHat = await probeRun(operatorsProbe, testEnvironment(), [
      ...installed.slice(0, 3),
      csv('openshift-logging', 'cluster-logging'),
      ...installed.slice(4),
      subscription(
        'external-secrets-operator',
        'openshift-external-secrets-operator',
      ),
      csv('external-secrets-operator', 'openshift-external-secrets-operator'),
    ]);
    expect(redHat.status).toBe('pass');
  });

  it('warns when a production Application was already synced, and lets development sync on its own', async () => {
    const production = testEnvironment({
      name: 'acme',
      applications: {
        infrastructure: 'acme-infra',
        forwarder: 'acme-fwd',
      },
    });
    const synced = await probeRun(applicationsProbe, production, [
      application('acme-infra', 'infrastructure', {
        status: {
          operationState: {
            phase: 'Succeeded',
            finishedAt: '2026-11-01T11:00:00Z',
            syncResult: { revision: 'abc' },
          },
          history: [{ id: 0, revision: 'abc' }],
        },
      }),
      application('acme-fwd', 'forwarder', {
        status: { operationState: { phase: 'Running' } },
      }),
    ]);
    expect(synced).toMatchObject({
      status: 'warn',
      message:
        'Application openshift-gitops/acme-infra was already synced (at abc); the approval governs the next sync; Application openshift-gitops/acme-fwd is syncing right now',
      evidence: {
        'infrastructure.lastSync': 'Succeeded at 2026-11-01T11:00:00Z (abc)',
      },
    });

    const development = await probeRun(
      applicationsProbe,
      { ...production, tier: 'development' },
      [
        application('acme-infra', 'infrastructure', {
          spec: { syncPolicy: { automated: { prune: true } } },
          status: { history: [{ id: 0, revision: 'abc' }] },
        }),
        application('acme-fwd', 'forwarder'),
      ],
    );
    expect(development).toMatchObject({
      status: 'pass',
      message: 'Both Applications are registered from environments/acme',
      evidence: { 'infrastructure.automated': true },
    });
  });

  it('fails Applications of another repository, without a project, or with Argo CD errors', async () => {
    const environment = testEnvironment({
      name: 'acme',
      applications: { infrastructure: 'acme-infra', forwarder: 'acme-fwd' },
    });
    const result = await probeRun(applicationsProbe, environment, [
      application('acme-infra', 'infrastructure', {
        spec: {
          project: '',
          source: {
            repoURL: 'https://elsewhere.example.com/fork.git',
            path: 'environments/acme/infrastructure/',
          },
        },
        status: {
          conditions: [
            {
              type: 'ComparisonError',
              message: 'rpc error: path does not exist',
            },
          ],
        },
      }),
    ]);
    expect(result.status).toBe('fail');
    expect(result.message.split('; ')).toEqual([
      'Application openshift-gitops/acme-infra reads https://elsewhere.example.com/fork.git, not the GitOps repository https://git.example.com/gitops.git',
      'Application openshift-gitops/acme-infra has no project',
      'Application openshift-gitops/acme-infra: Argo CD reports ComparisonError: rpc error: path does not exist',
      'Application openshift-gitops/acme-fwd is not registered',
    ]);
  });
});
