import { Harness, startHarness } from './__testUtils__/bootstrap';
import {
  Scenario,
  failThenRerun,
  letThrough,
  persistent,
} from './__testUtils__/faults';

/**
 * The bootstrap sequence (bucket -> IAM and key -> secret -> cluster
 * credentials -> ClusterSecretStore -> Argo CD registration) with the real
 * actions against the sandbox, one Kubernetes call failing with a 5xx for
 * longer than the client's retry budget; then the same sequence again, the
 * fault gone.
 */
describe('bootstrap after a persistent Kubernetes 5xx', () => {
  jest.setTimeout(60_000);
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h?.stop());
  // Each test starts from an empty sandbox.
  afterEach(async () => {
    h.sandbox.faults.clear();
    await h.reset();
  });

  const scenarios: Record<string, Scenario> = {
    'the apply of the credentials Secret (credentials)': {
      step: 'credentials',
      rules: [persistent('kube', 'patch:secrets')],
      // The sandbox starts without the namespace, as a cluster without
      // External Secrets yet would.
      message: () =>
        /^Secret external-secrets-system\/aws-credentials: apply failed \(InternalError\): Internal error occurred: injected fault\. Already done: created namespace external-secrets-system$/,
      attempts: ['kube', 'patch:secrets', 6],
      keysAfter: 1,
    },
    'the apply of the ClusterSecretStore (store)': {
      step: 'store',
      rules: [persistent('kube', 'patch:clustersecretstores')],
      message: () =>
        /^ClusterSecretStore aws-secrets-manager: apply failed \(InternalError\): Internal error occurred: injected fault\. Nothing was changed$/,
      attempts: ['kube', 'patch:clustersecretstores', 6],
      keysAfter: 1,
    },
    'a read of the ClusterSecretStore while waiting for Ready (store)': {
      step: 'store',
      rules: [
        letThrough('kube', 'get:clustersecretstores'),
        persistent('kube', 'get:clustersecretstores', 503),
      ],
      message: () =>
        /^ClusterSecretStore aws-secrets-manager: read failed \(ServiceUnavailable\): .+\. Already done: created the store$/,
      // The read before the apply, then one read's retry budget.
      attempts: ['kube', 'get:clustersecretstores', 1 + 6],
      keysAfter: 1,
    },
    'the apply of an Application (register)': {
      step: 'register',
      rules: [persistent('kube', 'patch:applications')],
      message: env =>
        new RegExp(
          `^Application openshift-gitops/${env}-logging-infrastructure: apply failed \\(InternalError\\): Internal error occurred: injected fault\\. Already done: registered AppProject openshift-gitops/${env}-logging$`,
        ),
      attempts: ['kube', 'patch:applications', 6],
      keysAfter: 1,
    },
  };

  it.each(Object.entries(scenarios))(
    'a 5xx in %s fails naming the step, and a re-run completes without duplicates',
    async (name, scenario) => {
      expect.hasAssertions();
      await failThenRerun(h, name, scenario);
    },
  );
});
