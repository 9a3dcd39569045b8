/**
 * Test fixtures for the Argo CD simulation: a store with the sandbox's
 * types and namespaces, a git server with a helper to commit to it, and a
 * polling wait. Used by the `argocd*.test.ts` files only.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUILTIN_TYPES, INITIAL_NAMESPACES } from '../../../kube/builtins';
import { loadCrdTypes } from '../../../kube/crds';
import { MemoryObjectStore } from '../../../kube/store';
import { KubeObject } from '../../../kube/types';
import { FaultInjector } from '../../../faults';
import { PROFILES } from '../../../profile';
import { ControllerContext } from '../../types';
import { GitServer, runGit, startGitServer } from '../../git';

/** A store holding the sandbox's types and initial namespaces. */
export function newStore(extraNamespaces: string[] = []): MemoryObjectStore {
  const store = new MemoryObjectStore([...BUILTIN_TYPES, ...loadCrdTypes()]);
  for (const name of [...INITIAL_NAMESPACES, ...extraNamespaces]) {
    store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  return store;
}

/** Polls `fn` until it returns a truthy value; throws with `what` on timeout. */
export async function waitFor<T>(
  fn: () => T | undefined | null | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${last}` : ''}`,
      );
    }
    await new Promise(r => setTimeout(r, 20));
  }
}

/** Resolves after `ms`; only for asserting that something does NOT happen. */
export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** A git server plus a work tree to commit to it directly. */
export interface GitFixture {
  server: GitServer;
  dataDir: string;
  /** Writes files (null deletes), commits them to `main`, returns the SHA. */
  commit(
    files: Record<string, string | null>,
    message?: string,
  ): Promise<string>;
  /** Creates a lightweight tag at HEAD. */
  tag(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a git server in a temporary directory with a work tree to commit from. */
export async function startGitFixture(
  token = 'git-token',
): Promise<GitFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-git-'));
  const server = await startGitServer({ dataDir, token });
  const work = join(dataDir, 'work');
  mkdirSync(work);
  const git = (args: string[]) =>
    runGit(['--git-dir', server.repoDir, '--work-tree', work, ...args]);
  await git(['checkout', '-q', '-f', 'main']);
  return {
    server,
    dataDir,
    async commit(files, message = 'update') {
      for (const [path, content] of Object.entries(files)) {
        const full = join(work, path);
        if (content === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      await git(['add', '-A']);
      await git(['commit', '-q', '--allow-empty', '-m', message]);
      return (await git(['rev-parse', 'HEAD'])).trim();
    },
    async tag(name) {
      await git(['tag', name]);
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A controller context over `store` with the fast profile. */
export function testContext(
  store: MemoryObjectStore,
  git: GitServer,
  log: string[] = [],
): ControllerContext & { git: { url: string; repoDir: string } } {
  return {
    store,
    profile: PROFILES.fast,
    aws: {
      url: 'http://127.0.0.1:1',
      region: 'us-east-1',
      adminAccessKeyId: 'test',
      adminSecretAccessKey: 'test',
    },
    faults: new FaultInjector(),
    log: line => log.push(line),
    git: { url: git.url, repoDir: git.repoDir },
  };
}

/** An AppProject allowing the sandbox repo and the given namespaces. */
export function appProject(
  name: string,
  repoURL: string,
  namespaces: string[],
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name, namespace: 'openshift-gitops' },
    spec: {
      sourceRepos: [repoURL],
      destinations: namespaces.map(namespace => ({
        server: 'https://kubernetes.default.svc',
        namespace,
      })),
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      ...extra,
    },
  };
}

/** An Application in `openshift-gitops`. */
export function application(
  name: string,
  spec: {
    project: string;
    repoURL: string;
    path: string;
    namespace: string;
    targetRevision?: string;
    automated?: Record<string, unknown>;
    syncOptions?: string[];
  },
): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'openshift-gitops' },
    spec: {
      project: spec.project,
      source: {
        repoURL: spec.repoURL,
        targetRevision: spec.targetRevision ?? 'main',
        path: spec.path,
      },
      destination: {
        server: 'https://kubernetes.default.svc',
        namespace: spec.namespace,
      },
      ...(spec.automated || spec.syncOptions
        ? {
            syncPolicy: {
              ...(spec.automated ? { automated: spec.automated } : {}),
              ...(spec.syncOptions ? { syncOptions: spec.syncOptions } : {}),
            },
          }
        : {}),
    },
  };
}
