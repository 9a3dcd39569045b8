/**
 * `yarn sandbox [--reset] [--profile demo|fast] [--argocd-flavour
 * upstream|openshift-gitops] [--persist-resource-health]`: starts the
 * sandbox on fixed loopback ports, keeps its state in
 * `<repo>/.sandbox/state`, seeds it for the product (`platform/` in the
 * GitOps repository; see seed.ts: the Argo CD health checks are the
 * bootstrap's to install), writes
 * `<repo>/.sandbox/{kubeconfig,aws.env,sandbox.json,app-config.yaml}` and
 * prints `sandbox ready` followed by the endpoints. Stops on SIGINT/SIGTERM
 * (and, with `--stop-on-stdin-close`, when its parent goes away).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Sandbox,
  SandboxArgoCdFlavour,
  SandboxPorts,
  startSandbox,
} from './index';
import { writePortalConfig } from './portalConfig';
import { seedSandbox } from './seed';
import { clearState } from './state';

/** Default ports, so the portal's configuration can name them. */
export const DEFAULT_PORTS: Required<SandboxPorts> = {
  kube: 6443,
  argocd: 6480,
  git: 6490,
  aws: 6500,
  control: 6510,
};

const PORT_ENV: Record<keyof SandboxPorts, string> = {
  kube: 'SANDBOX_KUBE_PORT',
  argocd: 'SANDBOX_ARGOCD_PORT',
  git: 'SANDBOX_GIT_PORT',
  aws: 'SANDBOX_AWS_PORT',
  control: 'SANDBOX_CONTROL_PORT',
};

const USAGE = `Usage: yarn sandbox [options]

Starts the local OpenShift + Argo CD + AWS sandbox and keeps it running.

Options:
  --reset                 forget the saved state (.sandbox/state) first
  --profile <demo|fast>   operator timings (default: demo)
  --argocd-flavour <upstream|openshift-gitops>
                          the Argo CD to stand in for (default upstream, env
                          SANDBOX_ARGOCD_FLAVOUR); openshift-gitops serves the
                          ArgoCD resource, whose operator owns argocd-cm
  --kube-port <n>         Kubernetes API port (default 6443, env SANDBOX_KUBE_PORT)
  --argocd-port <n>       Argo CD API port (default 6480, env SANDBOX_ARGOCD_PORT)
  --git-port <n>          git server port (default 6490, env SANDBOX_GIT_PORT)
  --aws-port <n>          AWS endpoint port (default 6500, env SANDBOX_AWS_PORT)
  --control-port <n>      control API port (default 6510, env SANDBOX_CONTROL_PORT)
  --manifests <dir>       the platform manifests to seed the GitOps repository
                          with (default: <root>/manifests)
  --clusters <names>      further clusters besides "sandbox", comma-separated
                          (e.g. dev,staging; env SANDBOX_CLUSTERS): each a
                          Kubernetes API with its own Argo CD and operators,
                          on a free port, kubeconfig .sandbox/kubeconfig-<name>
  --persist-resource-health
                          Argo CD 2.x behaviour: per-resource health in the
                          Applications' status.resources (default: 3.x, in
                          the resource tree only, resourceHealthSource appTree)
  --stop-on-stdin-close   stop when standard input closes (for a parent
                          process such as yarn start: no orphan if it dies)
  -h, --help              show this help

Port 0 picks a free port. SANDBOX_ROOT overrides the repository root
(where .sandbox/ is written and manifests/ is read).`;

/**
 * The repository root: the nearest directory above `from` whose
 * package.json declares workspaces.
 */
export function findRepoRoot(from: string): string {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).workspaces) return dir;
      } catch {
        // not a usable package.json; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `no repository root (package.json with workspaces) above ${from}`,
      );
    }
    dir = parent;
  }
}

function parsePort(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new Error(`${what}: "${value}" is not a port number (0-65535)`);
  }
  return n;
}

/** Parsed command line. */
export interface CliOptions {
  reset: boolean;
  profile: 'demo' | 'fast';
  argoCdFlavour: SandboxArgoCdFlavour;
  ports: Required<SandboxPorts>;
  /** `--manifests`, resolved; undefined: `<root>/manifests` if it exists. */
  manifestsDir?: string;
  stopOnStdinClose: boolean;
  /** `--persist-resource-health`: Argo CD 2.x per-resource health. */
  persistResourceHealth: boolean;
  /** `--clusters`: the further clusters' names (none by default). */
  clusters: string[];
  help: boolean;
}

/** Parses the command line (flags win over environment variables). */
export function parseCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      reset: { type: 'boolean', default: false },
      profile: { type: 'string', default: 'demo' },
      'argocd-flavour': { type: 'string' },
      'kube-port': { type: 'string' },
      'argocd-port': { type: 'string' },
      'git-port': { type: 'string' },
      'aws-port': { type: 'string' },
      'control-port': { type: 'string' },
      manifests: { type: 'string' },
      clusters: { type: 'string' },
      'stop-on-stdin-close': { type: 'boolean', default: false },
      'persist-resource-health': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const profile = values.profile;
  if (profile !== 'demo' && profile !== 'fast') {
    throw new Error(`--profile: must be demo or fast, not "${profile}"`);
  }
  const flavour =
    values['argocd-flavour'] ?? env.SANDBOX_ARGOCD_FLAVOUR ?? 'upstream';
  if (flavour !== 'upstream' && flavour !== 'openshift-gitops') {
    throw new Error(
      `--argocd-flavour: must be upstream or openshift-gitops, not "${flavour}"`,
    );
  }
  const ports = { ...DEFAULT_PORTS };
  for (const key of Object.keys(DEFAULT_PORTS) as Array<keyof SandboxPorts>) {
    const flag = values[`${key}-port` as 'kube-port'];
    const fromEnv = env[PORT_ENV[key]];
    if (flag !== undefined) ports[key] = parsePort(flag, `--${key}-port`);
    else if (fromEnv) ports[key] = parsePort(fromEnv, PORT_ENV[key]);
  }
  return {
    reset: Boolean(values.reset),
    profile,
    argoCdFlavour: flavour,
    ports,
    manifestsDir: values.manifests ? resolve(values.manifests) : undefined,
    stopOnStdinClose: Boolean(values['stop-on-stdin-close']),
    persistResourceHealth: Boolean(values['persist-resource-health']),
    clusters: (values.clusters ?? env.SANDBOX_CLUSTERS ?? '')
      .split(',')
      .map(name => name.trim())
      .filter(Boolean),
    help: Boolean(values.help),
  };
}

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (e: any) {
    process.stderr.write(`${e?.message ?? e}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`[sandbox] ${line}\n`);
  const root = process.env.SANDBOX_ROOT
    ? resolve(process.env.SANDBOX_ROOT)
    : findRepoRoot(process.cwd());
  const outDir = join(root, '.sandbox');
  const stateDir = join(outDir, 'state');
  if (options.reset) {
    await clearState(stateDir);
    log(`reset: removed ${stateDir}`);
  }

  let sandbox: Sandbox | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping`);
    try {
      await sandbox?.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (options.stopOnStdinClose) {
    // The parent holds the other end of stdin: it closes when the parent
    // exits, however it exits (SIGKILL included), so moto and the sandbox
    // never outlive a `yarn start` that was killed. A signal may have
    // started the stop already: then this is not a second request.
    const onClosed = () => {
      if (!stopping) void stop('stdin closed');
    };
    process.stdin.on('end', onClosed);
    process.stdin.on('error', onClosed);
    process.stdin.resume();
  }

  // The platform manifests: --manifests, else <root>/manifests when there.
  let manifestsDir = options.manifestsDir;
  if (!manifestsDir && existsSync(join(root, 'manifests'))) {
    manifestsDir = join(root, 'manifests');
  }

  try {
    sandbox = await startSandbox({
      profile: options.profile,
      argoCdFlavour: options.argoCdFlavour,
      stateDir,
      ports: options.ports,
      log,
      persistResourceHealth: options.persistResourceHealth,
      clusters: options.clusters,
    });
  } catch (e: any) {
    if (e?.code === 'EADDRINUSE') {
      log(
        `port ${
          e.port ?? ''
        } is in use (is another sandbox running?); choose other ports with --<part>-port or SANDBOX_<PART>_PORT`,
      );
    } else {
      log(`failed to start: ${e?.message ?? e}`);
    }
    return 1;
  }
  if (stopping) return 0;
  try {
    if (manifestsDir) {
      await seedSandbox(sandbox, { manifestsDir, log });
    } else {
      log(
        `seed: no manifests/ under ${root} (see --manifests): the GitOps repository has no platform/`,
      );
    }
  } catch (e: any) {
    log(`failed to seed: ${e?.message ?? e}`);
    await sandbox.stop();
    return 1;
  }
  if (stopping) return 0;
  await sandbox.writeFiles(outDir);
  const portalConfigFile = await writePortalConfig(sandbox, outDir);
  process.stdout.write(
    [
      'sandbox ready',
      `kube        ${sandbox.kube.url} (cluster sandbox)`,
      ...sandbox.clusters.map(
        c =>
          `kube        ${c.kube.url} (cluster ${c.name}, Argo CD ${c.argocd.url})`,
      ),
      `argocd      ${sandbox.argocd.url}`,
      `git         ${sandbox.git.url}`,
      `aws         ${sandbox.aws.url}`,
      `control     ${sandbox.control.url}`,
      `kubeconfig  ${join(outDir, 'kubeconfig')}`,
      `aws env     ${join(outDir, 'aws.env')}`,
      `all         ${join(outDir, 'sandbox.json')} (tokens and credentials)`,
      `portal      ${portalConfigFile} (backend config, with credentials)`,
      `profile     ${options.profile}`,
      `argo cd     ${options.argoCdFlavour}`,
      `health      ${
        options.persistResourceHealth
          ? 'per-resource health in status.resources (Argo CD 2.x)'
          : 'per-resource health in the resource tree (Argo CD 3.x)'
      }`,
      '',
    ].join('\n'),
  );
  return -1; // keep running
}

if (require.main === module) {
  main().then(
    code => {
      if (code >= 0) process.exit(code);
    },
    e => {
      process.stderr.write(`[sandbox] ${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
