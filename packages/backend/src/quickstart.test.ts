/**
 * The README's quick start, end to end: `scripts/start.js` (what `yarn start`
 * runs) starts the sandbox, validates the configuration and starts this
 * backend with app-config.yaml plus the sandbox's generated
 * `.sandbox/app-config.yaml`, as real processes. The backend's HTTP API then
 * has to show that it reaches the sandbox with that configuration, and a
 * SIGINT (Ctrl-C) has to leave no process behind.
 *
 * It lives here because it is this package that `yarn start` runs. Only the
 * backend is started (`--backend-only`): the frontend dev server takes most
 * of a 2-core machine for half a minute and reads nothing of the sandbox.
 * The sandbox's ports, its root (where `.sandbox/` goes) and the backend's
 * port are free ones, so it runs next to a developer's own `yarn start`.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

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

/** Every process below `pid` (pid, ppid and state from ps). */
async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', [
    '-eo',
    'pid=,ppid=,stat=',
  ]);
  const rows = stdout
    .trim()
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .map(([p, pp, stat]) => ({ pid: Number(p), ppid: Number(pp), stat }));
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const row of rows) {
      if (row.ppid === parent && !row.stat.startsWith('Z')) {
        found.push(row.pid);
        queue.push(row.pid);
      }
    }
  }
  return found;
}

/** The pids of `pids` that still run (zombies count as gone). */
async function alive(pids: number[]): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,stat=']);
  const running = new Set(
    stdout
      .trim()
      .split('\n')
      .map(line => line.trim().split(/\s+/))
      .filter(([, stat]) => !stat.startsWith('Z'))
      .map(([p]) => Number(p)),
  );
  return pids.filter(p => running.has(p));
}

describe('yarn start (scripts/start.js) on the sandbox', () => {
  jest.setTimeout(120_000);

  let root: string;
  let child: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let baseUrl: string;
  let sandbox: any;
  let token: string;

  const tail = () => output.split('\n').slice(-40).join('\n');

  async function api(path: string, init: RequestInit = {}) {
    const res = await fetch(`${baseUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
    const body = await res.json();
    if (!res.ok) {
      throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    }
    return body;
  }

  beforeAll(async () => {
    const started = Date.now();
    root = mkdtempSync(join(tmpdir(), 'quickstart-'));
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    const portConfig = join(root, 'backend-port.yaml');
    writeFileSync(
      portConfig,
      stringify({ backend: { baseUrl, listen: { port } } }),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SANDBOX_ROOT: root,
      SANDBOX_KUBE_PORT: '0',
      SANDBOX_ARGOCD_PORT: '0',
      SANDBOX_GIT_PORT: '0',
      SANDBOX_AWS_PORT: '0',
      SANDBOX_CONTROL_PORT: '0',
    };
    // Jest sets NODE_ENV=test; from a shell it is unset and the backend
    // runner makes it `development`, which the demo sign-in requires.
    delete env.NODE_ENV;
    child = spawn(
      process.execPath,
      [
        join(ROOT, 'scripts/start.js'),
        '--backend-only',
        '--profile',
        'fast',
        '--config',
        portConfig,
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', d => {
      output += d;
    });
    child.stderr!.on('data', d => {
      output += d;
    });
    exited = new Promise(r => child.once('exit', code => r(code)));

    let gone = false;
    exited.then(() => {
      gone = true;
    });
    for (;;) {
      if (gone) throw new Error(`yarn start exited early:\n${tail()}`);
      if (Date.now() - started > 100_000) {
        throw new Error(`the backend did not answer in time:\n${tail()}`);
      }
      // Ready: every plugin has started (the health route of one plugin
      // answers before the auth plugin, say, is up).
      const res = await fetch(`${baseUrl}/.backstage/health/v1/readiness`, {
        signal: AbortSignal.timeout(2000),
      }).catch(() => undefined);
      if (res?.ok) break;
      await new Promise(r => setTimeout(r, 200));
    }
    // For the record (the test's budget is set by jest.setTimeout).
    process.stderr.write(
      `sandbox + config check + backend ready in ${(
        (Date.now() - started) /
        1000
      ).toFixed(1)} s\n`,
    );

    sandbox = JSON.parse(
      readFileSync(join(root, '.sandbox/sandbox.json'), 'utf8'),
    );
    // Sign in as a demo user, as the sign-in page does; until the catalog
    // has ingested examples/org.yaml (just after start) the user is unknown.
    for (;;) {
      const res = await fetch(`${baseUrl}/api/auth/demo/refresh`, {
        headers: {
          'x-demo-user': 'requester',
          'x-requested-with': 'XMLHttpRequest',
        },
      });
      if (res.ok) {
        token = (await res.json()).backstageIdentity.token;
        break;
      }
      const text = await res.text();
      if (res.status !== 404 || Date.now() - started > 100_000) {
        throw new Error(`demo sign-in: ${res.status} ${text}\n${tail()}`);
      }
      await new Promise(r => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      // A failed test left it running: no orphans either way.
      const pids = await descendants(child.pid!);
      child.kill('SIGINT');
      const timeout = new Promise(r => setTimeout(r, 30_000));
      await Promise.race([exited, timeout]);
      for (const pid of [child.pid!, ...(await alive(pids))]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('validated the configuration with the sandbox file and loaded it into the backend', () => {
    expect(output).toContain(
      'Loaded config from app-config.yaml, app-config.yaml, backend-port.yaml',
    );
    expect(output).toContain(
      `FileConfigSource{path="${join(root, '.sandbox/app-config.yaml')}"}`,
    );
    // Nothing secret in what yarn start prints.
    for (const secret of [sandbox.aws.secretAccessKey, sandbox.kube.token]) {
      expect(output).not.toContain(secret);
    }
  });

  it("offers the demo's three clusters, each with its own Argo CD", async () => {
    const byName = Object.fromEntries(
      sandbox.clusters.map((c: any) => [c.name, c.argocd.url]),
    );
    expect(await api('/api/logging-environments/clusters')).toEqual({
      items: [
        { name: 'sandbox', argocdUrl: sandbox.argocd.url },
        { name: 'dev', argocdUrl: byName.dev },
        { name: 'staging', argocdUrl: byName.staging },
      ],
    });
    expect(new Set(Object.values(byName)).size).toBe(2);
    expect(byName.dev).not.toBe(sandbox.argocd.url);
  });

  it('claims a development environment on dev while acme-prod holds the sandbox cluster', async () => {
    const claim = (name: string, tier: string, cluster: string) =>
      fetch(`${baseUrl}/api/logging-environments/records`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          name,
          tier,
          cluster,
          owner: 'group:default/platform-team',
          region: 'us-east-2',
          bucket: `${name}-loki`,
          approverGroups: [],
        }),
      });
    expect((await claim('acme-prod', 'production', 'sandbox')).status).toBe(
      201,
    );
    const taken = await claim('acme-dev', 'development', 'sandbox');
    expect(taken.status).toBe(409);
    expect((await taken.json()).error.message).toContain(
      'already has the logging environment acme-prod',
    );
    const dev = await claim('acme-dev', 'development', 'dev');
    expect(dev.status).toBe(201);
    expect((await dev.json()).record).toMatchObject({
      name: 'acme-dev',
      tier: 'development',
      cluster: 'dev',
    });
    expect((await claim('acme-staging', 'staging', 'staging')).status).toBe(
      201,
    );
  });

  it('offers the logging:* scaffolder actions', async () => {
    const actions: Array<{ id: string }> = await api(
      '/api/scaffolder/v2/actions',
    );
    expect(actions.map(a => a.id)).toEqual(
      expect.arrayContaining([
        'logging:environment:validate',
        'logging:environment:claim',
        'logging:bucket:ensure',
        'logging:iam:ensure',
        'logging:secret:ensure',
        'logging:cluster-credentials:apply',
        'logging:secret-store:ensure',
        'logging:operators:ensure',
        'logging:argocd:register',
      ]),
    );
  });

  it("reaches the sandbox's AWS and Kubernetes API with the generated credentials", async () => {
    // A dry run reads (never writes): the bucket through the sandbox's AWS
    // endpoint with aws.mainAccount, the operators through the kubeconfig.
    const result = await api('/api/scaffolder/v2/dry-run', {
      method: 'POST',
      body: JSON.stringify({
        template: {
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: { name: 'quickstart-probe' },
          spec: {
            type: 'service',
            steps: [
              {
                id: 'bucket',
                action: 'logging:bucket:ensure',
                input: {
                  environment: 'quickstart',
                  bucket: 'quickstart-loki',
                  region: sandbox.aws.region,
                },
              },
              {
                id: 'operators',
                action: 'logging:operators:ensure',
                // A dry run of an environment not claimed yet.
                input: { environment: 'quickstart', cluster: 'sandbox' },
              },
            ],
          },
        },
        values: {},
        directoryContents: [],
      }),
    });
    const log = result.log.map((l: any) => l.body.message).join('\n');
    expect(log).toContain('S3 bucket "quickstart-loki" would create');
    expect(log).not.toMatch(/error/i);
    // The sandbox counted the calls: they went to its AWS endpoint and its
    // Kubernetes API, not anywhere else.
    const calls = await (
      await fetch(`${sandbox.control.url}/calls`, {
        headers: { authorization: `Bearer ${sandbox.control.token}` },
      })
    ).json();
    expect(calls.aws['s3:HeadBucket']).toBeGreaterThanOrEqual(1);
    expect(calls.kube['get:subscriptions']).toBeGreaterThanOrEqual(1);
  });

  it('stops the backend, the sandbox and moto on SIGINT', async () => {
    const pids = await descendants(child.pid!);
    // start.js, backstage-cli, the backend, the sandbox, moto's guardian and moto.
    expect(pids.length).toBeGreaterThanOrEqual(4);
    expect(pids).toContain(sandbox.moto.pid);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await alive(pids)).toEqual([]);
    expect(output).toContain('[sandbox] stopped');
  });
});
