#!/usr/bin/env node
/*
 * `yarn start`: the portal on the sandbox, in one command.
 *
 * 1. Starts the sandbox (`packages/sandbox/src/cli.ts`, demo profile, state
 *    kept in .sandbox/state) and waits for `sandbox ready`; the sandbox seeds
 *    itself and writes .sandbox/app-config.yaml (its endpoints and
 *    credentials for the backend). A sandbox that is already running (its
 *    .sandbox/sandbox.json answers) is reused and left running on exit.
 * 2. Validates the backend's configuration (`config:check --strict`) with
 *    the files the backend will load.
 * 3. Starts the frontend dev server (:3000, app-config.yaml only: nothing of
 *    the sandbox file is meant for browsers) and the backend (:7007,
 *    app-config.yaml, then .sandbox/app-config.yaml, then
 *    app-config.local.yaml if present, then any --config files).
 *
 * Each child runs in its own process group, so a Ctrl-C reaches this script
 * only and it stops the children in order: the portal (SIGINT to each
 * backstage-cli, which stops its backend child), the sandbox (SIGTERM; it
 * stops moto), then SIGKILL for any process left in their groups. The
 * sandbox also stops by itself if this script dies without cleaning up (it
 * runs with --stop-on-stdin-close).
 *
 * Plain Node.js (no TypeScript build): it runs before anything is built.
 */
'use strict';

const { spawn } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = resolve(__dirname, '..');

/**
 * The demo's further clusters: with "sandbox" (for the sample environment,
 * acme-prod, in production) a development and a staging environment fit
 * beside it (one environment per cluster).
 */
const DEMO_CLUSTERS = 'dev,staging';

const USAGE = `Usage: yarn start [options]

Starts the sandbox (or reuses a running one), then the portal on it:
frontend http://localhost:3000, backend http://localhost:7007.

Options:
  --no-sandbox          the portal only: no sandbox, and the backend loads
                        app-config.yaml (+ app-config.local.yaml, --config)
                        without .sandbox/app-config.yaml, e.g. for a real
                        cluster and AWS account configured there
  --backend-only        do not start the frontend dev server
  --config <file>       another config file for the backend, loaded last
                        (repeatable)
  --reset               start the sandbox from empty state (yarn sandbox --reset)
  --profile <demo|fast> the sandbox's operator timings (default: demo)
  --clusters <names>    the sandbox's clusters besides "sandbox",
                        comma-separated (default: ${DEMO_CLUSTERS}; "" for
                        the one cluster): each with its own Kubernetes API,
                        Argo CD and operators, so every tier can be tried
  --no-watch            run the backend without restarting it when a source
                        file changes (a restart empties its in-memory
                        database); for test runs, e.g. yarn test:e2e
  -h, --help            show this help

Environment: SANDBOX_ROOT and SANDBOX_<PART>_PORT as for yarn sandbox.`;

/** How long the sandbox may take to print `sandbox ready`. */
const SANDBOX_READY_TIMEOUT_MS = 120_000;
/** How long a child may take to stop before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

const log = line => process.stderr.write(`[start] ${line}\n`);

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'no-sandbox': { type: 'boolean', default: false },
      'backend-only': { type: 'boolean', default: false },
      config: { type: 'string', multiple: true, default: [] },
      reset: { type: 'boolean', default: false },
      profile: { type: 'string', default: 'demo' },
      clusters: { type: 'string', default: DEMO_CLUSTERS },
      'no-watch': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (!['demo', 'fast'].includes(values.profile)) {
    throw new Error(`--profile: must be demo or fast, not "${values.profile}"`);
  }
  return {
    sandbox: !values['no-sandbox'],
    backendOnly: values['backend-only'],
    // Relative to where `yarn start` was typed (yarn runs scripts at the root).
    configs: values.config.map(f =>
      resolve(process.env.INIT_CWD || process.cwd(), f),
    ),
    reset: values.reset,
    profile: values.profile,
    clusters: values.clusters,
    watch: !values['no-watch'],
    help: values.help,
  };
}

/** Where the sandbox writes `.sandbox/` (the same rule as its CLI). */
function sandboxDir() {
  return join(
    process.env.SANDBOX_ROOT ? resolve(process.env.SANDBOX_ROOT) : ROOT,
    '.sandbox',
  );
}

/**
 * Whether a sandbox is running for this root: its sandbox.json names a
 * control API that answers with the token the file holds.
 */
async function runningSandbox(dir) {
  let description;
  try {
    description = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const control = description && description.control;
  if (!control || !control.url || !control.token) return undefined;
  try {
    const res = await fetch(`${control.url}/profile`, {
      headers: { authorization: `Bearer ${control.token}` },
      signal: AbortSignal.timeout(2000),
    });
    await res.arrayBuffer();
    return res.ok ? description : undefined;
  } catch {
    return undefined;
  }
}

const backstageCli = join(
  require.resolve('@backstage/cli/package.json', { paths: [ROOT] }),
  '..',
  'bin',
  'backstage-cli',
);

/** Children we started, each the leader of its own process group. */
const children = [];

function startChild(name, args, options) {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.stdio,
    // Own process group: a Ctrl-C in the terminal reaches this script only,
    // which then stops the children in order; and a whole group can be
    // killed, grandchildren (the backend, moto) included.
    detached: true,
  });
  const entry = { name, child, exited: false, stopSignal: options.stopSignal };
  entry.exit = new Promise(resolveExit => {
    child.once('exit', (code, signal) => {
      entry.exited = true;
      resolveExit({ code, signal });
    });
    child.once('error', error => {
      log(`${name}: ${error.message}`);
      entry.exited = true;
      resolveExit({ code: 1, signal: null });
    });
  });
  children.push(entry);
  return entry;
}

/** Whether any process of the group led by `pid` is left. */
function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

async function waitGroupGone(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
  return !groupAlive(pid);
}

let stopping;

/**
 * Stops every child, portal first (it may still be talking to the sandbox),
 * then the sandbox; whatever is left in a child's group after that is killed.
 */
function stopAll(exitCode) {
  stopping ??= (async () => {
    const order = [
      ...children.filter(c => c.name !== 'sandbox'),
      ...children.filter(c => c.name === 'sandbox'),
    ];
    const portal = order.filter(c => c.name !== 'sandbox');
    const stopOne = async entry => {
      if (!entry.exited) {
        try {
          entry.child.kill(entry.stopSignal);
        } catch {
          // already gone
        }
        const timedOut = await Promise.race([
          entry.exit.then(() => false),
          sleep(STOP_TIMEOUT_MS).then(() => true),
        ]);
        if (timedOut) {
          log(`${entry.name} did not stop in time: killing it`);
          killGroup(entry.child.pid, 'SIGKILL');
          await entry.exit;
        }
      }
      // Grandchildren that outlived their parent (none, normally).
      if (!(await waitGroupGone(entry.child.pid, 2000))) {
        killGroup(entry.child.pid, 'SIGKILL');
        await waitGroupGone(entry.child.pid, 2000);
      }
    };
    await Promise.all(portal.map(stopOne));
    for (const entry of order.filter(c => c.name === 'sandbox')) {
      await stopOne(entry);
    }
    process.exit(exitCode);
  })();
  return stopping;
}

// Last resort if this script dies of an error: no orphans.
process.on('exit', () => {
  for (const { child } of children) killGroup(child.pid, 'SIGKILL');
});

let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    signals += 1;
    if (signals > 1) {
      log(`${signal} again: killing everything now`);
      for (const { child } of children) killGroup(child.pid, 'SIGKILL');
      process.exit(1);
    }
    log(`${signal}: stopping`);
    void stopAll(0);
  });
}

/** A child that ends on its own while we are running ends everything. */
function superviseExit(entry) {
  entry.exit.then(({ code, signal }) => {
    if (stopping) return;
    log(
      `${entry.name} exited (${
        signal ? `signal ${signal}` : `code ${code}`
      }): stopping the rest`,
    );
    void stopAll(code || 1);
  });
}

/** Starts the sandbox and resolves once it printed `sandbox ready`. */
function startSandbox(options) {
  const args = [
    '--require',
    require.resolve('@backstage/cli/config/nodeTransform.cjs', {
      paths: [ROOT],
    }),
    join(ROOT, 'packages/sandbox/src/cli.ts'),
    '--profile',
    options.profile,
    '--manifests',
    join(ROOT, 'manifests'),
    '--stop-on-stdin-close',
    '--clusters',
    options.clusters,
  ];
  if (options.reset) args.push('--reset');
  const entry = startChild('sandbox', args, {
    cwd: ROOT,
    // stdin: a pipe whose end closes when this process dies, however it dies.
    stdio: ['pipe', 'pipe', 'inherit'],
    stopSignal: 'SIGTERM',
  });
  return new Promise((resolveReady, reject) => {
    let out = '';
    let ready = false;
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `the sandbox did not get ready in ${
              SANDBOX_READY_TIMEOUT_MS / 1000
            } s`,
          ),
        ),
      SANDBOX_READY_TIMEOUT_MS,
    );
    entry.child.stdout.on('data', chunk => {
      // Its stdout has the endpoints, never a token.
      process.stdout.write(chunk);
      if (ready) return;
      out += chunk;
      if (out.split('\n').includes('sandbox ready')) {
        ready = true;
        clearTimeout(timer);
        resolveReady(entry);
      }
    });
    entry.exit.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!ready) {
        reject(
          new Error(
            `the sandbox exited before it was ready (${
              signal ? `signal ${signal}` : `code ${code}`
            }); see its [sandbox] lines above`,
          ),
        );
      }
    });
  });
}

function runToEnd(name, args, cwd) {
  const entry = startChild(name, args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    stopSignal: 'SIGINT',
  });
  return entry.exit.then(result => {
    children.splice(children.indexOf(entry), 1);
    return result;
  });
}

async function main() {
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
  const started = Date.now();

  // Backend config files, in load order (later files win).
  const configs = [join(ROOT, 'app-config.yaml')];
  if (options.sandbox) {
    const dir = sandboxDir();
    const running = await runningSandbox(dir);
    if (running) {
      if (options.reset) {
        log(
          'a sandbox is already running: stop it (Ctrl-C where it runs) before --reset, or POST /reset to its control API',
        );
        return 1;
      }
      log(
        `reusing the sandbox that is running (${running.kube.url}, profile ${running.profile}); it keeps running after the portal stops`,
      );
    } else {
      log('starting the sandbox');
      try {
        superviseExit(await startSandbox(options));
      } catch (e) {
        // Stopped by a signal while starting: not an error of its own.
        if (stopping) return -1;
        log(e.message);
        await stopAll(1);
      }
      log(
        `sandbox ready after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    const sandboxConfig = join(dir, 'app-config.yaml');
    if (!existsSync(sandboxConfig)) {
      log(
        `${sandboxConfig} is missing: restart the sandbox (yarn sandbox writes it)`,
      );
      await stopAll(1);
    }
    configs.push(sandboxConfig);
  }
  const local = join(ROOT, 'app-config.local.yaml');
  if (existsSync(local)) configs.push(local);
  configs.push(...options.configs);
  const configArgs = configs.flatMap(c => ['--config', c]);

  // The same check as before the sandbox: a missing or mistyped key stops
  // here, with its path (secret values are never printed).
  const check = await runToEnd(
    'config:check',
    [
      backstageCli,
      'config:check',
      '--lax',
      '--strict',
      '--package',
      'backend',
      ...configArgs,
    ],
    ROOT,
  );
  if (stopping) return -1; // interrupted while checking
  if (check.code !== 0) {
    log('the configuration is not valid (see above)');
    await stopAll(1);
  }

  log(
    `starting the portal: ${
      options.backendOnly ? '' : 'frontend http://localhost:3000, '
    }backend with ${configs.map(c => c.replace(`${ROOT}/`, '')).join(', ')}`,
  );
  superviseExit(
    startChild(
      'backend',
      options.watch
        ? [backstageCli, 'package', 'start', ...configArgs]
        : // What `backstage-cli package start` runs, without its file
          // watcher around it.
          [
            '--enable-source-maps',
            '--require',
            require.resolve('@backstage/cli/config/nodeTransform.cjs', {
              paths: [ROOT],
            }),
            'src/index',
            ...configArgs,
          ],
      {
        cwd: join(ROOT, 'packages/backend'),
        env: options.watch
          ? process.env
          : {
              ...process.env,
              NODE_ENV: process.env.NODE_ENV || 'development',
              ESBK_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
            },
        stdio: ['ignore', 'inherit', 'inherit'],
        stopSignal: 'SIGINT',
      },
    ),
  );
  if (!options.backendOnly) {
    superviseExit(
      startChild('frontend', [backstageCli, 'package', 'start'], {
        cwd: join(ROOT, 'packages/app'),
        stdio: ['ignore', 'inherit', 'inherit'],
        stopSignal: 'SIGINT',
      }),
    );
  }
  return -1; // runs until a signal or a child's exit
}

main().then(
  code => {
    if (code >= 0) process.exit(code);
  },
  e => {
    log(e && e.stack ? e.stack : String(e));
    void stopAll(1);
  },
);
