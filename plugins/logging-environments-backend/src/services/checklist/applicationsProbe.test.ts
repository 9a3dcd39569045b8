/**
 * Rules of the cluster probes that the sandbox test does not reach, on a
 * stand-in cluster (the probes against a real API server are tested in
 * packages/backend/src/environments/checklist.test.ts).
 */
import { testEnvironment } from '../__testUtils__/environment';
import { Obj, probeRun } from './__testUtils__/clusterProbes';
import { applicationsProbe } from './applicationsProbe';

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

describe('applicationsProbe', () => {
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
