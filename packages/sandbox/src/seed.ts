/**
 * What the product needs in a fresh sandbox before anyone uses it, and which
 * the bootstrap does not create on its own: `platform/` in the GitOps
 * repository. The template renders each environment as small kustomizations
 * under `environments/<env>/` that reference
 * `../../../platform/overlays/<tier>/...`. On a real cluster the platform
 * team keeps that copy of this repository's `manifests/` in the GitOps
 * repository; the sandbox commits it on start.
 *
 * The Lua health checks of LokiStack and ClusterLogForwarder are not seeded:
 * the product's bootstrap (`logging:argocd:register`) installs them, in
 * `argocd-cm` or, in OpenShift GitOps mode, in the `ArgoCD` resource. Tests
 * that register Applications without the bootstrap ask for them with
 * {@link SeedOptions.argoCdHealthChecks}.
 *
 * Idempotent: a start with unchanged manifests makes no commit (and leaves
 * `argocd-cm` untouched). Kept out of `startSandbox()`, which knows nothing
 * of this repository's layout; the CLI calls {@link seedSandbox}.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runGit } from './controllers/git';
import { MemoryObjectStore } from './kube/store';
import { KubeObject } from './kube/types';

/** Where the platform manifests go in the GitOps repository. */
export const PLATFORM_PREFIX = 'platform';

/** Field manager of the seeded `argocd-cm` keys (server-side apply). */
export const SEED_FIELD_MANAGER = 'sandbox-seed';

/** The subject of the commits that copy `manifests/` to `platform/`. */
export const PLATFORM_COMMIT_SUBJECT =
  "platform: copy of the repository's manifests/ (sandbox start)";

const PLATFORM_COMMIT_BODY = [
  "The sandbox commits the Logging Environments repository's manifests/ here",
  "on start whenever they differ from platform/, so that the environments'",
  'kustomizations (environments/<env>/{infrastructure,forwarder}) resolve',
  '../../../platform/overlays/<tier>/... . Changes made to platform/ here are',
  'replaced by the next start.',
].join('\n');

/** Result of {@link seedPlatformManifests}. */
export interface PlatformSeedResult {
  /** The branch's head after seeding. */
  commit: string;
  /** Whether a commit was made (false: `platform/` already matched). */
  changed: boolean;
}

/**
 * Makes `<prefix>/` on `branch` of the bare repository `repoDir` hold exactly
 * the files of `manifestsDir`, with one commit when they differ (none
 * otherwise). Uses git plumbing with a temporary index instead of a checkout:
 * `git add` writes the manifests' tree into the bare repository, `mktree`
 * swaps it in as the top-level `platform` entry of the branch's tree, and
 * `update-ref` moves the branch only if nobody pushed meanwhile (retried).
 * Every other path of the branch (the environments) is kept as it is.
 */
export async function seedPlatformManifests(options: {
  repoDir: string;
  manifestsDir: string;
  branch?: string;
  prefix?: string;
}): Promise<PlatformSeedResult> {
  const { repoDir, manifestsDir } = options;
  const branch = options.branch ?? 'main';
  const prefix = options.prefix ?? PLATFORM_PREFIX;
  const ref = `refs/heads/${branch}`;
  const tmp = await mkdtemp(join(tmpdir(), 'sandbox-seed-'));
  try {
    const git = (args: string[], input?: string) =>
      runGit(['--git-dir', repoDir, ...args], {
        cwd: manifestsDir,
        input,
        env: { GIT_INDEX_FILE: join(tmp, 'index') },
      }).then(out => out.trim());

    // The manifests as they are on disk (uncommitted edits included, so a
    // developer sees their change in the sandbox on the next start).
    await git(['--work-tree', manifestsDir, 'add', '--all', '--', '.']);
    const manifestsTree = await git(['write-tree']);

    for (let attempt = 1; ; attempt++) {
      const parent = await git(['rev-parse', '--verify', '--quiet', ref]);
      const current = await git([
        'rev-parse',
        '--verify',
        '--quiet',
        `${parent}:${prefix}`,
      ]).catch(() => '');
      if (current === manifestsTree) return { commit: parent, changed: false };

      const entries = (await git(['ls-tree', '-z', parent]))
        .split('\0')
        .filter(line => line && line.split('\t')[1] !== prefix);
      entries.push(`040000 tree ${manifestsTree}\t${prefix}`);
      const tree = await git(['mktree', '-z'], `${entries.join('\0')}\0`);
      const commit = await git([
        'commit-tree',
        tree,
        '-p',
        parent,
        '-m',
        PLATFORM_COMMIT_SUBJECT,
        '-m',
        PLATFORM_COMMIT_BODY,
      ]);
      try {
        await git(['update-ref', ref, commit, parent]);
        return { commit, changed: true };
      } catch (e) {
        // Someone pushed between rev-parse and update-ref: start over.
        if (attempt >= 3) throw e;
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** What {@link applyArgoCdHealthChecks} did to each object. */
export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

function runKubectl(args: string[], kubectl = 'kubectl'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      kubectl,
      args,
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `${kubectl} ${args[0]} failed: ${
                String(stderr).trim() || error.message
              }`,
            ),
          );
        } else resolve(String(stdout));
      },
    );
  });
}

/** Whether every key of `wanted` has the same value in `actual`. */
function containsAll(
  actual: Record<string, unknown> | undefined,
  wanted: Record<string, unknown> | undefined,
): boolean {
  return Object.entries(wanted ?? {}).every(
    ([key, value]) => actual?.[key] === value,
  );
}

/**
 * Renders `<manifestsDir>/argocd/health` with `kubectl kustomize` (the
 * `argocd-cm` ConfigMap holding the Lua health checks, in the form the
 * bootstrap applies them to upstream Argo CD) and server-side applies each
 * object into the store
 * with the {@link SEED_FIELD_MANAGER} field manager, so other keys of
 * `argocd-cm` stay. An object whose data and labels are already there is
 * not written at all (no new resourceVersion, no watch event).
 */
export async function applyArgoCdHealthChecks(options: {
  store: MemoryObjectStore;
  manifestsDir: string;
  /** Namespace for objects the kustomization leaves without one. */
  namespace?: string;
  kubectl?: string;
}): Promise<Array<{ name: string; outcome: ApplyOutcome }>> {
  const dir = join(options.manifestsDir, 'argocd', 'health');
  const rendered = await runKubectl(['kustomize', dir], options.kubectl);
  const objects = parseAllDocuments(rendered)
    .map(doc => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => Boolean(o?.kind));
  const results: Array<{ name: string; outcome: ApplyOutcome }> = [];
  for (const object of objects) {
    object.metadata.namespace ??= options.namespace ?? 'openshift-gitops';
    const existing = options.store.get({
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
    });
    const name = `${object.kind}/${object.metadata.name}`;
    const { apiVersion, kind, metadata, ...content } = object;
    const existingContent = existing as Record<string, unknown> | undefined;
    const upToDate =
      existing !== undefined &&
      containsAll(existing.metadata.labels, metadata.labels) &&
      Object.entries(content).every(([field, value]) =>
        containsAll(
          existingContent?.[field] as Record<string, unknown> | undefined,
          value as Record<string, unknown>,
        ),
      );
    if (upToDate) {
      results.push({ name, outcome: 'unchanged' });
      continue;
    }
    options.store.apply(object, {
      fieldManager: SEED_FIELD_MANAGER,
      force: true,
    });
    results.push({ name, outcome: existing ? 'updated' : 'created' });
  }
  return results;
}

/** Options of {@link seedSandbox}. */
export interface SeedOptions {
  /** This repository's `manifests/` directory. */
  manifestsDir: string;
  /** Receives one line per step (never secret values). */
  log?: (line: string) => void;
  kubectl?: string;
  /**
   * Also put the Argo CD health checks into `argocd-cm`, as the bootstrap
   * would have (default false: the bootstrap installs them). For tests that
   * register Applications without it; not in OpenShift GitOps mode, where
   * the operator would revert them.
   */
  argoCdHealthChecks?: boolean;
}

/**
 * Seeds a running sandbox: `platform/` in the GitOps repository, and with
 * {@link SeedOptions.argoCdHealthChecks} the health checks in
 * `openshift-gitops/argocd-cm`; idempotent. Returns what it did to each (no
 * health checks unless asked for).
 */
export async function seedSandbox(
  sandbox: {
    git: { repoDir: string };
    store: MemoryObjectStore;
    argoCdFlavour?: string;
  },
  options: SeedOptions,
): Promise<{
  platform: PlatformSeedResult;
  healthChecks: Array<{ name: string; outcome: ApplyOutcome }>;
}> {
  const log = options.log ?? (() => {});
  if (!existsSync(join(options.manifestsDir, 'argocd', 'health'))) {
    throw new Error(
      `${options.manifestsDir} is not the manifests directory (no argocd/health in it)`,
    );
  }
  if (
    options.argoCdHealthChecks &&
    sandbox.argoCdFlavour === 'openshift-gitops'
  ) {
    throw new Error(
      'the health checks cannot be seeded into argocd-cm in OpenShift GitOps mode (the operator reverts them): let the bootstrap install them',
    );
  }
  const [platform, healthChecks] = await Promise.all([
    seedPlatformManifests({
      repoDir: sandbox.git.repoDir,
      manifestsDir: options.manifestsDir,
    }),
    options.argoCdHealthChecks
      ? applyArgoCdHealthChecks({
          store: sandbox.store,
          manifestsDir: options.manifestsDir,
          kubectl: options.kubectl,
        })
      : [],
  ]);
  log(
    platform.changed
      ? `seed: committed ${PLATFORM_PREFIX}/ from ${
          options.manifestsDir
        } (${platform.commit.slice(0, 12)})`
      : `seed: ${PLATFORM_PREFIX}/ already matches ${options.manifestsDir}`,
  );
  for (const { name, outcome } of healthChecks) {
    log(`seed: Argo CD health checks: ${name} ${outcome}`);
  }
  return { platform, healthChecks };
}
