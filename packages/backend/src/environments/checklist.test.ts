/**
 * The phase-2 checklist against the sandbox: a full bootstrap (the real
 * -node ensure functions for AWS, the real scaffolder actions for the
 * cluster, the environment published to the sandbox's GitOps repository),
 * then the real DefaultChecklistService through the real clients. The
 * cluster-side probes are tested here because only this package may import
 * the sandbox.
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ChecklistItem } from '@internal/plugin-logging-environments-common';
import {
  AwsClientFactory,
  AwsClients,
  ClusterClient,
  ConfigClusterRegistry,
  ensureClusterCredentials,
  ensureLokiBucket,
  ensureLokiIamUser,
  ensureLokiSecret,
} from '@internal/plugin-logging-environments-node';
// The backend plugin exports only its plugin; this test drives its
// services directly, and cannot live in the plugin (no plugin imports the
// sandbox).
import {
  ArgoRevisionSource,
  DefaultChecklistService,
  localRecords,
  readChecklistOptions,
  RecordEnvironmentCatalog,
  readEnvironmentSettings,
  registryClusterClients,
} from '@internal/plugin-logging-environments-backend/testUtils';
import type { Environment } from '@internal/plugin-logging-environments-backend/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createApplyClusterCredentialsAction,
  createEnsureOperatorsAction,
  createEnsureSecretStoreAction,
  createRegisterArgoCdAction,
} from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import {
  createExternalSecretsIdentity,
  ExternalSecretsIdentity,
} from '../__testUtils__/externalSecretsIdentity';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';
import { renderSkeleton } from '../gitops/__testUtils__/render';
import { createTestStore } from '../__testUtils__/testStore';

const run = promisify(execFile);

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/**
 * Reads a Secrets Manager secret's value straight from the sandbox's moto
 * (its JSON protocol; moto does not check signatures), to know what must
 * never show up in a checklist run.
 */
async function readSecretValue(
  sandbox: Sandbox,
  secretId: string,
): Promise<Record<string, string>> {
  const response = await fetch(sandbox.moto.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
      authorization: `AWS4-HMAC-SHA256 Credential=${sandbox.aws.accessKeyId}/20260101/${sandbox.aws.region}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ SecretId: secretId }),
  });
  expect(response.status).toBe(200);
  return JSON.parse((await response.json()).SecretString);
}

describe('the checklist against the sandbox', () => {
  jest.setTimeout(180_000);
  let sandbox: Sandbox;
  let workspace: string;
  let registry: ConfigClusterRegistry;
  let cluster: ClusterClient;
  let aws: AwsClients;
  let environment: Environment;
  let deadPort: number;
  let config: Record<string, any>;
  const logger = mockServices.logger.mock();
  let store: Awaited<ReturnType<typeof createTestStore>>['store'];
  let knex: Awaited<ReturnType<typeof createTestStore>>['knex'];
  let checklist: DefaultChecklistService;
  let records: Awaited<ReturnType<typeof localRecords>>;
  const deps = () => ({
    clusters: registry,
    records: records.api,
    gitops: { repoUrl: sandbox.git.url, branch: 'main' },
  });
  /** The External Secrets identity, made as the docs say (logging/acme-prod/*). */
  let eso: ExternalSecretsIdentity;

  const actionContext = (input: any) => {
    const ctx = createMockActionContext({
      input,
      workspacePath: workspace,
      secrets: {
        awsAccessKeyId: eso.accessKeyId,
        awsSecretAccessKey: eso.secretAccessKey,
      },
    });
    for (const level of ['info', 'warn', 'error'] as const) {
      jest.spyOn(ctx.logger, level).mockImplementation((() => {}) as any);
    }
    return ctx;
  };
  const applyCredentials = () =>
    createApplyClusterCredentialsAction(deps()).handler(
      actionContext({ environment: 'acme-prod', cluster: 'sandbox' }),
    );
  const applyStore = () =>
    createEnsureSecretStoreAction(deps()).handler(
      actionContext({
        environment: 'acme-prod',
        cluster: 'sandbox',
        manifest: 'environments/acme-prod/bootstrap/cluster-secret-store.yaml',
        timeoutSeconds: 30,
      }),
    );
  const installOperators = () =>
    createEnsureOperatorsAction(deps()).handler(
      actionContext({
        environment: 'acme-prod',
        cluster: 'sandbox',
        timeoutSeconds: 60,
      }),
    );
  const register = () =>
    createRegisterArgoCdAction(deps()).handler(
      actionContext({
        environment: 'acme-prod',
        cluster: 'sandbox',
        manifests: [
          'environments/acme-prod/argocd/appproject.yaml',
          'environments/acme-prod/argocd/applications.yaml',
        ],
      }),
    );

  async function check(env: Environment = environment) {
    const result = await checklist.run(env, 'user:default/alice');
    const items = Object.fromEntries(
      result.items.map(i => [i.id, i]),
    ) as Record<string, ChecklistItem>;
    return { result, items };
  }

  const storeReady = () =>
    (
      sandbox.store.get({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        name: 'aws-secrets-manager',
      }) as any
    )?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status;

  beforeAll(async () => {
    ({ store, knex } = await createTestStore());
    sandbox = await startSandbox({ profile: 'fast' });
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-'));
    await sandbox.writeFiles(dir);
    deadPort = await closedPort();
    config = {
      aws: {
        mainAccount: {
          accessKeyId: sandbox.aws.accessKeyId,
          secretAccessKey: sandbox.aws.secretAccessKey,
        },
      },
      loggingEnvironments: {
        aws: { endpoint: sandbox.aws.url, maxAttempts: 2 },
        gitops: { repoUrl: sandbox.git.url, branch: 'main' },
        clusters: [
          { name: 'sandbox', kubeconfig: join(dir, 'kubeconfig') },
          {
            name: 'dead',
            url: `https://127.0.0.1:${deadPort}`,
            serviceAccountToken: 'not-a-real-token',
            skipTLSVerify: true,
          },
        ],
      },
    };
    const reader = new ConfigReader(config);
    registry = ConfigClusterRegistry.fromConfig(reader);
    cluster = ClusterClient.fromKubeConfig(registry.kubeConfig('sandbox'));
    const factory = AwsClientFactory.fromConfig(reader);
    aws = await factory.clients(sandbox.aws.region);

    // Render the environment as the template does, and publish it (with
    // the platform manifests it builds on) to the GitOps repository.
    workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
    await renderSkeleton(workspace, {
      name: 'acme-prod',
      tier: 'production',
      cluster: 'sandbox',
      region: sandbox.aws.region,
      repoUrl: sandbox.git.url,
    });
    const clone = mkdtempSync(join(tmpdir(), 'gitops-'));
    await run('git', ['clone', '--quiet', sandbox.git.repoDir, clone]);
    cpSync(join(REPO_ROOT, 'manifests'), join(clone, 'platform'), {
      recursive: true,
    });
    cpSync(join(workspace, 'environments'), join(clone, 'environments'), {
      recursive: true,
    });
    const git = (...args: string[]) =>
      run('git', [
        '-C',
        clone,
        '-c',
        'user.name=test',
        '-c',
        'user.email=test@example.com',
        ...args,
      ]);
    await git('add', '-A');
    await git('commit', '--quiet', '-m', 'Add logging environment acme-prod');
    await git('push', '--quiet', 'origin', 'main');

    // Phase 1: the claim, then AWS.
    records = await localRecords({
      clusters: registry,
      gitops: { repoUrl: sandbox.git.url },
      knex,
    });
    await records.api.claim(
      {
        name: 'acme-prod',
        tier: 'production',
        cluster: 'sandbox',
        owner: 'group:default/platform-team',
        region: sandbox.aws.region,
        bucket: 'acme-prod-loki',
      },
      { credentials: mockCredentials.user() },
    );
    const bucket = 'acme-prod-loki';
    const secretName = 'logging/acme-prod/loki-s3';
    await ensureLokiBucket(aws, { bucket, environment: 'acme-prod' });
    await ensureLokiIamUser(aws, {
      environment: 'acme-prod',
      bucket,
      secretName,
    });
    await ensureLokiSecret(aws, {
      name: secretName,
      environment: 'acme-prod',
      bucket,
    });
    // Phase 1, cluster, with the External Secrets key a platform team made.
    eso = await createExternalSecretsIdentity(sandbox, {
      environment: 'acme-prod',
    });
    await installOperators();
    await applyCredentials();
    await applyStore();
    await register();
    // Argo CD compares a new Application within moments; the checklist is
    // read after that, as on the environment page.
    await waitFor(
      'Argo CD to compare the Application',
      () =>
        (
          sandbox.store.get({
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Application',
            namespace: 'openshift-gitops',
            name: 'acme-prod-logging-infrastructure',
          }) as any
        )?.status?.sync?.revision,
    );

    // The environment, as the catalog reads the rendered entity.
    const entity: Entity = yaml.parse(
      readFileSync(
        join(workspace, 'environments/acme-prod/catalog-info.yaml'),
        'utf8',
      ),
    );
    environment = await new RecordEnvironmentCatalog({
      ...readEnvironmentSettings(reader),
      catalog: catalogServiceMock({ entities: [entity] }),
      records: records.records,
    }).get('resource:default/acme-prod', mockCredentials.user());
    const options = readChecklistOptions(reader);
    const clusters = registryClusterClients(registry);
    checklist = new DefaultChecklistService({
      store,
      logger,
      aws: factory,
      clusters,
      revisions: new ArgoRevisionSource({
        clusters,
        refreshTimeoutMs: options.revisionRefreshTimeoutMs,
      }),
      gitops: options.gitops,
      timeouts: options.timeouts,
    });
  }, 180_000);
  afterAll(() => sandbox?.stop());

  it('passes every item after a full bootstrap, in parallel, with no secret value anywhere', async () => {
    (logger.info as jest.Mock).mockClear();
    const { result, items } = await check();
    expect(
      Object.fromEntries(result.items.map(i => [i.id, [i.status, i.message]])),
    ).toEqual(
      Object.fromEntries(
        [
          'bucket',
          'iam-policy',
          'secret',
          'cluster-credentials',
          'secret-store',
          'secret-scope',
          'operators',
          'argocd-health-checks',
          'applications',
          'revision',
        ].map(id => [id, ['pass', expect.any(String)]]),
      ),
    );
    expect(result.status).toBe('pass');

    const head = (
      await run('git', ['--git-dir', sandbox.git.repoDir, 'rev-parse', 'main'])
    ).stdout.trim();
    expect(result.revision).toBe(head);
    expect(items.revision).toMatchObject({
      message: `Argo CD will sync main at ${head}`,
      evidence: { revision: head, targetRevision: 'main', refreshed: true },
    });
    expect(items['cluster-credentials'].evidence).toEqual({
      secret: 'external-secrets-system/aws-credentials',
      type: 'Opaque',
      'access-key-id': 'present',
      'secret-access-key': 'present',
    });
    expect(items['secret-store'].evidence).toMatchObject({
      ready: true,
      service: 'SecretsManager',
      region: sandbox.aws.region,
      credentials: 'external-secrets-system/aws-credentials',
      namespaces: 'openshift-logging',
    });
    expect(items['secret-scope'].evidence).toEqual({
      credentials: 'Secret external-secrets-system/aws-credentials',
      user: 'external-secrets-acme-prod',
      allowedPattern: `arn:aws:secretsmanager:${sandbox.aws.region}:123456789012:secret:logging/acme-prod/*`,
      ownSecret: 'logging/acme-prod/loki-s3: allowed',
      otherEnvironmentSecret: 'logging/acme-prod-other/loki-s3: implicitDeny',
      allLoggingSecrets: 'logging/*: implicitDeny',
    });
    expect(items.operators.evidence['loki-operator']).toMatch(
      /^loki-operator\.v6\.2\.\d+ Succeeded$/,
    );
    expect(items.applications.evidence).toMatchObject({
      'infrastructure.syncStatus': 'OutOfSync',
      'infrastructure.revision': head,
      'infrastructure.automated': false,
      'infrastructure.lastSync': 'never',
      'forwarder.path': 'environments/acme-prod/forwarder',
    });

    // Stored, with a history line.
    expect(await store.latestChecklistRun(environment.entityRef)).toEqual(
      result,
    );
    const [event] = await store.listHistory(environment.entityRef);
    expect(event.message).toBe(
      `Checklist pass: 10 of 10 passed (revision ${head})`,
    );

    // A benchmark-style line: the probes overlap, so the wall time is far
    // below their sum (logged, not asserted: the machine is shared).
    const line = (logger.info as jest.Mock).mock.calls
      .map(c => String(c[0]))
      .find(l => l.startsWith('Checklist of resource:default/acme-prod'))!;
    const [, wall, sum] = line.match(/in (\d+) ms \(probes took (\d+) ms/)!;
    // eslint-disable-next-line no-console
    console.log(
      `checklist benchmark: wall ${wall} ms vs sum of probes ${sum} ms (${(
        Number(sum) / Math.max(1, Number(wall))
      ).toFixed(1)}x)`,
    );

    // No secret value in the run, the history or the logs.
    const lokiSecret = await readSecretValue(
      sandbox,
      'logging/acme-prod/loki-s3',
    );
    const secrets = [
      sandbox.aws.accessKeyId,
      sandbox.aws.secretAccessKey,
      Buffer.from(sandbox.aws.accessKeyId).toString('base64'),
      Buffer.from(sandbox.aws.secretAccessKey).toString('base64'),
      eso.accessKeyId,
      eso.secretAccessKey,
      Buffer.from(eso.accessKeyId).toString('base64'),
      Buffer.from(eso.secretAccessKey).toString('base64'),
      lokiSecret.access_key_id,
      lokiSecret.access_key_secret,
      sandbox.kube.token,
    ];
    const everything = JSON.stringify([
      await knex('checklist_runs'),
      await knex('history'),
      (logger.info as jest.Mock).mock.calls,
      (logger.debug as jest.Mock).mock.calls,
      (logger.warn as jest.Mock).mock.calls,
    ]);
    for (const s of secrets) {
      expect(s.length).toBeGreaterThan(8);
      expect(everything).not.toContain(s);
    }
  });

  it('fails the credentials and the store when the credentials Secret is deleted', async () => {
    await cluster
      .get({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'external-secrets-system',
        name: 'aws-credentials',
      })
      .then(found => expect(found).toBeDefined());
    sandbox.store.delete({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'external-secrets-system',
      name: 'aws-credentials',
    });
    await waitFor('the store to turn not Ready', () =>
      storeReady() === 'False' ? true : undefined,
    );
    const { items } = await check();
    expect(items['cluster-credentials']).toMatchObject({
      status: 'fail',
      message:
        'Secret external-secrets-system/aws-credentials does not exist: External Secrets cannot authenticate to AWS',
    });
    expect(items['secret-store'].status).toBe('fail');
    expect(items['secret-store'].message).toMatch(
      /^ClusterSecretStore aws-secrets-manager: not Ready \(InvalidProviderConfig: .+\)$/,
    );
    expect(items['secret-store'].evidence.reason).toBe('InvalidProviderConfig');

    await applyCredentials();
    await waitFor('the store to be Ready again', () =>
      storeReady() === 'True' ? true : undefined,
    );
    expect((await check()).items['secret-store'].status).toBe('pass');
  });

  it('fails the credentials probe for a Secret with a key missing, naming it', async () => {
    await cluster.mergePatch(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'external-secrets-system',
        name: 'aws-credentials',
      },
      { data: { 'secret-access-key': null } },
    );
    const { items } = await check();
    expect(items['cluster-credentials']).toMatchObject({
      status: 'fail',
      message:
        'Secret external-secrets-system/aws-credentials: key secret-access-key is missing',
      evidence: { 'access-key-id': 'present', 'secret-access-key': 'missing' },
    });
    await applyCredentials();
    await waitFor('the store to be Ready again', () =>
      storeReady() === 'True' ? true : undefined,
    );
  });

  it("fails the scope for a key that is no IAM user's (the sandbox admin's), never naming it", async () => {
    // Put there by hand, as a cluster administrator could (the template's
    // step would need a rotation).
    await ensureClusterCredentials(
      cluster,
      {
        accessKeyId: sandbox.aws.accessKeyId,
        secretAccessKey: sandbox.aws.secretAccessKey,
      },
      { rotate: true },
    );
    const { result, items } = await check();
    expect(items['secret-scope']).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /^The access key in Secret external-secrets-system\/aws-credentials is not an IAM user's key in the portal's AWS account/,
      ),
      evidence: { owner: 'not an IAM user of this account' },
    });
    expect(result.status).toBe('fail');
    expect(JSON.stringify(result)).not.toContain(sandbox.aws.accessKeyId);
    await ensureClusterCredentials(cluster, eso, { rotate: true });
    expect((await check()).items['secret-scope'].status).toBe('pass');
  });

  it('fails the store when it may be used beyond the logging namespace', async () => {
    await cluster.mergePatch(
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        name: 'aws-secrets-manager',
      },
      {
        spec: {
          conditions: [
            { namespaces: ['openshift-logging', 'team-a'] },
            { namespaceRegexes: ['.*'] },
          ],
        },
      },
    );
    let { items } = await check();
    expect(items['secret-store']).toMatchObject({
      status: 'fail',
      message:
        'ClusterSecretStore aws-secrets-manager: may be used beyond openshift-logging, by whoever can create such a namespace: namespace team-a, namespaces matching .*',
    });
    await cluster.mergePatch(
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        name: 'aws-secrets-manager',
      },
      { spec: { conditions: null } },
    );
    ({ items } = await check());
    expect(items['secret-store'].status).toBe('fail');
    expect(items['secret-store'].message).toContain(
      'has no spec.conditions: every namespace may read Secrets Manager through it',
    );
    await applyStore();
    expect((await check()).items['secret-store'].status).toBe('pass');
  });

  it('fails for a missing operator, and only warns for OpenShift GitOps when Argo CD runs', async () => {
    for (const [namespace, name] of [
      ['openshift-operators-redhat', 'loki-operator'],
      ['openshift-gitops-operator', 'openshift-gitops-operator'],
    ]) {
      sandbox.store.delete({
        apiVersion: 'operators.coreos.com/v1alpha1',
        kind: 'Subscription',
        namespace,
        name,
      });
    }
    const { items } = await check();
    expect(items.operators.status).toBe('fail');
    expect(items.operators.message).toMatch(
      /^not installed: loki-operator; openshift-gitops-operator is not installed through OLM, but an Argo CD reconciles the environment's Applications \(last at .+\)$/,
    );
    expect(items.operators.evidence['loki-operator']).toBe('not installed');
    await installOperators();
    expect((await check()).items.operators.status).toBe('pass');
  });

  it('fails the Argo CD health checks when a script differs, and passes once the registration ran again', async () => {
    const key =
      'resource.customizations.health.observability.openshift.io_ClusterLogForwarder';
    expect((await check()).items['argocd-health-checks']).toMatchObject({
      status: 'pass',
      evidence: {
        flavour: 'upstream',
        configuredIn: 'ConfigMap openshift-gitops/argocd-cm',
      },
    });
    await cluster.mergePatch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'openshift-gitops',
        name: 'argocd-cm',
      },
      { data: { [key]: 'hs = {}\nhs.status = "Healthy"\nreturn hs\n' } },
    );
    const { items } = await check();
    expect(items['argocd-health-checks'].status).toBe('fail');
    expect(items['argocd-health-checks'].message).toContain(
      `observability.openshift.io/ClusterLogForwarder: ${key} in ConfigMap openshift-gitops/argocd-cm differs from the shipped script. Fix: re-run the template's "Register with Argo CD" step`,
    );
    await register();
    expect((await check()).items['argocd-health-checks'].status).toBe('pass');
  });

  it('fails the applications probe for an Application reading another path', async () => {
    await cluster.mergePatch(
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        namespace: 'openshift-gitops',
        name: 'acme-prod-logging-forwarder',
      },
      { spec: { source: { path: 'environments/other/forwarder' } } },
    );
    const { items } = await check();
    expect(items.applications.status).toBe('fail');
    expect(items.applications.message).toContain(
      'Application openshift-gitops/acme-prod-logging-forwarder reads path environments/other/forwarder, not environments/acme-prod/forwarder',
    );
    await register();
  });

  it('reports an unreachable cluster as unknown with the cause, and still returns', async () => {
    const started = Date.now();
    const { result, items } = await check({ ...environment, cluster: 'dead' });
    for (const id of [
      'cluster-credentials',
      'secret-store',
      'secret-scope',
      'operators',
      'argocd-health-checks',
      'applications',
      'revision',
    ]) {
      expect(items[id].status).toBe('unknown');
      expect(items[id].message).toMatch(
        new RegExp(
          `^cluster "dead" \\(https://127\\.0\\.0\\.1:${deadPort}\\) is unreachable: .*ECONNREFUSED`,
        ),
      );
    }
    for (const id of ['bucket', 'iam-policy', 'secret']) {
      expect(items[id].status).toBe('pass');
    }
    expect(result.status).toBe('unknown');
    expect(result.revision).toBeUndefined();
    // Bounded by the probe timeout (10 s), not by the retries of each call.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('fails a production Application that would sync on its own', async () => {
    // Last: the automated policy makes the sandbox's Argo CD sync at once.
    await cluster.mergePatch(
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        namespace: 'openshift-gitops',
        name: 'acme-prod-logging-infrastructure',
      },
      { spec: { syncPolicy: { automated: { prune: false } } } },
    );
    const { items } = await check();
    expect(items.applications.status).toBe('fail');
    expect(items.applications.message).toContain(
      'Application openshift-gitops/acme-prod-logging-infrastructure has syncPolicy.automated: a production Application must sync only after approval',
    );
    expect(items.applications.evidence['infrastructure.automated']).toBe(true);
  });
});
