/**
 * The whole sandbox (Kubernetes API with the simulated operators, Argo CD,
 * the GitOps repository, AWS through moto behind the fault-injecting
 * proxy), seeded as `yarn sandbox` seeds it, with the portal's
 * configuration for it and the backend's trusted records: what the
 * checklist and bootstrap scenarios run on.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { ConfigReader } from '@backstage/config';
import {
  AwsClientFactory,
  ConfigClusterRegistry,
} from '@internal/plugin-logging-environments-node';
import {
  Sandbox,
  portalConfig,
  seedSandbox,
  startSandbox,
} from '@internal/sandbox';
// The backend's own helper for running bootstrap actions outside a backend
// (its real record service on SQLite), as packages/backend's tests use it.
import { localRecords } from '@internal/plugin-logging-environments-backend/testUtils';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, quietLogger } from './util';

/** A started, seeded sandbox and the portal's view of it. */
export interface World {
  sandbox: Sandbox;
  /** The backend configuration `yarn start` uses for the sandbox. */
  config: Record<string, any>;
  registry: ConfigClusterRegistry;
  aws: AwsClientFactory;
  /**
   * The logging-environments backend's trusted records (its record service
   * on SQLite), which the bootstrap's claim writes and every later step
   * reads; calls are made as the example org's requester, a member of
   * platform-team.
   */
  records: Awaited<ReturnType<typeof localRecords>>;
  /**
   * The access key of an External Secrets identity for `environment`, made
   * as a platform team does from the docs: an IAM user that may read only
   * `logging/<environment>/*` (what the template is given).
   */
  externalSecretsKey(
    environment: string,
    region: string,
  ): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** Latency on every AWS and Kubernetes call from now on (0: none). */
  setLatency(ms: number): void;
  /** Empties the sandbox (AWS, Kubernetes) and seeds it again, and forgets every record. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the sandbox (profile `fast`) and seeds it. */
export async function startWorld(): Promise<World> {
  const sandbox = await startSandbox({ profile: 'fast' });
  const dir = await mkdtemp(join(tmpdir(), 'bench-sandbox-'));
  try {
    await sandbox.writeFiles(dir);
    const base = portalConfig(sandbox, {
      kubeconfigPath: join(dir, 'kubeconfig'),
    }) as Record<string, any>;
    const config = {
      ...base,
      backend: { ...base.backend, baseUrl: 'http://localhost:7007' },
      loggingEnvironments: {
        ...base.loggingEnvironments,
        aws: { ...base.loggingEnvironments.aws, maxAttempts: 4 },
      },
    };
    const reader = new ConfigReader(config);
    const seed = () =>
      seedSandbox(sandbox, { manifestsDir: join(REPO_ROOT, 'manifests') });
    await seed();
    const registry = ConfigClusterRegistry.fromConfig(reader);
    const records = await localRecords({
      clusters: registry,
      gitops: {
        repoUrl: config.loggingEnvironments.gitops.repoUrl,
        branch: config.loggingEnvironments.gitops.branch,
      },
      // Its default logger is a jest mock; the benchmark runs outside jest.
      logger: quietLogger(),
    });
    const aws = AwsClientFactory.fromConfig(reader);
    return {
      sandbox,
      config,
      registry,
      aws,
      records,
      async externalSecretsKey(environment, region) {
        const { iam } = await aws.clients(region);
        const UserName = `external-secrets-${environment}`;
        const { User } = await iam.send(new CreateUserCommand({ UserName }));
        const account = /^arn:aws:iam::(\d+):/.exec(User!.Arn!)![1];
        await iam.send(
          new PutUserPolicyCommand({
            UserName,
            PolicyName: 'read-logging-secrets',
            PolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: [
                    'secretsmanager:GetSecretValue',
                    'secretsmanager:DescribeSecret',
                  ],
                  Resource: `arn:aws:secretsmanager:${region}:${account}:secret:logging/${environment}/*`,
                },
              ],
            }),
          }),
        );
        const { AccessKey } = await iam.send(
          new CreateAccessKeyCommand({ UserName }),
        );
        return {
          accessKeyId: AccessKey!.AccessKeyId!,
          secretAccessKey: AccessKey!.SecretAccessKey!,
        };
      },
      setLatency(ms) {
        sandbox.faults.clear();
        if (ms <= 0) return;
        for (const target of ['aws', 'kube'] as const) {
          sandbox.faults.add({
            id: `latency-${target}`,
            target,
            match: '*',
            action: { type: 'latency', ms },
          });
        }
      },
      async reset() {
        await sandbox.reset();
        await seed();
        await records.clear();
      },
      async stop() {
        await records.knex.destroy();
        await sandbox.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
