import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import {
  AwsClientFactory,
  AwsClients,
  ConfigClusterRegistry,
  ensureLokiBucket,
  ensureLokiIamUser,
  ensureLokiSecret,
} from '@internal/plugin-logging-environments-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createApplyClusterCredentialsAction,
  createEnsureOperatorsAction,
  createEnsureSecretStoreAction,
  createRegisterArgoCdAction,
} from '@internal/plugin-scaffolder-backend-module-logging-environments';
// The records live in the plugin's database; tests write them the way the
// bootstrap does, through the record service (no plugin imports the sandbox).
import {
  DatabaseEnvironmentRecordsStore,
  localRecords,
} from '@internal/plugin-logging-environments-backend/testUtils';
import { Sandbox, seedSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Knex } from 'knex';
import yaml from 'yaml';
import {
  createExternalSecretsIdentity,
  ExternalSecretsIdentity,
} from '../../__testUtils__/externalSecretsIdentity';
import { REPO_ROOT } from '../../gitops/__testUtils__/kustomize';
import {
  renderSkeleton,
  SkeletonValues,
} from '../../gitops/__testUtils__/render';

const run = promisify(execFile);

/**
 * A sandbox with the GitOps repository cloned and the portal configuration
 * that reaches it: what phase 1 needs before any environment exists.
 */
export interface BootstrapWorld {
  sandbox: Sandbox;
  /** The backend configuration for the sandbox (clusters, AWS, GitOps). */
  config: Record<string, any>;
  registry: ConfigClusterRegistry;
  aws: AwsClients;
  awsFactory: AwsClientFactory;
  /** Commits everything under the clone and pushes it; returns the new head. */
  push(message: string): Promise<string>;
  /** A working clone of the sandbox's GitOps repository. */
  clone: string;
  /**
   * The logging-environments plugin's database (SQLite in memory) with the
   * trusted records the bootstraps write; start the portal backend on it
   * (`startPortalBackend({ knex: world.records.knex })`) to see them.
   */
  records: Awaited<ReturnType<typeof localRecords>>;
}

/** Connects to a started sandbox and clones its GitOps repository. */
export async function openWorld(
  sandbox: Sandbox,
  extraConfig: { clusters?: JsonObject[] } = {},
): Promise<BootstrapWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-'));
  await sandbox.writeFiles(dir);
  const config = {
    aws: {
      mainAccount: {
        accessKeyId: sandbox.aws.accessKeyId,
        secretAccessKey: sandbox.aws.secretAccessKey,
      },
    },
    loggingEnvironments: {
      aws: {
        endpoint: sandbox.aws.url,
        // Loki reaches the TLS-only bucket over TLS.
        storageEndpoint: sandbox.aws.httpsUrl,
        maxAttempts: 2,
      },
      gitops: { repoUrl: sandbox.git.url, branch: 'main' },
      clusters: [
        { name: 'sandbox', kubeconfig: join(dir, 'kubeconfig') },
        ...(extraConfig.clusters ?? []),
      ],
    },
  };
  const reader = new ConfigReader(config);
  const registry = ConfigClusterRegistry.fromConfig(reader);
  const awsFactory = AwsClientFactory.fromConfig(reader);
  const aws = await awsFactory.clients(sandbox.aws.region);
  // The platform manifests under platform/, as `yarn sandbox` seeds them
  // (the registration below installs Argo CD's health checks).
  await seedSandbox(sandbox, { manifestsDir: join(REPO_ROOT, 'manifests') });
  const clone = mkdtempSync(join(tmpdir(), 'gitops-'));
  await run('git', ['clone', '--quiet', sandbox.git.repoDir, clone]);
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
  const push = async (message: string) => {
    await git('add', '-A');
    await git('commit', '--quiet', '--allow-empty', '-m', message);
    await git('push', '--quiet', 'origin', 'main');
    return (await git('rev-parse', 'HEAD')).stdout.trim();
  };
  const records = await localRecords({
    clusters: registry,
    gitops: { repoUrl: sandbox.git.url },
  });
  return { sandbox, config, registry, aws, awsFactory, push, clone, records };
}

/** What {@link bootstrapEnvironment} made. */
export interface BootstrappedEnvironment {
  /** The environment's catalog entity, as the template renders it. */
  entity: Entity;
  /** The Git revision the environment was published at. */
  revision: string;
  /** The External Secrets identity whose key the template was given. */
  externalSecrets: ExternalSecretsIdentity;
}

function quietContext(
  input: any,
  workspace: string,
  key: { accessKeyId: string; secretAccessKey: string },
) {
  const ctx = createMockActionContext({
    input,
    workspacePath: workspace,
    secrets: {
      awsAccessKeyId: key.accessKeyId,
      awsSecretAccessKey: key.secretAccessKey,
    },
  });
  for (const level of ['info', 'warn', 'error'] as const) {
    jest.spyOn(ctx.logger, level).mockImplementation((() => {}) as any);
  }
  return ctx;
}

/**
 * Phase 1 for one environment, as the template runs it: renders the
 * skeleton, publishes it to the GitOps repository, then the real -node
 * ensure functions for AWS and the real scaffolder actions for the cluster
 * (operators, credentials and the store are cluster-wide and idempotent).
 * The External Secrets key the template is given is that of an identity
 * made first as the platform team would: allowed `logging/<name>/*` only.
 */
export async function bootstrapEnvironment(
  world: BootstrapWorld,
  values: Omit<SkeletonValues, 'cluster' | 'region' | 'repoUrl'>,
): Promise<BootstrappedEnvironment> {
  const { sandbox, registry, aws } = world;
  const { name } = values;
  const region = sandbox.aws.region;
  const bucket = values.bucket ?? `${name}-loki`;
  // The claim, as the requester (one environment per cluster: a test with
  // several environments gives each its own cluster name).
  await world.records.api.claim(
    {
      name,
      tier: values.tier,
      cluster: 'sandbox',
      owner: values.owner ?? 'group:default/platform-team',
      region,
      bucket,
    },
    { credentials: undefined as any },
  );
  const workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
  await renderSkeleton(workspace, {
    cluster: 'sandbox',
    region: sandbox.aws.region,
    repoUrl: sandbox.git.url,
    ...values,
  });
  cpSync(
    join(workspace, 'environments', name),
    join(world.clone, 'environments', name),
    { recursive: true },
  );
  const revision = await world.push(`Add logging environment ${name}`);

  const secretName = values.secretName ?? `logging/${name}/loki-s3`;
  await ensureLokiBucket(aws, { bucket, environment: name });
  await ensureLokiIamUser(aws, { environment: name, bucket, secretName });
  await ensureLokiSecret(aws, { name: secretName, environment: name, bucket });

  const externalSecrets = await createExternalSecretsIdentity(sandbox, {
    environment: name,
  });
  const ctx = (input: any) => quietContext(input, workspace, externalSecrets);
  const deps = {
    clusters: registry,
    records: world.records.api,
    gitops: { repoUrl: sandbox.git.url, branch: 'main' },
  };
  await createEnsureOperatorsAction(deps).handler(
    ctx({ environment: name, cluster: 'sandbox', timeoutSeconds: 60 }),
  );
  await createApplyClusterCredentialsAction(deps).handler(
    ctx({ environment: name, cluster: 'sandbox' }),
  );
  await createEnsureSecretStoreAction(deps).handler(
    ctx({
      environment: name,
      cluster: 'sandbox',
      manifest: `environments/${name}/bootstrap/cluster-secret-store.yaml`,
      timeoutSeconds: 30,
    }),
  );
  await createRegisterArgoCdAction(deps).handler(
    ctx({
      environment: name,
      cluster: 'sandbox',
      manifests: [
        `environments/${name}/argocd/appproject.yaml`,
        `environments/${name}/argocd/applications.yaml`,
      ],
    }),
  );

  // Argo CD compares new Applications within moments; tests look after that.
  const deadline = Date.now() + 30_000;
  for (const app of ['infrastructure', 'forwarder']) {
    while (
      !(
        sandbox.store.get({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          namespace: 'openshift-gitops',
          name: `${name}-logging-${app}`,
        }) as any
      )?.status?.sync?.status
    ) {
      if (Date.now() > deadline) {
        throw new Error(`Argo CD never compared ${name}-logging-${app}`);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  }

  const entity: Entity = yaml.parse(
    readFileSync(
      join(workspace, 'environments', name, 'catalog-info.yaml'),
      'utf8',
    ),
  );
  return { entity, revision, externalSecrets };
}

/**
 * Copies the records the world's bootstraps wrote into another database of
 * the plugin (e.g. the file a backend in another process opens).
 */
export async function copyRecords(world: BootstrapWorld, knex: Knex) {
  const target = await DatabaseEnvironmentRecordsStore.create({
    database: mockServices.database({ knex, migrations: { skip: false } }),
  });
  for (const record of await world.records.records.list()) {
    const { createdAt: _c, updatedAt: _u, ...rest } = record;
    await target.create(rest);
  }
}

/** Appends a line to a file of the clone (a new commit for Argo CD to see). */
export function touch(world: BootstrapWorld, path: string, line: string) {
  const file = join(world.clone, path);
  writeFileSync(file, `${readFileSync(file, 'utf8')}${line}\n`);
}

/**
 * Reads a Secrets Manager secret's value straight from the sandbox's moto
 * (its JSON protocol; moto does not check signatures), to know what must
 * never show up anywhere else.
 */
export async function readSecretValue(
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
  if (response.status !== 200) {
    throw new Error(`moto answered ${response.status} for ${secretId}`);
  }
  return JSON.parse((await response.json()).SecretString);
}
