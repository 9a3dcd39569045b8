import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PORTS, findRepoRoot, parseCli } from './cli';
import { PLATFORM_COMMIT_SUBJECT } from './seed';

const run = promisify(execFile);
const PACKAGE_DIR = resolve(__dirname, '..');

describe('parseCli', () => {
  it('uses the fixed default ports and the demo profile', () => {
    expect(parseCli([], {})).toEqual({
      reset: false,
      profile: 'demo',
      argoCdFlavour: 'upstream',
      ports: { kube: 6443, argocd: 6480, git: 6490, aws: 6500, control: 6510 },
      manifestsDir: undefined,
      stopOnStdinClose: false,
      persistResourceHealth: false,
      clusters: [],
      help: false,
    });
  });

  it('takes further clusters from --clusters over SANDBOX_CLUSTERS', () => {
    expect(
      parseCli(['--clusters', 'dev, staging'], { SANDBOX_CLUSTERS: 'x' })
        .clusters,
    ).toEqual(['dev', 'staging']);
    expect(parseCli([], { SANDBOX_CLUSTERS: 'qa' }).clusters).toEqual(['qa']);
  });

  it('keeps Argo CD 3.x resource health by default, 2.x with --persist-resource-health', () => {
    expect(parseCli([], {}).persistResourceHealth).toBe(false);
    expect(
      parseCli(['--persist-resource-health'], {}).persistResourceHealth,
    ).toBe(true);
  });

  it('resolves --manifests and takes --stop-on-stdin-close', () => {
    expect(
      parseCli(['--manifests', 'some/dir', '--stop-on-stdin-close'], {}),
    ).toMatchObject({
      manifestsDir: resolve('some/dir'),
      stopOnStdinClose: true,
    });
  });

  it('takes ports from flags over environment variables', () => {
    const options = parseCli(
      ['--reset', '--profile', 'fast', '--aws-port', '7000'],
      { SANDBOX_AWS_PORT: '7100', SANDBOX_KUBE_PORT: '7200' },
    );
    expect(options).toMatchObject({
      reset: true,
      profile: 'fast',
      ports: { ...DEFAULT_PORTS, aws: 7000, kube: 7200 },
    });
  });

  it('takes the Argo CD flavour from the flag over the environment', () => {
    expect(
      parseCli([], { SANDBOX_ARGOCD_FLAVOUR: 'openshift-gitops' })
        .argoCdFlavour,
    ).toBe('openshift-gitops');
    expect(
      parseCli(['--argocd-flavour', 'upstream'], {
        SANDBOX_ARGOCD_FLAVOUR: 'openshift-gitops',
      }).argoCdFlavour,
    ).toBe('upstream');
    expect(() => parseCli(['--argocd-flavour', 'argo'], {})).toThrow(
      '--argocd-flavour: must be upstream or openshift-gitops, not "argo"',
    );
  });

  it('rejects bad values with the option named', () => {
    expect(() => parseCli(['--profile', 'slow'], {})).toThrow(
      '--profile: must be demo or fast',
    );
    expect(() => parseCli(['--git-port', 'x'], {})).toThrow('--git-port');
    expect(() => parseCli([], { SANDBOX_CONTROL_PORT: '70000' })).toThrow(
      'SANDBOX_CONTROL_PORT',
    );
    expect(() => parseCli(['--nope'], {})).toThrow();
  });
});

describe('findRepoRoot', () => {
  it('finds the workspace root above the package', () => {
    expect(findRepoRoot(PACKAGE_DIR)).toBe(resolve(PACKAGE_DIR, '../..'));
  });
});

describe('yarn sandbox', () => {
  let root: string;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
  });
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  function start(
    extraArgs: string[] = [],
    stdin: 'ignore' | 'pipe' = 'ignore',
  ): Promise<{ stdout: () => string; stderr: () => string }> {
    const env = {
      ...process.env,
      SANDBOX_ROOT: root,
      SANDBOX_KUBE_PORT: '0',
      SANDBOX_ARGOCD_PORT: '0',
      SANDBOX_GIT_PORT: '0',
      SANDBOX_AWS_PORT: '0',
      SANDBOX_CONTROL_PORT: '0',
    };
    child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        'src/cli.ts',
        '--profile',
        'fast',
        ...extraArgs,
      ],
      { cwd: PACKAGE_DIR, env, stdio: [stdin, 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr!.on('data', d => {
      err += d;
    });
    return new Promise((resolveReady, reject) => {
      child!.stdout!.on('data', d => {
        out += d;
        if (out.includes('sandbox ready\n')) {
          resolveReady({ stdout: () => out, stderr: () => err });
        }
      });
      child!.once('exit', code =>
        reject(new Error(`the CLI exited (${code}) before ready:\n${err}`)),
      );
    });
  }

  it('starts, serves kubectl and the aws CLI with the files it writes, and stops on SIGTERM', async () => {
    const { stdout, stderr } = await start();
    expect(stdout().split('\n')[0]).toBe('sandbox ready');
    // SANDBOX_ROOT has no manifests/: nothing to seed the GitOps repository with.
    expect(stderr()).toContain('seed: no manifests/ under');
    const out = join(root, '.sandbox');
    for (const f of ['kubeconfig', 'aws.env', 'sandbox.json']) {
      expect((await stat(join(out, f))).mode & 0o777).toBe(0o600);
    }
    const description = JSON.parse(
      await readFile(join(out, 'sandbox.json'), 'utf8'),
    );
    expect(stdout()).toContain(`kube        ${description.kube.url}`);
    expect(stdout()).toContain(
      'health      per-resource health in the resource tree (Argo CD 3.x)',
    );
    expect(stdout()).not.toContain(description.kube.token);

    const kubectl = await run('kubectl', [
      '--kubeconfig',
      join(out, 'kubeconfig'),
      'get',
      'namespaces',
      '-o',
      'name',
    ]);
    expect(kubectl.stdout).toContain('namespace/openshift-gitops');

    const awsEnv = Object.fromEntries(
      (await readFile(join(out, 'aws.env'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map(l => l.split(/=(.*)/s).slice(0, 2)),
    );
    const awsCliEnv = {
      PATH: process.env.PATH,
      HOME: root,
      ...awsEnv,
    };
    await run('aws', ['s3', 'mb', 's3://cli-bucket'], { env: awsCliEnv });
    const ls = await run(
      'aws',
      ['--endpoint-url', awsEnv.AWS_ENDPOINT_URL, 's3', 'ls'],
      { env: awsCliEnv },
    );
    expect(ls.stdout).toContain('cli-bucket');

    const motoPid: number = description.moto.pid;
    expect(() => process.kill(motoPid, 0)).not.toThrow();
    const exited = new Promise<number | null>(r =>
      child!.once('exit', code => r(code)),
    );
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(() => process.kill(motoPid, 0)).toThrow();

    // State was kept: a second start has the bucket and the same token.
    await start();
    const again = JSON.parse(await readFile(join(out, 'sandbox.json'), 'utf8'));
    expect(again.kube.token).toBe(description.kube.token);
    const ls2 = await run(
      'aws',
      ['--endpoint-url', again.aws.url, 's3', 'ls'],
      { env: { ...awsCliEnv, AWS_ENDPOINT_URL: again.aws.url } },
    );
    expect(ls2.stdout).toContain('cli-bucket');
    const stopped = new Promise<number | null>(r =>
      child!.once('exit', code => r(code)),
    );
    child!.kill('SIGINT');
    expect(await stopped).toBe(0);
  }, 60_000);

  it("seeds the GitOps repository once (the health checks are the bootstrap's), writes the portal config, and stops when stdin closes", async () => {
    const manifests = resolve(PACKAGE_DIR, '../../manifests');
    const args = ['--manifests', manifests, '--stop-on-stdin-close'];
    const first = await start(args, 'pipe');
    expect(first.stderr()).toContain(
      `seed: committed platform/ from ${manifests}`,
    );
    expect(first.stderr()).not.toContain('Argo CD health checks');
    expect(first.stdout()).toContain('argo cd     upstream\n');
    const out = join(root, '.sandbox');
    const description = JSON.parse(
      await readFile(join(out, 'sandbox.json'), 'utf8'),
    );

    // The portal's sandbox config: every endpoint and secret the backend
    // needs, nothing printed.
    const configFile = join(out, 'app-config.yaml');
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    expect(first.stdout()).toContain(`portal      ${configFile}`);
    const config = parseYaml(await readFile(configFile, 'utf8'));
    expect(config).toEqual({
      backend: {
        reading: { allow: [{ host: new URL(description.git.url).host }] },
      },
      aws: {
        mainAccount: {
          accessKeyId: description.aws.accessKeyId,
          secretAccessKey: description.aws.secretAccessKey,
        },
      },
      loggingEnvironments: {
        aws: {
          endpoint: description.aws.url,
          storageEndpoint: description.aws.httpsUrl,
        },
        gitops: {
          repoUrl: description.git.url,
          branch: 'main',
          browseUrl: `${description.git.url}/raw/main`,
          username: 'sandbox',
          password: description.git.password,
        },
        clusters: [
          {
            name: 'sandbox',
            kubeconfig: join(out, 'kubeconfig'),
            argocdUrl: description.argocd.url,
            argocdToken: description.argocd.token,
          },
        ],
      },
    });
    for (const secret of [
      description.aws.secretAccessKey,
      description.git.password,
    ]) {
      expect(first.stdout()).not.toContain(secret);
      expect(first.stderr()).not.toContain(secret);
    }

    // The git credentials of that file clone platform/ over HTTP.
    const url = new URL(config.loggingEnvironments.gitops.repoUrl);
    url.username = config.loggingEnvironments.gitops.username;
    url.password = config.loggingEnvironments.gitops.password;
    const clone = join(root, 'clone');
    await run('git', ['clone', '--quiet', url.toString(), clone], {
      env: { PATH: process.env.PATH, HOME: root, GIT_TERMINAL_PROMPT: '0' },
    });
    expect(
      (
        await stat(join(clone, 'platform/overlays/production/infrastructure'))
      ).isDirectory(),
    ).toBe(true);
    // No argocd-cm: the product's bootstrap installs the health checks.
    await expect(
      run('kubectl', [
        '--kubeconfig',
        join(out, 'kubeconfig'),
        'get',
        'configmap',
        'argocd-cm',
        '-n',
        'openshift-gitops',
      ]),
    ).rejects.toThrow(/NotFound/);

    // Closing stdin (what happens when `yarn start` dies) stops it, moto too.
    const exited = new Promise<number | null>(r =>
      child!.once('exit', code => r(code)),
    );
    child!.stdin!.end();
    expect(await exited).toBe(0);
    expect(() => process.kill(description.moto.pid, 0)).toThrow();

    // Second start: nothing to seed.
    const repoDir = join(out, 'state/git/gitops.git');
    const log = async () =>
      (
        await run('git', ['--git-dir', repoDir, 'log', '--format=%s', 'main'], {
          env: { PATH: process.env.PATH, HOME: root },
        })
      ).stdout;
    expect(await log()).toBe(`${PLATFORM_COMMIT_SUBJECT}\nInitial commit\n`);
    const second = await start(args, 'pipe');
    expect(second.stderr()).toContain('seed: platform/ already matches');
    expect(await log()).toBe(`${PLATFORM_COMMIT_SUBJECT}\nInitial commit\n`);
    const stopped = new Promise<number | null>(r =>
      child!.once('exit', code => r(code)),
    );
    child!.kill('SIGTERM');
    expect(await stopped).toBe(0);
  }, 60_000);
});
