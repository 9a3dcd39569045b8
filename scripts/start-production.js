#!/usr/bin/env node
/*
 * `yarn start:production`: the backend as a deployment runs it, on this
 * machine. Backstage's host build (https://backstage.io/docs/deployment/docker),
 * without Docker:
 *
 * 1. `yarn build:backend` (`backstage-cli package build` of packages/backend):
 *    builds the app and our workspace packages, then writes
 *    packages/backend/dist/skeleton.tar.gz (every bundled package.json) and
 *    bundle.tar.gz (their built code). Our workspace packages point `main` at
 *    src/*.ts and only their publishConfig at dist, so the built backend can
 *    only run from this bundle, not from the checkout.
 * 2. In a directory of its own (temporary unless --dir): the root
 *    package.json, yarn.lock, .yarnrc.yml and backstage.json, the skeleton,
 *    then `yarn workspaces focus --all --production` (no dev dependencies),
 *    then the bundle.
 * 3. `node packages/backend --config app-config.yaml --config
 *    app-config.production.yaml [--config <file>...]` there, with
 *    NODE_ENV=production (whatever the caller's NODE_ENV) and
 *    --no-node-snapshot (the scaffolder's sandbox needs it on Node 20),
 *    beside the files the backend reads at run time (its configuration, the
 *    template, the Argo CD health checks).
 *
 * packages/backend/Dockerfile builds the image with the same steps: both
 * follow PRODUCTION_LAYOUT below, which this module exports, and
 * packages/backend/src/deploy/dockerfile.test.ts checks that they agree.
 *
 * Ctrl-C (SIGINT) or SIGTERM stops the backend; a temporary directory is
 * removed afterwards. The exit code is the backend's.
 *
 * Plain Node.js (no TypeScript build): it runs before anything is built.
 */
'use strict';

const { spawn } = require('node:child_process');
const {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = resolve(__dirname, '..');

/**
 * How a production install is laid out and started, for this script and
 * the image (packages/backend/Dockerfile) alike. Paths are relative to the
 * checkout (sources) and to the install directory (everything else).
 */
const PRODUCTION_LAYOUT = Object.freeze({
  /** Copied before the skeleton: what `yarn workspaces focus` needs. */
  installFiles: ['package.json', 'yarn.lock', '.yarnrc.yml', 'backstage.json'],
  /** Every bundled package.json, unpacked before the install. */
  skeleton: 'packages/backend/dist/skeleton.tar.gz',
  /** Production dependencies only, native ones built for this machine. */
  install: ['yarn', 'workspaces', 'focus', '--all', '--production'],
  /** The built packages, unpacked after the install. */
  bundle: 'packages/backend/dist/bundle.tar.gz',
  /**
   * Read at run time: the configuration, the template the catalog registers
   * (app-config.production.yaml's location), the Argo CD health checks the
   * bootstrap installs (the default healthChecksDir).
   */
  runFiles: [
    'app-config.yaml',
    'app-config.production.yaml',
    'templates/logging-environment',
    'manifests/argocd/health',
  ],
  /** The environment the backend runs with. */
  env: { NODE_ENV: 'production', NODE_OPTIONS: '--no-node-snapshot' },
  /** The backend's command line, in the install directory. */
  command: [
    'node',
    'packages/backend',
    '--config',
    'app-config.yaml',
    '--config',
    'app-config.production.yaml',
  ],
});

const USAGE = `Usage: yarn start:production [options]

Builds the backend for production (yarn build:backend), installs it with its
production dependencies only in a directory of its own, and runs it there
with NODE_ENV=production:
  node packages/backend --config app-config.yaml --config app-config.production.yaml

Options:
  --config <file>   another config file, loaded after app-config.production.yaml
                    (repeatable)
  --dir <dir>       install into this directory and keep it (a second run
                    reuses its node_modules); default: a temporary directory,
                    removed when the backend stops
  --no-build        use packages/backend/dist as it is (from yarn build:backend)
  -h, --help        show this help

app-config.production.yaml reads its values from the environment
(APP_BASE_URL, BACKEND_BASE_URL, POSTGRES_*, AUTH_GITHUB_*, CACHE_REDIS_URL,
GITOPS_*, PRODUCTION_CLUSTER_*, PRODUCTION_ARGOCD_*; its header lists them);
see the README's Configuration section and docs/deploying.md.`;

const log = line => process.stderr.write(`[start:production] ${line}\n`);

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', multiple: true, default: [] },
      dir: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  // Relative to where the command was typed (yarn runs scripts at the root).
  const cwd = process.env.INIT_CWD || process.cwd();
  return {
    configs: values.config.map(f => resolve(cwd, f)),
    dir: values.dir === undefined ? undefined : resolve(cwd, values.dir),
    build: !values['no-build'],
    help: values.help,
  };
}

/** Marks a directory this script installs into (and may clean up). */
const MARKER = '.start-production';

/**
 * Whether `dir` may be installed into: new, empty, or made by this script
 * before. Anything else (the checkout itself, say) is left alone, since its
 * packages/ and plugins/ would be replaced.
 */
function usableDir(dir) {
  if (!existsSync(dir)) return true;
  return readdirSync(dir).length === 0 || existsSync(join(dir, MARKER));
}

/** The child that runs now (a build step or the backend), for signals. */
let current;
let stopSignal;

function run(command, args, options) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      ...options,
    });
    current = child;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      current = undefined;
      resolveRun({ code, signal });
    });
  });
}

async function step(description, command, args, options) {
  if (stopSignal) throw new Error(`stopped (${stopSignal})`);
  log(description);
  const { code, signal } = await run(command, args, options);
  if (stopSignal) throw new Error(`stopped (${stopSignal})`);
  if (code !== 0) {
    throw new Error(
      `${description} failed (${signal ? `signal ${signal}` : `code ${code}`})`,
    );
  }
}

async function main() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      // A terminal's Ctrl-C reaches the child too; a signal sent to this
      // process alone is passed on. Either way we wait for the child to end.
      stopSignal = signal;
      if (current) current.kill(signal);
    });
  }
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  for (const file of [
    ...PRODUCTION_LAYOUT.runFiles.map(f => join(ROOT, f)),
    ...options.configs,
  ]) {
    if (!existsSync(file)) {
      log(`${file} does not exist`);
      return 2;
    }
  }

  if (options.dir !== undefined && !usableDir(options.dir)) {
    log(
      `--dir ${options.dir}: not empty and not made by yarn start:production; choose an empty or new directory`,
    );
    return 2;
  }

  if (options.build) {
    await step('building the backend (yarn build:backend)', 'yarn', [
      'build:backend',
    ]);
  }
  for (const file of [PRODUCTION_LAYOUT.skeleton, PRODUCTION_LAYOUT.bundle]) {
    if (!existsSync(join(ROOT, file))) {
      log(`${join(ROOT, file)} is missing: run yarn build:backend first`);
      return 1;
    }
  }

  const dir =
    options.dir ?? mkdtempSync(join(tmpdir(), 'logging-environments-backend-'));
  const temporary = options.dir === undefined;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, MARKER), 'made by yarn start:production\n');
    // A kept directory keeps node_modules, not the packages of a former build.
    for (const sub of ['packages', 'plugins', 'templates', 'manifests']) {
      rmSync(join(dir, sub), { recursive: true, force: true });
    }
    for (const file of PRODUCTION_LAYOUT.installFiles) {
      copyFileSync(join(ROOT, file), join(dir, file));
    }
    await step(`unpacking the skeleton in ${dir}`, 'tar', [
      'xzf',
      join(ROOT, PRODUCTION_LAYOUT.skeleton),
      '-C',
      dir,
    ]);
    const [install, ...installArgs] = PRODUCTION_LAYOUT.install;
    await step(
      `installing production dependencies (${PRODUCTION_LAYOUT.install.join(
        ' ',
      )})`,
      install,
      installArgs,
      { cwd: dir },
    );
    await step('unpacking the bundle', 'tar', [
      'xzf',
      join(ROOT, PRODUCTION_LAYOUT.bundle),
      '-C',
      dir,
    ]);
    for (const file of PRODUCTION_LAYOUT.runFiles) {
      cpSync(join(ROOT, file), join(dir, file), { recursive: true });
    }

    if (stopSignal) return 1;
    const [, ...backendArgs] = PRODUCTION_LAYOUT.command;
    const args = [
      ...backendArgs,
      ...options.configs.flatMap(c => ['--config', c]),
    ];
    log(`starting the backend in ${dir}: node ${args.join(' ')}`);
    const { NODE_ENV, NODE_OPTIONS } = PRODUCTION_LAYOUT.env;
    const { code, signal } = await run(process.execPath, args, {
      cwd: dir,
      env: {
        ...process.env,
        NODE_ENV,
        NODE_OPTIONS: [process.env.NODE_OPTIONS, NODE_OPTIONS]
          .filter(Boolean)
          .join(' '),
      },
    });
    log(`the backend exited (${signal ? `signal ${signal}` : `code ${code}`})`);
    if (signal) return signal === stopSignal ? 0 : 1;
    return code;
  } finally {
    if (temporary) rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { PRODUCTION_LAYOUT };

if (require.main === module) {
  main().then(
    code => process.exit(code),
    e => {
      log(e && e.message ? e.message : String(e));
      process.exit(1);
    },
  );
}
