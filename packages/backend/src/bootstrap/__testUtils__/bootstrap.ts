import {
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConfigReader } from '@backstage/config';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  AwsClientFactory,
  ConfigClusterRegistry,
  awsNamesFor,
} from '@internal/plugin-logging-environments-node';
import {
  createApplyClusterCredentialsAction,
  createEnsureBucketAction,
  createEnsureIamAction,
  createEnsureSecretAction,
  createEnsureSecretStoreAction,
  createRegisterArgoCdAction,
} from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { Sandbox, startSandbox } from '@internal/sandbox';
import {
  ApiException,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localRecords } from '@internal/plugin-logging-environments-backend/testUtils';
import { renderSkeleton } from '../../gitops/__testUtils__/render';

/** The bootstrap steps, in the order the template runs them. */
export const STEPS = [
  'bucket',
  'iam',
  'secret',
  'credentials',
  'store',
  'register',
] as const;
export type StepId = (typeof STEPS)[number];
export type Tier = 'development' | 'staging' | 'production';

/** The AWS side of the sandbox as the portal is configured for it. */
export function awsConfig(sandbox: Sandbox, maxAttempts?: number) {
  return {
    aws: {
      mainAccount: {
        accessKeyId: sandbox.aws.accessKeyId,
        secretAccessKey: sandbox.aws.secretAccessKey,
      },
    },
    loggingEnvironments: {
      aws: {
        endpoint: sandbox.aws.url,
        ...(maxAttempts ? { maxAttempts } : {}),
      },
    },
  };
}

/**
 * AWS SDK clients straight to moto, behind the sandbox's proxy: what the
 * tests check with is neither faulted nor counted.
 */
export function motoClients(sandbox: Sandbox) {
  const config = {
    endpoint: sandbox.moto.url,
    region: sandbox.aws.region,
    credentials: {
      accessKeyId: sandbox.aws.accessKeyId,
      secretAccessKey: sandbox.aws.secretAccessKey,
    },
    maxAttempts: 1,
  };
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    iam: new IAMClient(config),
    secretsManager: new SecretsManagerClient(config),
    destroy() {
      this.s3.destroy();
      this.iam.destroy();
      this.secretsManager.destroy();
    },
  };
}
export type MotoClients = ReturnType<typeof motoClients>;

/**
 * What moto holds, read with the AWS SDK: every bucket, IAM user and secret
 * (a test starts from an empty sandbox, so anything extra is a duplicate),
 * the environment's user with its access keys, tags and policies, and the
 * environment's secret with every version (deprecated ones included) and
 * its value.
 */
export async function readAws(aws: MotoClients, env: string) {
  const names = awsNamesFor(env);
  const buckets = (await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? [];
  const users = (await aws.iam.send(new ListUsersCommand({}))).Users ?? [];
  const secrets =
    (
      await aws.secretsManager.send(
        new ListSecretsCommand({ IncludePlannedDeletion: true }),
      )
    ).SecretList ?? [];

  let user:
    | {
        accessKeyIds: string[];
        tags: Record<string, string>;
        inlinePolicies: string[];
        attachedPolicies: string[];
      }
    | undefined;
  if (users.some(u => u.UserName === names.iamUser)) {
    const UserName = names.iamUser;
    const [keys, tags, inline, attached] = await Promise.all([
      aws.iam.send(new ListAccessKeysCommand({ UserName })),
      aws.iam.send(new ListUserTagsCommand({ UserName })),
      aws.iam.send(new ListUserPoliciesCommand({ UserName })),
      aws.iam.send(new ListAttachedUserPoliciesCommand({ UserName })),
    ]);
    user = {
      accessKeyIds: (keys.AccessKeyMetadata ?? []).map(k => k.AccessKeyId!),
      tags: Object.fromEntries(
        (tags.Tags ?? []).map(t => [t.Key!, t.Value ?? '']),
      ),
      inlinePolicies: inline.PolicyNames ?? [],
      attachedPolicies: (attached.AttachedPolicies ?? []).map(
        p => p.PolicyArn!,
      ),
    };
  }

  let secret:
    | {
        versionIds: string[];
        tags: Record<string, string>;
        value: {
          bucketnames?: string;
          access_key_id?: string;
          access_key_secret?: string;
        };
      }
    | undefined;
  const listed = secrets.find(s => s.Name === names.secret);
  if (listed) {
    const [versions, value] = await Promise.all([
      aws.secretsManager.send(
        new ListSecretVersionIdsCommand({
          SecretId: names.secret,
          IncludeDeprecated: true,
        }),
      ),
      aws.secretsManager.send(
        new GetSecretValueCommand({ SecretId: names.secret }),
      ),
    ]);
    secret = {
      versionIds: (versions.Versions ?? []).map(v => v.VersionId!),
      tags: Object.fromEntries(
        (listed.Tags ?? []).map(t => [t.Key!, t.Value ?? '']),
      ),
      value: JSON.parse(value.SecretString ?? '{}'),
    };
  }

  return {
    bucketNames: buckets.map(b => b.Name!),
    userNames: users.map(u => u.UserName!),
    secretNames: secrets.map(s => s.Name!),
    user,
    secret,
  };
}
export type AwsState = Awaited<ReturnType<typeof readAws>>;

/** Reads Kubernetes objects with @kubernetes/client-node. */
export function kubeReader(sandbox: Sandbox) {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sandbox.kubeconfig);
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  return async <T = KubernetesObject & Record<string, any>>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> => {
    try {
      return (await objects.read({
        apiVersion,
        kind,
        metadata: { name, namespace },
      })) as T;
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return undefined;
      throw e;
    }
  };
}

/**
 * What the cluster holds for an environment, read through the Kubernetes
 * API. Call it with no fault rule on the Kubernetes API.
 */
export async function readCluster(
  read: ReturnType<typeof kubeReader>,
  env: string,
) {
  const store = await read(
    'external-secrets.io/v1',
    'ClusterSecretStore',
    'aws-secrets-manager',
  );
  return {
    credentials: await read(
      'v1',
      'Secret',
      'aws-credentials',
      'external-secrets-system',
    ),
    storeReady:
      store?.status?.conditions?.find((c: any) => c.type === 'Ready')
        ?.status === 'True',
    project: await read(
      'argoproj.io/v1alpha1',
      'AppProject',
      `${env}-logging`,
      'openshift-gitops',
    ),
    apps: await Promise.all(
      [`${env}-logging-infrastructure`, `${env}-logging-forwarder`].map(n =>
        read('argoproj.io/v1alpha1', 'Application', n, 'openshift-gitops'),
      ),
    ),
  };
}

/**
 * A sandbox (fast profile) with what the bootstrap actions need: AWS client
 * factories (through the fault-injecting proxy), the cluster registry, a
 * workspace the template's skeleton is rendered into, and readers of what
 * AWS (straight to moto) and the cluster hold.
 */
export async function startHarness() {
  const sandbox = await startSandbox({ profile: 'fast' });
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-'));
  await sandbox.writeFiles(dir);
  const workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
  const clusters = ConfigClusterRegistry.fromConfig(
    new ConfigReader({
      loggingEnvironments: {
        clusters: [
          {
            name: 'sandbox',
            kubeconfig: join(dir, 'kubeconfig'),
            argocdUrl: sandbox.argocd.url,
            argocdToken: sandbox.argocd.token,
          },
        ],
      },
    }),
  );
  const moto = motoClients(sandbox);
  const read = kubeReader(sandbox);
  const rendered = new Set<string>();
  // The backend's trusted records, which every bootstrap step checks with
  // (as the example org's requester).
  const records = await localRecords({
    clusters,
    gitops: { repoUrl: sandbox.git.url },
  });

  return {
    sandbox,
    records,
    /** A fresh sandbox and no records: a new world for the next case. */
    async reset() {
      await sandbox.reset();
      await records.clear();
    },
    region: sandbox.aws.region,
    workspace,
    clusters,
    /**
     * A new AWS client factory through the proxy: what one backend process
     * has (its own SDK clients and their retry quota), with the default
     * retry budget (6 attempts) unless given.
     */
    awsFactory: (maxAttempts?: number) =>
      AwsClientFactory.fromConfig(
        new ConfigReader(awsConfig(sandbox, maxAttempts)),
      ),

    /** Renders the skeleton for an environment (once). */
    async render(env: string, tier: Tier = 'production') {
      if (rendered.has(env)) return;
      await renderSkeleton(workspace, {
        name: env,
        tier,
        cluster: 'sandbox',
        region: sandbox.aws.region,
        repoUrl: sandbox.git.url,
      });
      rendered.add(env);
    },

    readAws: (env: string) => readAws(moto, env),
    readCluster: (env: string) => readCluster(read, env),

    /**
     * Makes the fault rules' `fraction` draw from a seeded generator, so a
     * test with faults on a fraction of calls is the same on every run.
     */
    seedFaults(seed: number) {
      const faults = sandbox.faults as unknown as { random: () => number };
      if (typeof faults.random !== 'function') {
        throw new Error('FaultInjector no longer draws from `random`');
      }
      faults.random = mulberry32(seed);
    },

    async stop() {
      moto.destroy();
      await records.knex.destroy();
      await sandbox.stop();
      // The kubeconfig (a token) and the rendered workspace.
      for (const d of [dir, workspace]) {
        rmSync(d, { recursive: true, force: true });
      }
    },
  };
}
export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** A small seeded PRNG (mulberry32), uniform in [0, 1). */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one action run showed: its log lines, its outputs, its error. */
export interface StepRun {
  step: StepId;
  ms?: number;
  lines: string[];
  outputs: Array<[string, unknown]>;
  error?: Error;
}

/** The result of running the bootstrap sequence once. */
export interface SequenceRun {
  runs: StepRun[];
  completed: StepId[];
  failed?: StepRun & { error: Error };
  /** Everything shown to a person: log lines, outputs, the error. */
  shown: string;
}

type Input = Record<string, string | number | boolean | string[]>;

function actionContext(
  input: Input,
  workspacePath: string,
  secrets: Record<string, string>,
) {
  const lines: string[] = [];
  const ctx = createMockActionContext({
    input,
    workspacePath,
    secrets,
  });
  for (const level of ['info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(ctx.logger, level).mockImplementation(((m: string) => {
      lines.push(String(m));
    }) as any);
  }
  return { ctx, lines };
}

/**
 * Runs the bootstrap sequence for an environment the way the template does
 * (claim -> bucket -> IAM and key -> secret -> cluster credentials ->
 * ClusterSecretStore -> Argo CD registration), with the real actions, and
 * stops at the first failing step as the scaffolder does. The claim is
 * made (or confirmed, on a re-run) before the steps, as the requester.
 */
export async function runBootstrap(
  h: Harness,
  env: string,
  options: { aws: AwsClientFactory; tier?: Tier },
): Promise<SequenceRun> {
  const tier = options.tier ?? 'production';
  await h.render(env, tier);
  const region = h.region;
  const bucket = `${env}-loki`;
  await h.records.api.claim(
    {
      name: env,
      tier,
      cluster: 'sandbox',
      owner: 'group:default/platform-team',
      region,
      bucket,
    },
    { credentials: undefined as any },
  );
  const records = h.records.api;
  const aws = { aws: options.aws, records };
  const clusters = { clusters: h.clusters, records };
  const secrets = {
    awsAccessKeyId: h.sandbox.aws.accessKeyId,
    awsSecretAccessKey: h.sandbox.aws.secretAccessKey,
  };
  const plan: Record<
    StepId,
    { action: { handler(ctx: any): Promise<void> }; input: Input }
  > = {
    bucket: {
      action: createEnsureBucketAction(aws),
      input: { environment: env, bucket, region },
    },
    iam: {
      action: createEnsureIamAction(aws),
      input: { environment: env, bucket, region },
    },
    secret: {
      action: createEnsureSecretAction(aws),
      input: { environment: env, bucket, region },
    },
    credentials: {
      action: createApplyClusterCredentialsAction(clusters),
      input: { environment: env, cluster: 'sandbox' },
    },
    store: {
      action: createEnsureSecretStoreAction(clusters),
      input: {
        environment: env,
        cluster: 'sandbox',
        manifest: `environments/${env}/bootstrap/cluster-secret-store.yaml`,
        timeoutSeconds: 60,
      },
    },
    register: {
      action: createRegisterArgoCdAction({
        ...clusters,
        gitops: { repoUrl: h.sandbox.git.url, branch: 'main' },
      }),
      input: {
        environment: env,
        cluster: 'sandbox',
        manifests: [
          `environments/${env}/argocd/appproject.yaml`,
          `environments/${env}/argocd/applications.yaml`,
        ],
      },
    },
  };

  const runs: StepRun[] = [];
  for (const step of STEPS) {
    const { ctx, lines } = actionContext(
      plan[step].input,
      h.workspace,
      secrets,
    );
    const run: StepRun = {
      step,
      lines,
      outputs: (ctx.output as jest.Mock).mock.calls as Array<[string, unknown]>,
    };
    runs.push(run);
    const t0 = Date.now();
    try {
      await plan[step].action.handler(ctx);
    } catch (e) {
      run.error = e as Error;
      break;
    } finally {
      run.ms = Date.now() - t0;
    }
  }
  const failed = runs.find(r => r.error) as SequenceRun['failed'];
  return {
    runs,
    completed: runs.filter(r => !r.error).map(r => r.step),
    failed,
    shown: JSON.stringify(
      runs.map(r => [
        r.lines,
        r.outputs,
        r.error ? [String(r.error), r.error.stack] : null,
      ]),
    ),
  };
}

/**
 * Watches the access keys a factory's IAM client issues and deletes (the
 * CreateAccessKey and DeleteAccessKey calls that succeeded, in order), so a
 * test can count the keys issued, know the most that were ever live at
 * once, and check no key's secret ever shows.
 */
export async function watchAccessKeys(
  factory: AwsClientFactory,
  region: string,
) {
  const keys = {
    issued: [] as Array<{ id: string; secret: string }>,
    deleted: [] as string[],
    live: 0,
    maxLive: 0,
  };
  const { iam } = await factory.clients(region);
  iam.middlewareStack.add(
    (next, context) => async args => {
      const result: any = await next(args);
      if (context.commandName === 'CreateAccessKeyCommand') {
        keys.issued.push({
          id: result.output.AccessKey.AccessKeyId,
          secret: result.output.AccessKey.SecretAccessKey,
        });
        keys.live++;
        keys.maxLive = Math.max(keys.maxLive, keys.live);
      } else if (context.commandName === 'DeleteAccessKeyCommand') {
        keys.deleted.push((args.input as any).AccessKeyId);
        keys.live--;
      }
      return result;
    },
    { step: 'initialize', name: 'watchAccessKeys' },
  );
  return keys;
}
export type WatchedKeys = Awaited<ReturnType<typeof watchAccessKeys>>;

/** The steps a sequence must complete. */
export function expectCompleted(run: SequenceRun) {
  expect(run.failed?.error).toBeUndefined();
  expect(run.completed).toEqual([...STEPS]);
}

/** No secret value shows in log lines, outputs or errors. */
export function expectNoSecrets(
  h: Harness,
  shown: string,
  keys: WatchedKeys,
  aws?: AwsState,
) {
  const secrets = [
    h.sandbox.aws.secretAccessKey,
    ...keys.issued.map(k => k.secret),
    ...(aws?.secret?.value.access_key_secret
      ? [aws.secret.value.access_key_secret]
      : []),
  ];
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(shown).not.toContain(secret);
}

/**
 * The end state a completed bootstrap must have, each thing once: one
 * hardened bucket, one IAM user with the Loki policy only and one access
 * key (the one the secret holds, recorded on the user, the last one issued),
 * one secret with one version, the credentials Secret, the store Ready, the
 * Applications registered and not synced.
 */
export async function expectBootstrapped(
  h: Harness,
  env: string,
  keys: WatchedKeys,
) {
  const aws = await h.readAws(env);
  expect(aws.bucketNames).toEqual([`${env}-loki`]);
  expect(aws.userNames).toEqual([`loki-${env}`]);
  expect(aws.secretNames).toEqual([`logging/${env}/loki-s3`]);

  const [bucket] = (await h.sandbox.awsInventory()).buckets;
  expect(bucket.publicAccessBlock).toEqual({
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
  expect(bucket.ownershipControls).toEqual([
    { ObjectOwnership: 'BucketOwnerEnforced' },
  ]);
  expect(bucket.encryption).toEqual([
    expect.objectContaining({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
    }),
  ]);
  expect(bucket.versioning.status).toBe('Enabled');
  expect((bucket.lifecycle ?? []).map((r: any) => r.ID).sort()).toEqual([
    'logging-environments-abort-incomplete-multipart-uploads',
    'logging-environments-expire-noncurrent-versions',
  ]);
  expect((bucket.policy as any).Statement).toEqual([
    expect.objectContaining({
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }),
  ]);
  expect(bucket.tags['logging-environments.io/environment']).toBe(env);

  const user = aws.user!;
  expect(user.inlinePolicies).toEqual(['loki-object-storage']);
  expect(user.attachedPolicies).toEqual([]);
  expect(user.accessKeyIds).toHaveLength(1);
  const [keyId] = user.accessKeyIds;
  expect(user.tags['logging-environments.io/access-key-issued']).toBe(keyId);
  const secret = aws.secret!;
  expect(secret.versionIds).toHaveLength(1);
  expect(secret.tags['logging-environments.io/access-key-id']).toBe(keyId);
  expect(secret.value).toMatchObject({
    bucketnames: `${env}-loki`,
    access_key_id: keyId,
  });
  // The key in the secret is the last one issued, with its own secret.
  expect(keys.issued[keys.issued.length - 1]).toEqual({
    id: keyId,
    secret: secret.value.access_key_secret,
  });

  const cluster = await h.readCluster(env);
  expect(
    Buffer.from(
      (cluster.credentials as any)?.data?.['access-key-id'] ?? '',
      'base64',
    ).toString(),
  ).toBe(h.sandbox.aws.accessKeyId);
  expect(cluster.storeReady).toBe(true);
  expect(cluster.project).toBeDefined();
  // Registered, never synced (production).
  for (const app of cluster.apps as any[]) {
    expect(app).toBeDefined();
    expect(app.spec.syncPolicy?.automated).toBeUndefined();
    expect(app.operation).toBeUndefined();
    expect(app.status?.operationState).toBeUndefined();
  }
  return { aws, cluster };
}

/** How many calls of an AWS operation (e.g. `iam:CreateAccessKey`) the proxy saw. */
export function countCalls(
  sandbox: Sandbox,
  target: 'aws' | 'kube',
  operation: string,
  since = 0,
) {
  return sandbox.faults.calls[target].slice(since).filter(c => c === operation)
    .length;
}
