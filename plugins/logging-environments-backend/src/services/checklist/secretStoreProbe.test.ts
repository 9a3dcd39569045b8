/**
 * Rules of the cluster probes that the sandbox test does not reach, on a
 * stand-in cluster (the probes against a real API server are tested in
 * packages/backend/src/environments/checklist.test.ts).
 */
import { testEnvironment } from '../__testUtils__/environment';
import { probeRun, readyStore } from './__testUtils__/clusterProbes';
import { secretStoreProbe } from './secretStoreProbe';

describe('secretStoreProbe', () => {
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
});
