/**
 * The sandbox's Argo CD repo server: resolves revisions of the GitOps
 * repository and renders an Application source (Kustomize or a directory of
 * YAML) at a commit into Kubernetes objects.
 */
import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeObject } from '../../kube/types';
import { ApplicationSource } from './types';
import { gitEnv, runGit } from '../git';
import { globMatch } from './project';

/**
 * A manifest generation failure; `message` is what follows
 * `rpc error: code = Unknown desc = ` in Argo CD's ComparisonError.
 */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** Rendered manifests of one source at one commit. */
export interface RenderResult {
  objects: KubeObject[];
  sourceType: 'Kustomize' | 'Directory';
}

const KUSTOMIZATION_FILES = [
  'kustomization.yaml',
  'kustomization.yml',
  'Kustomization',
];

function normalizeRepoURL(url: string) {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/^(\w+:\/\/)[^@/]+@/, '$1')
    .toLowerCase();
}

function exec(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { ...options, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            Object.assign(error, {
              stderr: String(stderr),
              stdout: String(stdout),
            }),
          );
        } else {
          resolvePromise({ stdout: String(stdout), stderr: String(stderr) });
        }
      },
    );
  });
}

/** Extracts the tree of a commit into `dir` (`git archive | tar -x`). */
function exportTree(repoDir: string, sha: string, dir: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const archive = spawn(
      'git',
      ['--git-dir', repoDir, 'archive', '--format=tar', sha],
      {
        env: gitEnv(),
      },
    );
    const tar = spawn('tar', ['-x', '-C', dir]);
    archive.stdout.pipe(tar.stdin);
    let stderr = '';
    archive.stderr.on('data', d => {
      stderr += String(d);
    });
    tar.stderr.on('data', d => {
      stderr += String(d);
    });
    let archiveCode: number | null = null;
    archive.on('close', code => {
      archiveCode = code;
    });
    archive.on('error', reject);
    tar.on('error', reject);
    tar.on('close', code => {
      if (code === 0 && archiveCode === 0) resolvePromise();
      else
        reject(new RenderError(`failed to check out ${sha}: ${stderr.trim()}`));
    });
  });
}

/** Parses YAML (all documents) into objects, unwrapping `List` kinds. */
export function parseManifests(text: string, file: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new RenderError(
        `Failed to unmarshal "${file}": ${doc.errors[0].message}`,
      );
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new RenderError(
        `Failed to unmarshal "${file}": error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${
          Array.isArray(value) ? 'array' : typeof value
        } into Go value of type map[string]interface {}`,
      );
    }
    const obj = value as KubeObject;
    if (!obj.kind) {
      throw new RenderError(
        `Failed to unmarshal "${file}": Object 'Kind' is missing in '${JSON.stringify(
          obj,
        )}'`,
      );
    }
    if (!obj.apiVersion) {
      throw new RenderError(
        `Failed to unmarshal "${file}": Object 'apiVersion' is missing in '${JSON.stringify(
          obj,
        )}'`,
      );
    }
    if (obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      for (const item of obj.items as KubeObject[]) out.push(item);
    } else {
      out.push(obj);
    }
  }
  for (const o of out) o.metadata ??= { name: '' };
  return out;
}

function listManifestFiles(
  dir: string,
  root: string,
  source: ApplicationSource,
): string[] {
  const recurse = Boolean(source.directory?.recurse);
  const include = source.directory?.include;
  const exclude = source.directory?.exclude;
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) {
      if (recurse && !name.startsWith('.')) {
        files.push(...listManifestFiles(path, root, source));
      }
      continue;
    }
    if (!/\.(ya?ml|json)$/.test(name)) continue;
    const rel = relative(root, path);
    const matches = (pattern?: string) =>
      Boolean(pattern) &&
      (pattern!.startsWith('{') ? pattern! : `{${pattern}}`)
        .slice(1, -1)
        .split(',')
        .some(p => globMatch(p.trim(), rel) || globMatch(p.trim(), name));
    if (include && !matches(include)) continue;
    if (exclude && matches(exclude)) continue;
    files.push(path);
  }
  return files;
}

/**
 * Resolves and renders Application sources pointing at the sandbox's GitOps
 * repository. Rendered manifests are cached by commit and source, as Argo
 * CD's repo server caches them by revision (a hard refresh bypasses it).
 */
export class ManifestRenderer {
  private readonly cache = new Map<string, Promise<RenderResult>>();
  private readonly revisions = new Map<string, string>();
  private revisionsSignature = '';

  constructor(
    private readonly repo: { url: string; repoDir: string },
    private readonly kubectl: string = 'kubectl',
  ) {}

  /** Whether a `repoURL` names the sandbox's repository (with or without `.git` / `/`). */
  servesRepo(repoURL: string | undefined): boolean {
    return (
      Boolean(repoURL) &&
      normalizeRepoURL(repoURL!) === normalizeRepoURL(this.repo.url)
    );
  }

  /** Throws the ComparisonError text for a repository the sandbox does not serve. */
  checkRepo(repoURL: string | undefined) {
    if (!this.servesRepo(repoURL)) {
      throw new RenderError(
        `failed to list refs: repository not accessible: ${
          repoURL || '(empty repoURL)'
        }: only ${this.repo.url} is reachable from the sandbox`,
      );
    }
  }

  /**
   * Resolves a revision (HEAD or empty, a branch, a tag, a full or short
   * commit SHA) to a commit SHA, as the repo server's `ResolveRevision`.
   */
  async resolveRevision(revision: string | undefined): Promise<string> {
    const rev = (revision ?? '').trim() || 'HEAD';
    if (rev.startsWith('-') || /[\s\0]|\.\./.test(rev)) {
      throw new RenderError(`Unable to resolve '${rev}' to a commit SHA`);
    }
    // Every refresh resolves the target revision; spawning git each time
    // is wasted while no ref has moved (a push rewrites a ref file).
    const signature = this.refsSignature();
    if (signature !== this.revisionsSignature) {
      this.revisions.clear();
      this.revisionsSignature = signature;
    }
    const cached = this.revisions.get(rev);
    if (cached) return cached;
    const sha = await this.revParse(rev);
    if (this.refsSignature() === signature) this.revisions.set(rev, sha);
    return sha;
  }

  /** Modification times of HEAD, packed-refs and every ref file. */
  private refsSignature(): string {
    const parts: string[] = [];
    const add = (path: string) => {
      try {
        const st = statSync(path);
        parts.push(`${path}:${st.mtimeMs}:${st.size}`);
        if (st.isDirectory()) {
          for (const name of readdirSync(path)) add(join(path, name));
        }
      } catch {
        parts.push(`${path}:-`);
      }
    };
    add(join(this.repo.repoDir, 'HEAD'));
    add(join(this.repo.repoDir, 'packed-refs'));
    add(join(this.repo.repoDir, 'refs'));
    return parts.join('|');
  }

  private async revParse(rev: string): Promise<string> {
    try {
      const out = await runGit([
        '--git-dir',
        this.repo.repoDir,
        'rev-parse',
        '--verify',
        '--quiet',
        '--end-of-options',
        `${rev}^{commit}`,
      ]);
      const sha = out.trim();
      if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(sha);
      return sha;
    } catch {
      throw new RenderError(`Unable to resolve '${rev}' to a commit SHA`);
    }
  }

  /**
   * Renders `source` at commit `sha`: `kubectl kustomize` when the path has
   * a kustomization file, else the YAML/JSON files of the directory.
   * `hard` drops the cached result first.
   */
  render(
    sha: string,
    source: ApplicationSource,
    options: { hard?: boolean } = {},
  ): Promise<RenderResult> {
    const key = JSON.stringify([
      sha,
      source.path ?? '',
      source.directory ?? null,
    ]);
    if (options.hard) this.cache.delete(key);
    let result = this.cache.get(key);
    if (!result) {
      result = this.renderUncached(sha, source);
      this.cache.set(key, result);
      // Failures are not cached: the next refresh retries.
      result.catch(() => this.cache.delete(key));
      if (this.cache.size > 500) {
        this.cache.delete(this.cache.keys().next().value as string);
      }
    }
    return result.then(r => ({
      sourceType: r.sourceType,
      objects: structuredClone(r.objects),
    }));
  }

  private async renderUncached(
    sha: string,
    source: ApplicationSource,
  ): Promise<RenderResult> {
    if (source.chart) {
      throw new RenderError(
        'Helm chart sources are not supported by the sandbox',
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-argocd-'));
    try {
      await exportTree(this.repo.repoDir, sha, dir);
      const path = (source.path ?? '').replace(/^\.?\/+/, '') || '.';
      const appDir = resolve(dir, path);
      if (relative(dir, appDir).startsWith('..')) {
        throw new RenderError(`${source.path}: app path is outside repository`);
      }
      if (!existsSync(appDir)) {
        throw new RenderError(`${source.path}: app path does not exist`);
      }
      if (!statSync(appDir).isDirectory()) {
        throw new RenderError(`${source.path}: app path is not a directory`);
      }
      if (KUSTOMIZATION_FILES.some(f => existsSync(join(appDir, f)))) {
        let stdout: string;
        try {
          ({ stdout } = await exec(this.kubectl, ['kustomize', appDir], {
            timeout: 60_000,
            env: { PATH: process.env.PATH, HOME: dir },
          }));
        } catch (e) {
          const err = e as Error & { stderr?: string; code?: unknown };
          throw new RenderError(
            `\`kustomize build ${path}\` failed exit status ${
              typeof err.code === 'number' ? err.code : 1
            }: ${(err.stderr ?? err.message).trim()}`,
          );
        }
        return {
          sourceType: 'Kustomize',
          objects: parseManifests(stdout, `${path} (kustomize build)`),
        };
      }
      const objects: KubeObject[] = [];
      for (const file of listManifestFiles(appDir, appDir, source)) {
        const rel = relative(dir, file);
        if (file.endsWith('.json')) {
          const text = readFileSync(file, 'utf8');
          if (!text.trim()) continue;
          objects.push(...parseManifests(text, rel));
        } else {
          objects.push(...parseManifests(readFileSync(file, 'utf8'), rel));
        }
      }
      return { sourceType: 'Directory', objects };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
