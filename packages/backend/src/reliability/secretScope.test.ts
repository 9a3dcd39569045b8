/**
 * One environment's Loki key stays with that environment. Two environments
 * share an AWS account, each on its own cluster: the development
 * environment `acme-dev` is bootstrapped on the sandbox's cluster with the
 * External Secrets identity a platform team makes from the docs (it may
 * read `logging/acme-dev/*` only); production's key exists in the same
 * account, made by the real AWS steps of its bootstrap. Then, on the
 * development cluster, where more people may create namespaces:
 *
 * - an ExternalSecret in `openshift-logging` (the namespace the store
 *   serves) asking for production's key gets no Secret: External Secrets
 *   reports AWS's AccessDeniedException for the identity;
 * - an ExternalSecret for the environment's own key in a `logging-dev-*`
 *   namespace gets no Secret: the ClusterSecretStore's conditions refuse it
 *   (development no longer renders a `^logging-dev-` regex);
 * - the checklist's `secret-scope` item passes for the scoped identity and
 *   fails for a `logging/*` one, saying what it reads too much of, and that
 *   failure is real: with that identity External Secrets does hand
 *   production's key to openshift-logging.
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AwsClientFactory,
  ensureClusterCredentials,
  ensureLokiBucket,
  ensureLokiIamUser,
  ClusterClient,
} from '@internal/plugin-logging-environments-node';
// The backend plugin exports only its plugin; this test drives its
// checklist service directly (no plugin may import the sandbox).
import {
  ArgoRevisionSource,
  DefaultChecklistService,
  readChecklistOptions,
  RecordEnvironmentCatalog,
  readEnvironmentSettings,
  registryClusterClients,
  secretScopeProbe,
  secretStoreProbe,
} from '@internal/plugin-logging-environments-backend/testUtils';
import type { Environment } from '@internal/plugin-logging-environments-backend/testUtils';
import { Sandbox, startSandbox } from '@internal/sandbox';
import {
  createExternalSecretsIdentity,
  ExternalSecretsIdentity,
} from '../__testUtils__/externalSecretsIdentity';
import {
  bootstrapEnvironment,
  BootstrapWorld,
  openWorld,
  readSecretValue,
} from '../environments/__testUtils__/bootstrapEnvironment';
import { createTestStore } from '../__testUtils__/testStore';

jest.setTimeout(240_000);

const NAME = 'acme-dev';
const OTHER = 'acme-prod';
const OWN_KEY = `logging/${NAME}/loki-s3`;
const OTHER_KEY = `logging/${OTHER}/loki-s3`;
const LOGGING = 'openshift-logging';
const STORE = 'aws-secrets-manager';
const ESO = 'external-secrets.io/v1';

async function waitFor<T>(
  fn: () => T | undefined | null | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

describe("an environment's secrets stay with it", () => {
  let sandbox: Sandbox;
  let world: BootstrapWorld;
  let cluster: ClusterClient;
  let environment: Environment;
  let scoped: ExternalSecretsIdentity;
  /** Production's Loki key, as its bootstrap stored it. */
  let otherKey: Record<string, string>;
  const logger = mockServices.logger.mock();
  let checklist: DefaultChecklistService;

  const get = (kind: string, name: string, namespace?: string): any =>
    sandbox.store.get({
      apiVersion: kind === 'Secret' || kind === 'Namespace' ? 'v1' : ESO,
      kind,
      name,
      namespace,
    });
  const readyOf = (o: any) =>
    o?.status?.conditions?.find((c: any) => c.type === 'Ready');
  const warnings = (namespace: string, name: string): string[] =>
    sandbox.store
      .list('v1', 'Event', { namespace })
      .filter(
        (e: any) =>
          e.involvedObject?.name === name &&
          e.type === 'Warning' &&
          e.reason === 'UpdateFailed',
      )
      .map((e: any) => e.message);
  const externalSecret = (namespace: string, name: string, key: string) =>
    cluster.apply({
      apiVersion: ESO,
      kind: 'ExternalSecret',
      metadata: { name, namespace },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: STORE },
        target: { name, creationPolicy: 'Owner' },
        dataFrom: [{ extract: { key } }],
      },
    });
  /** Every value of production's key the cluster holds, in any Secret. */
  const leakedOtherKey = () =>
    sandbox.store
      .list('v1', 'Secret')
      .flatMap((s: any) => Object.values(s.data ?? {}) as string[])
      .map(v => Buffer.from(v, 'base64').toString('utf8'))
      .filter(
        v => v === otherKey.access_key_id || v === otherKey.access_key_secret,
      );
  const scopeItem = async () => {
    const run = await checklist.run(environment, 'user:default/alice');
    return Object.fromEntries(run.items.map(i => [i.id, i]));
  };
  /** Replaces the credentials by hand, as a cluster administrator could. */
  const useCredentials = async (key: ExternalSecretsIdentity) => {
    await ensureClusterCredentials(cluster, key, { rotate: true });
    await waitFor(
      () => readyOf(get('ClusterSecretStore', STORE))?.status === 'True',
      'the store to be Ready with the new credentials',
    );
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    world = await openWorld(sandbox);
    const { entity, externalSecrets } = await bootstrapEnvironment(world, {
      name: NAME,
      tier: 'development',
    });
    scoped = externalSecrets;
    // Production, in the same AWS account (on another cluster): the real
    // AWS steps of its bootstrap.
    await ensureLokiBucket(world.aws, {
      bucket: `${OTHER}-loki`,
      environment: OTHER,
    });
    await ensureLokiIamUser(world.aws, {
      environment: OTHER,
      bucket: `${OTHER}-loki`,
      secretName: OTHER_KEY,
    });
    otherKey = await readSecretValue(sandbox, OTHER_KEY);
    if (!otherKey.access_key_id) throw new Error("production's key is missing");

    cluster = ClusterClient.fromKubeConfig(
      world.registry.kubeConfig('sandbox'),
    );
    const reader = new ConfigReader(world.config);
    environment = await new RecordEnvironmentCatalog({
      ...readEnvironmentSettings(reader),
      catalog: catalogServiceMock({ entities: [entity] }),
      records: world.records.records,
    }).get(`resource:default/${NAME}`, mockCredentials.user());
    const { store } = await createTestStore();
    const options = readChecklistOptions(reader);
    const clusters = registryClusterClients(world.registry);
    checklist = new DefaultChecklistService({
      store,
      logger,
      aws: AwsClientFactory.fromConfig(reader),
      clusters,
      revisions: new ArgoRevisionSource({
        clusters,
        refreshTimeoutMs: options.revisionRefreshTimeoutMs,
      }),
      gitops: options.gitops,
      timeouts: options.timeouts,
      probes: [secretStoreProbe, secretScopeProbe],
    });
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it("gives openshift-logging this environment's key and not another environment's", async () => {
    await externalSecret(LOGGING, 'own-key', OWN_KEY);
    await externalSecret(LOGGING, 'other-key', OTHER_KEY);

    // The store works: the environment's own key arrives.
    await waitFor(
      () =>
        readyOf(get('ExternalSecret', 'own-key', LOGGING))?.status === 'True',
      'the own key to sync',
    );
    expect(get('Secret', 'own-key', LOGGING)).toBeDefined();

    // Production's key is refused by AWS, for this identity.
    const denial = await waitFor(
      () =>
        warnings(LOGGING, 'other-key').find(m =>
          m.startsWith('AccessDeniedException'),
        ),
      "AWS's refusal",
    );
    expect(denial).toMatch(
      new RegExp(
        `^AccessDeniedException: User: ${scoped.arn} is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:${sandbox.aws.region}:\\d+:secret:${OTHER_KEY}-\\w+ because no identity-based policy allows the secretsmanager:GetSecretValue action$`,
      ),
    );
    expect(readyOf(get('ExternalSecret', 'other-key', LOGGING))).toMatchObject({
      status: 'False',
      reason: 'SecretSyncedError',
    });
    expect(get('Secret', 'other-key', LOGGING)).toBeUndefined();
    expect(leakedOtherKey()).toEqual([]);
  });

  it("refuses the environment's own key to a logging-dev-* namespace", async () => {
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'logging-dev-x' },
    });
    await externalSecret('logging-dev-x', 'own-key', OWN_KEY);
    const refusal = await waitFor(
      () => warnings('logging-dev-x', 'own-key')[0],
      'the refusal by the store conditions',
    );
    expect(refusal).toBe(
      `using cluster store "${STORE}" is not allowed from namespace "logging-dev-x": denied by spec.condition`,
    );
    expect(get('Secret', 'own-key', 'logging-dev-x')).toBeUndefined();
    expect(get('ClusterSecretStore', STORE).spec.conditions).toEqual([
      { namespaces: [LOGGING] },
    ]);
  });

  it('passes the secret-scope item for the scoped identity and fails it for a logging/* one, which does read the other key', async () => {
    let items = await scopeItem();
    expect(items['secret-store'].status).toBe('pass');
    expect(items['secret-scope']).toMatchObject({
      status: 'pass',
      evidence: {
        user: scoped.userName,
        ownSecret: `${OWN_KEY}: allowed`,
        otherEnvironmentSecret: `logging/${NAME}-other/loki-s3: implicitDeny`,
        allLoggingSecrets: 'logging/*: implicitDeny',
      },
    });

    // What the docs used to show: one identity reading every logging/*
    // secret, shared by every environment.
    const wide = await createExternalSecretsIdentity(sandbox, {
      environment: NAME,
      userName: 'external-secrets',
      secrets: 'logging/*',
    });
    await useCredentials(wide);
    items = await scopeItem();
    expect(items['secret-scope']).toMatchObject({
      status: 'fail',
      message: `IAM user "external-secrets" (the key in Secret external-secrets-system/aws-credentials) can read too much: secretsmanager:GetSecretValue is allowed on another environment's secret (logging/${NAME}-other/loki-s3) and on every secret under logging/*; its policy must allow only arn:aws:secretsmanager:${sandbox.aws.region}:123456789012:secret:logging/${NAME}/*`,
      evidence: { user: 'external-secrets' },
    });
    // No key in the run: neither identity's, in any form.
    const run = JSON.stringify(items);
    for (const key of [scoped, wide]) {
      for (const value of [key.accessKeyId, key.secretAccessKey]) {
        expect(run).not.toContain(value);
        expect(run).not.toContain(Buffer.from(value).toString('base64'));
      }
    }

    // And External Secrets does read production's key with it.
    await externalSecret(LOGGING, 'other-key-wide', OTHER_KEY);
    await waitFor(
      () =>
        readyOf(get('ExternalSecret', 'other-key-wide', LOGGING))?.status ===
        'True',
      "the other environment's key to sync with the wide identity",
    );
    expect(leakedOtherKey()).not.toEqual([]);
    sandbox.store.delete({
      apiVersion: ESO,
      kind: 'ExternalSecret',
      name: 'other-key-wide',
      namespace: LOGGING,
    });

    await useCredentials(scoped);
    expect((await scopeItem())['secret-scope'].status).toBe('pass');
  });
});
