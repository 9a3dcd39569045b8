import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ApprovalState,
  SyncRun,
  Tier,
} from '@internal/plugin-logging-environments-common';
import {
  AwsClientFactory,
  ClusterClient,
  ConfigClusterRegistry,
  ensureClusterCredentials,
  ensureClusterSecretStore,
  ensureLokiSecret,
  registerArgoApplications,
} from '@internal/plugin-logging-environments-node';
// The sync services are driven directly against the sandbox, which only
// this package may import (no plugin imports the sandbox).
import {
  currentRevisionOf,
  DatabaseLoggingEnvironmentsStore,
  testEnvironment,
} from '@internal/plugin-logging-environments-backend/testUtils';
import type {
  ApprovalService,
  Environment,
  LoggingEnvironmentsStore,
  RevisionSource,
} from '@internal/plugin-logging-environments-backend/testUtils';
import { Sandbox, startSandbox, seedSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../gitops/__testUtils__/kustomize';
import { renderSkeleton } from '../../gitops/__testUtils__/render';

const run = promisify(execFile);

/** Runs git with a fixed identity (CI machines have none). */
async function git(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await run(
    'git',
    [
      '-c',
      'user.name=sync-test',
      '-c',
      'user.email=sync-test@example.com',
      ...args,
    ],
    { cwd },
  );
  return stdout.trim();
}

/**
 * The approval gate as the test sets it (the approval service is not under
 * test here): bound to the current revision, complete once the test
 * approved exactly that revision (a newer commit voids it).
 */
export class TestApprovals implements ApprovalService {
  private readonly approved = new Map<string, string>();

  constructor(private readonly revisions: RevisionSource) {}

  approve(environment: Environment, revision: string) {
    this.approved.set(environment.entityRef, revision);
  }

  async state(environment: Environment): Promise<ApprovalState> {
    const { revision } = await this.revisions.current(environment);
    const approved =
      revision !== undefined &&
      this.approved.get(environment.entityRef) === revision;
    const required = environment.policy.requiredApprovals.map(r => ({
      role: r.role,
      title: r.title,
      groups: [r.group],
      ...(approved
        ? {
            approval: {
              id: `${r.role}-approval`,
              decision: 'approve' as const,
              role: r.role,
              actor: 'user:default/approver',
              comment: 'ok',
              revision: revision!,
              createdAt: new Date().toISOString(),
            },
          }
        : {}),
    }));
    return {
      revision,
      required,
      decisions: [],
      complete: approved || (revision !== undefined && required.length === 0),
    };
  }

  async availability(): Promise<never> {
    throw new Error('not used');
  }

  async view(): Promise<never> {
    throw new Error('not used');
  }

  async decide(): Promise<never> {
    throw new Error('not used');
  }

  async pendingReview(): Promise<never> {
    throw new Error('not used');
  }

  async voidStale(): Promise<never> {
    throw new Error('not used');
  }
}

/**
 * A sandbox (fast profile) seeded with this repository's `manifests/` under
 * `platform/` and the Argo CD health checks, plus what a test of the sync
 * orchestration needs: cluster registries (with and without the Argo CD API),
 * a store, and environments bootstrapped the way the template leaves them.
 */
export async function startSyncHarness(options: {
  /** Created while the test file loads (it registers jest hooks). */
  databases: TestDatabases;
}) {
  const sandbox: Sandbox = await startSandbox({
    profile: 'fast',
    // SYNC_TEST_LOG=1 shows what the simulated operators and Argo CD do.
    log: process.env.SYNC_TEST_LOG
      ? line => process.stderr.write(`sandbox: ${line}\n`)
      : undefined,
  });
  const manifestsDir = join(REPO_ROOT, 'manifests');
  // The sync tests register Applications without the bootstrap, so the
  // health checks the bootstrap would have installed come with the seed.
  await seedSandbox(sandbox, { manifestsDir, argoCdHealthChecks: true });
  const dir = mkdtempSync(join(tmpdir(), 'sync-sandbox-'));
  await sandbox.writeFiles(dir);
  const cluster = {
    name: 'sandbox',
    kubeconfig: join(dir, 'kubeconfig'),
    argocdUrl: sandbox.argocd.url,
  };
  /** Syncs through the Argo CD API (its RBAC and sync windows apply). */
  const clusters = ConfigClusterRegistry.fromConfig(
    new ConfigReader({
      loggingEnvironments: {
        clusters: [{ ...cluster, argocdToken: sandbox.argocd.token }],
      },
    }),
  );
  /** No Argo CD token: syncs by setting `.operation` on the Application. */
  const clustersWithoutApi = ConfigClusterRegistry.fromConfig(
    new ConfigReader({ loggingEnvironments: { clusters: [cluster] } }),
  );
  const kube = ClusterClient.fromKubeConfig(clusters.kubeConfig('sandbox'));
  const aws = AwsClientFactory.fromConfig(
    new ConfigReader({
      aws: {
        mainAccount: {
          accessKeyId: sandbox.aws.accessKeyId,
          secretAccessKey: sandbox.aws.secretAccessKey,
        },
      },
      loggingEnvironments: { aws: { endpoint: sandbox.aws.url } },
    }),
  );
  const workspace = mkdtempSync(join(tmpdir(), 'sync-workspace-'));

  const newStore = async (): Promise<LoggingEnvironmentsStore> => {
    const knex = await options.databases.init('SQLITE_3');
    return DatabaseLoggingEnvironmentsStore.create({
      database: mockServices.database({ knex, migrations: { skip: false } }),
    });
  };

  const repoUrl = () => {
    const url = new URL(sandbox.git.url);
    url.username = 'sync-test';
    url.password = sandbox.kube.token;
    return url.toString();
  };

  /** The commit `main` points at (what the Applications' targetRevision resolves to). */
  const head = () =>
    git(['--git-dir', sandbox.git.repoDir, 'rev-parse', 'main']);

  /** Commits files (null deletes) on main through the git server; returns the commit. */
  const push = async (
    files: Record<string, string | null>,
    message: string,
    copyDirs: string[] = [],
  ): Promise<string> => {
    const clone = mkdtempSync(join(tmpdir(), 'sync-clone-'));
    try {
      await git(['clone', '--quiet', repoUrl(), clone]);
      for (const path of copyDirs) {
        cpSync(join(workspace, path), join(clone, path), { recursive: true });
      }
      for (const [path, content] of Object.entries(files)) {
        if (content === null) rmSync(join(clone, path), { force: true });
        else {
          mkdirSync(dirname(join(clone, path)), { recursive: true });
          writeFileSync(join(clone, path), content);
        }
      }
      await git(['add', '--all'], clone);
      await git(['commit', '--quiet', '--allow-empty', '-m', message], clone);
      await git(['push', '--quiet', 'origin', 'HEAD:main'], clone);
      return await git(['rev-parse', 'HEAD'], clone);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  };

  const readObjects = async (path: string) =>
    parseAllDocuments(await readFile(join(workspace, path), 'utf8'))
      .map(d => d.toJS())
      .filter(Boolean);

  /**
   * Phase 1 of an environment, as the bootstrap leaves it: the bucket, the
   * Secrets Manager secret (with the sandbox's admin key, or without any key
   * when `brokenStorage`: Loki then reports the secret invalid), the
   * credentials Secret, a Ready ClusterSecretStore, the logging namespace,
   * the environment committed to the GitOps repository, and its AppProject
   * and Applications registered, not synced.
   */
  const prepareEnvironment = async (
    name: string,
    tier: Tier,
    environmentOptions: { brokenStorage?: boolean } = {},
  ): Promise<Environment> => {
    const region = sandbox.aws.region;
    const bucket = `${name}-loki`;
    // A plain bucket: the bootstrap's TLS-only policy makes moto refuse
    // every object call (see the sandbox README), Loki's probe included.
    const created = await fetch(`${sandbox.aws.url}/${bucket}`, {
      method: 'PUT',
    });
    if (!created.ok && created.status !== 409) {
      throw new Error(`CreateBucket ${bucket}: ${created.status}`);
    }
    const clients = await aws.clients(region);
    await ensureLokiSecret(clients, {
      name: `logging/${name}/loki-s3`,
      environment: name,
      bucket,
      ...(environmentOptions.brokenStorage
        ? {}
        : {
            credentials: {
              accessKeyId: sandbox.aws.accessKeyId,
              secretAccessKey: sandbox.aws.secretAccessKey,
            },
          }),
    });
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'openshift-logging' },
    });
    // Several environments share the one sandbox cluster here (a real
    // cluster has one): each takes over the cluster-wide credentials and
    // store, as a rotation would.
    await ensureClusterCredentials(
      kube,
      {
        accessKeyId: sandbox.aws.accessKeyId,
        secretAccessKey: sandbox.aws.secretAccessKey,
      },
      { rotate: true },
    );

    await renderSkeleton(workspace, {
      name,
      tier,
      cluster: 'sandbox',
      region,
      repoUrl: sandbox.git.url,
    });
    const path = `environments/${name}`;
    const [store] = await readObjects(
      `${path}/bootstrap/cluster-secret-store.yaml`,
    );
    await ensureClusterSecretStore(kube, store, {
      timeoutMs: 20_000,
      rotate: true,
    });
    await push({}, `${name}: new ${tier} environment`, [path]);
    await registerArgoApplications(
      kube,
      [
        ...(await readObjects(`${path}/argocd/appproject.yaml`)),
        ...(await readObjects(`${path}/argocd/applications.yaml`)),
      ],
      { tier },
    );

    // The environment as its record would give it.
    return testEnvironment({
      name,
      tier,
      region,
      bucket,
      gitops: { repoUrl: sandbox.git.url, branch: 'main' },
    });
  };

  /** An Application as the cluster holds it (read from the store: not counted). */
  const app = (name: string): any =>
    sandbox.store.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      namespace: 'openshift-gitops',
      name,
    });

  /**
   * The revision `main` resolves to, as the environment's Applications
   * would sync it, with the binding and problems of the Applications as
   * the cluster holds them.
   */
  const revisions: RevisionSource = {
    current: async environment =>
      currentRevisionOf(
        environment,
        {
          infrastructure: app(environment.applications.infrastructure),
          forwarder: app(environment.applications.forwarder),
        },
        await head(),
      ),
  };

  /** Back to an empty cluster and AWS (the GitOps repository stays), seeded again. */
  const reset = async () => {
    await sandbox.reset();
    await seedSandbox(sandbox, { manifestsDir, argoCdHealthChecks: true });
  };

  return {
    sandbox,
    clusters,
    clustersWithoutApi,
    kube,
    newStore,
    head,
    push,
    prepareEnvironment,
    app,
    revisions,
    reset,
    workspace,
    async stop() {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

export type SyncHarness = Awaited<ReturnType<typeof startSyncHarness>>;

/**
 * What the operations of the Applications did, in order, from the sandbox
 * store's watch events (delivered synchronously: no step is missed). For
 * each operation whose `initiatedBy` matches: `<app> started`, every
 * resource when it first shows up in the operation's `syncResult`
 * (`<app> <Kind>/<name>`; a hook again whenever its phase changes, as
 * `<app> <Kind>/<name> <phase>`), and `<app> <phase>` when it ends.
 */
export function recordOperations(
  sandbox: Sandbox,
  matches: (initiatedBy: { username?: string; automated?: boolean }) => boolean,
) {
  const timeline: string[] = [];
  const active = new Map<string, Map<string, string>>();
  const stop = sandbox.store.watch(
    'argoproj.io/v1alpha1',
    'Application',
    event => {
      const app = event.object as any;
      const name: string = app.metadata.name;
      const state = app.status?.operationState;
      if (!state || !matches(state.operation?.initiatedBy ?? {})) return;
      let seen = active.get(name);
      if (!seen) {
        if (['Succeeded', 'Failed', 'Error'].includes(state.phase)) return;
        seen = new Map();
        active.set(name, seen);
        timeline.push(`${name} started`);
      }
      for (const r of state.syncResult?.resources ?? []) {
        const key = `${r.kind}/${r.name}`;
        const phase = r.hookType ? r.hookPhase ?? '' : '';
        if (seen.get(key) === phase) continue;
        seen.set(key, phase);
        timeline.push(`${name} ${key}${phase ? ` ${phase}` : ''}`);
      }
      if (['Succeeded', 'Failed', 'Error'].includes(state.phase)) {
        active.delete(name);
        timeline.push(`${name} ${state.phase}`);
      }
    },
  );
  return { timeline, stop };
}

const FINAL = new Set(['succeeded', 'failed', 'blocked']);

/**
 * Ticks the service (as the scheduler would) until the environment's latest
 * run satisfies `until` (default: a final state). The deadline only guards
 * against a hang; nothing is asserted about time.
 */
export async function tickUntil(
  service: {
    tick(): Promise<void>;
    latest(e: Environment): Promise<SyncRun | undefined>;
  },
  environment: Environment,
  until: (run: SyncRun | undefined) => boolean = r =>
    r !== undefined && FINAL.has(r.state),
  deadlineMs = 40_000,
): Promise<SyncRun> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    await service.tick();
    const latest = await service.latest(environment);
    if (until(latest)) return latest!;
    if (Date.now() > deadline) {
      throw new Error(
        `gave up waiting; the run is ${latest?.state}: ${latest?.message}`,
      );
    }
    await new Promise(r => setTimeout(r, 100));
  }
}
