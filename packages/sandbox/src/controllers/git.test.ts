import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv, runGit, startGitServer } from './git';

function git(
  args: string[],
  cwd?: string,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: gitEnv() }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: String(stderr) }));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const withToken = (url: string, user: string, token: string) =>
  url.replace('http://', `http://${user}:${token}@`);

describe('startGitServer', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sandbox-git-test-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a bare repository that clients clone, commit to and push to', async () => {
    const server = await startGitServer({ dataDir, token: 's3cret' });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/gitops\.git$/);
      expect(server.repoDir).toBe(join(dataDir, 'gitops.git'));

      const work = join(dataDir, 'clone');
      await git([
        'clone',
        '-q',
        withToken(server.url, 'portal', 's3cret'),
        work,
      ]);
      const branch = (
        await git(['rev-parse', '--abbrev-ref', 'HEAD'], work)
      ).stdout.trim();
      expect(branch).toBe('main');

      writeFileSync(join(work, 'hello.yaml'), 'kind: ConfigMap\n');
      await git(['add', 'hello.yaml'], work);
      await git(['commit', '-q', '-m', 'add hello'], work);
      await git(['push', '-q', 'origin', 'main'], work);

      const pushed = (await git(['rev-parse', 'HEAD'], work)).stdout.trim();
      const onServer = (
        await runGit([
          '--git-dir',
          server.repoDir,
          'rev-parse',
          'refs/heads/main',
        ])
      ).trim();
      expect(onServer).toBe(pushed);
      const file = await runGit([
        '--git-dir',
        server.repoDir,
        'show',
        'main:hello.yaml',
      ]);
      expect(file).toBe('kind: ConfigMap\n');
    } finally {
      await server.close();
    }
  });

  it('serves files of a branch or commit read-only, and nothing else', async () => {
    const server = await startGitServer({ dataDir, token: 's3cret' });
    try {
      const readme = await fetch(`${server.url}/raw/main/README.md`);
      expect(readme.status).toBe(200);
      expect((await readme.text()).length).toBeGreaterThan(0);
      const head = (
        await runGit(['--git-dir', server.repoDir, 'rev-parse', 'main'])
      ).trim();
      expect((await fetch(`${server.url}/raw/${head}/README.md`)).status).toBe(
        200,
      );
      expect((await fetch(`${server.url}/raw/main/missing.yaml`)).status).toBe(
        404,
      );
      for (const bad of ['main/../HEAD', '-p/README.md', 'main/', 'main']) {
        expect((await fetch(`${server.url}/raw/${bad}`)).status).toBe(400);
      }
      // Writing still needs the token.
      const push = await fetch(`${server.url}/git-receive-pack`, {
        method: 'POST',
      });
      expect(push.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('refuses a wrong token and anonymous access with 401', async () => {
    const server = await startGitServer({ dataDir, token: 's3cret' });
    try {
      await expect(
        git(['ls-remote', withToken(server.url, 'portal', 'wrong')]),
      ).rejects.toMatchObject({
        stderr: expect.stringContaining('Authentication failed'),
      });

      const res = await fetch(
        `${server.url}/info/refs?service=git-upload-pack`,
      );
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);

      const ok = await fetch(
        `${server.url}/info/refs?service=git-upload-pack`,
        {
          headers: {
            Authorization: `Basic ${Buffer.from('any:s3cret').toString(
              'base64',
            )}`,
          },
        },
      );
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe(
        'application/x-git-upload-pack-advertisement',
      );
      await ok.arrayBuffer();
    } finally {
      await server.close();
    }
  });

  it('keeps an existing repository across restarts', async () => {
    const first = await startGitServer({ dataDir, token: 't' });
    const head = (
      await runGit(['--git-dir', first.repoDir, 'rev-parse', 'main'])
    ).trim();
    await first.close();
    const second = await startGitServer({ dataDir, token: 't' });
    try {
      const again = (
        await runGit(['--git-dir', second.repoDir, 'rev-parse', 'main'])
      ).trim();
      expect(again).toBe(head);
      const { stdout } = await git([
        'ls-remote',
        withToken(second.url, 'x', 't'),
      ]);
      expect(stdout).toContain(`${head}\trefs/heads/main`);
    } finally {
      await second.close();
    }
  });
});
