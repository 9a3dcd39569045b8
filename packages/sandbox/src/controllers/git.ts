import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Options of {@link startGitServer}. */
export interface GitServerOptions {
  /** Directory holding the bare repository `gitops.git` (created if absent). */
  dataDir: string;
  /** The password every client must present (HTTP Basic; any user name). */
  token: string;
  /** Listen address; `127.0.0.1` by default. */
  host?: string;
  /** Listen port; a free port by default. */
  port?: number;
}

/** A running git server. */
export interface GitServer {
  /** URL of the repository, `http://<host>:<port>/gitops.git`. */
  url: string;
  /** Path of the bare repository on disk. */
  repoDir: string;
  close(): Promise<void>;
}

/** Name of the one repository the sandbox serves. */
export const GITOPS_REPO_NAME = 'gitops.git';

/**
 * Environment for git child processes: no system or user configuration, so
 * a developer's `~/.gitconfig` (hooks, signing, templates) cannot change
 * what the sandbox does, and a fixed identity for the commits it makes.
 */
export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // The data dir may belong to another user (a mounted state dir).
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'safe.directory',
    GIT_CONFIG_VALUE_0: '*',
    GIT_AUTHOR_NAME: 'Sandbox',
    GIT_AUTHOR_EMAIL: 'sandbox@localhost',
    GIT_COMMITTER_NAME: 'Sandbox',
    GIT_COMMITTER_EMAIL: 'sandbox@localhost',
    ...extra,
  };
}

/** Runs git and resolves with its stdout; rejects with stderr in the message. */
export function runGit(
  args: string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        env: gitEnv(options.env),
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const e = new Error(
            `git ${args[0]} failed: ${String(stderr).trim() || error.message}`,
          );
          (e as Error & { exitCode?: unknown }).exitCode = error.code;
          reject(e);
        } else resolve(String(stdout));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/**
 * Creates the bare repository with one commit on `main` (a README), so that
 * clones have a branch to check out and Applications a revision to resolve.
 */
async function initRepository(repoDir: string) {
  await runGit(['init', '--quiet', '--bare', '--initial-branch=main', repoDir]);
  const gitDir = ['--git-dir', repoDir];
  const blob = (
    await runGit([...gitDir, 'hash-object', '-w', '--stdin'], {
      input:
        '# GitOps repository\n\nServed by the sandbox git server. Argo CD Applications point here.\n',
    })
  ).trim();
  const tree = (
    await runGit([...gitDir, 'mktree'], {
      input: `100644 blob ${blob}\tREADME.md\n`,
    })
  ).trim();
  const commit = (
    await runGit([...gitDir, 'commit-tree', tree, '-m', 'Initial commit'])
  ).trim();
  await runGit([...gitDir, 'update-ref', 'refs/heads/main', commit]);
}

function unauthorized(res: ServerResponse) {
  res.writeHead(401, {
    'WWW-Authenticate': 'Basic realm="sandbox git"',
    'Content-Type': 'text/plain',
  });
  res.end('Authentication required\n');
}

/** The user name of a request whose Basic password is the token, else undefined. */
function authenticate(req: IncomingMessage, token: string): string | undefined {
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+(.+)$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  const user = decoded.slice(0, i);
  const password = decoded.slice(i + 1);
  return password === token ? user || 'git' : undefined;
}

/**
 * Serves `<ref>/<path>` of the repository: the ref is a branch or a commit
 * (no slashes), the path a file in its tree.
 */
function serveRaw(repoDir: string, refAndPath: string, res: ServerResponse) {
  const slash = refAndPath.indexOf('/');
  const ref = slash < 0 ? '' : refAndPath.slice(0, slash);
  const file = slash < 0 ? '' : refAndPath.slice(slash + 1);
  const safe =
    /^[A-Za-z0-9._-]+$/.test(ref) &&
    !ref.startsWith('-') &&
    file.length > 0 &&
    !file.split('/').some(part => part === '' || part === '.' || part === '..');
  if (!safe) {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end('expected /raw/<branch-or-commit>/<path>\n');
    return;
  }
  execFile(
    'git',
    ['--git-dir', repoDir, 'cat-file', 'blob', `${ref}:${file}`],
    { env: gitEnv(), encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
    (error, stdout) => {
      if (error) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end(`${ref}:${file} not found\n`);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(stdout);
    },
  );
}

/**
 * Serves the request through `git http-backend` (CGI): the smart HTTP
 * protocol git clients speak, fetch and push alike.
 */
function serveCgi(
  req: IncomingMessage,
  res: ServerResponse,
  projectRoot: string,
  user: string,
  children: Set<ReturnType<typeof spawn>>,
) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const child = spawn('git', ['http-backend'], {
    env: gitEnv({
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: req.headers['content-length'] ?? '',
      // http-backend only accepts pushes from an authenticated user.
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      // Clients gzip large request bodies and negotiate protocol v2.
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      SERVER_PROTOCOL: 'HTTP/1.1',
    }),
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});

  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf('\r\n\r\n');
    let sepLength = 4;
    if (end < 0) {
      end = head.indexOf('\n\n');
      sepLength = 2;
    }
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head
      .subarray(0, end)
      .toString('latin1')
      .split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 200;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + sepLength));
  });
  let stderr = '';
  child.stderr.on('data', d => {
    stderr += String(d);
  });
  child.on('close', code => {
    if (!headersDone) {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
      }
      res.end(`git http-backend failed (${code}): ${stderr}`);
      return;
    }
    res.end();
  });
  child.on('error', err => {
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end(String(err));
  });
}

/**
 * Starts a git server for the GitOps repository: the bare repository
 * `<dataDir>/gitops.git` (created with an initial commit on `main` when
 * absent) served over git's smart HTTP protocol by `git http-backend`, with
 * HTTP Basic authentication whose password is `token`. Clients clone, fetch
 * and push with any git client, e.g.
 * `git clone http://x:<token>@127.0.0.1:<port>/gitops.git`.
 */
export async function startGitServer(
  options: GitServerOptions,
): Promise<GitServer> {
  const host = options.host ?? '127.0.0.1';
  mkdirSync(options.dataDir, { recursive: true });
  const repoDir = join(options.dataDir, GITOPS_REPO_NAME);
  if (!existsSync(join(repoDir, 'HEAD'))) await initRepository(repoDir);
  // Clients may push; http-backend refuses receive-pack unless enabled.
  await runGit(['--git-dir', repoDir, 'config', 'http.receivepack', 'true']);

  const children = new Set<ReturnType<typeof spawn>>();
  const rawPrefix = `/${GITOPS_REPO_NAME}/raw/`;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path.startsWith(rawPrefix)) {
      // Read-only file access, like a forge's raw URLs, so Backstage's URL
      // reader can register entities from the repository (it sends no
      // credentials to arbitrary hosts). The sandbox listens on loopback.
      serveRaw(repoDir, decodeURIComponent(path.slice(rawPrefix.length)), res);
      return;
    }
    const user = authenticate(req, options.token);
    if (!user) {
      req.resume();
      unauthorized(res);
      return;
    }
    serveCgi(req, res, options.dataDir, user, children);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/${GITOPS_REPO_NAME}`,
    repoDir,
    close: () =>
      new Promise<void>(resolve => {
        for (const child of children) child.kill();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
