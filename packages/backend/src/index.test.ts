/**
 * The backend as `node` runs it (src/index.ts, every plugin), outside
 * development with the repository's app-config.yaml, which configures the
 * sandbox's demo sign-in: it has to refuse to start, and exit, rather than
 * run without (or with) the password-less sign-in its configuration asks for.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { recordReliability } from './reliability/__testUtils__/summary';

const ROOT = resolve(__dirname, '../../..');

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

describe('backend entry point outside development', () => {
  jest.setTimeout(120_000);

  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'backend-entry-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  // An attack on the trust boundary (issue 13): one configuration layer
  // turning the password-less demo sign-in on outside development.
  it('exits with an error naming auth.providers.demo when the demo sign-in is configured', async () => {
    recordReliability('attacks tried', 1, 'trust boundary (sign-in)');
    const port = await freePort();
    const portConfig = join(dir, 'port.yaml');
    writeFileSync(
      portConfig,
      stringify({
        backend: { baseUrl: `http://localhost:${port}`, listen: { port } },
      }),
    );
    // What `backstage-cli package start` runs, with NODE_ENV=production.
    const child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs', {
          paths: [ROOT],
        }),
        'src/index',
        '--config',
        join(ROOT, 'app-config.yaml'),
        '--config',
        portConfig,
      ],
      {
        cwd: resolve(__dirname, '..'),
        env: {
          ...process.env,
          NODE_ENV: 'production',
          ESBK_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', d => {
      output += d;
    });
    child.stderr!.on('data', d => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    const code = await new Promise<number | null>(r =>
      child.once('exit', c => r(c)),
    );
    clearTimeout(timer);

    expect({ code, killed: child.signalCode }).toEqual({
      code: 1,
      killed: null,
    });
    expect(output).toContain('Backend startup failed: BackendStartupError');
    expect(output).toMatch(
      /Module 'demo-provider-guard' for plugin 'auth' startup failed; caused by NotAllowedError: auth\.providers\.demo is configured but NODE_ENV is "production": .*only allowed when the backend runs with NODE_ENV=development/,
    );
    recordReliability('attacks refused', 1, 'trust boundary (sign-in)');
  });
});
