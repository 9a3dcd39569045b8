#!/usr/bin/env node
/*
 * `yarn test:e2e`: the browser tests, from nothing to a clean machine again.
 *
 * 1. Starts the portal the way `yarn start` does (scripts/start.js: sandbox,
 *    configuration check, backend, frontend dev server), with the sandbox's
 *    `fast` profile and `--no-watch` (a source file saved meanwhile must not
 *    restart the backend, whose database is in memory), on a fresh sandbox
 *    in a temporary SANDBOX_ROOT (never a developer's .sandbox/) and on free
 *    ports (the sandbox's parts, the backend and the frontend), so it runs
 *    beside a `yarn start`.
 * 2. Waits until the backend is ready and the frontend serves the app.
 * 3. Runs the portal journey (plugins/logging-environments/e2e/portal.e2e.js).
 * 4. Stops the portal, starts the plugin's dev app (mock backend) on a free
 *    port and runs its suite (devApp.e2e.js) against it. One webpack dev
 *    server at a time: the machine may have two cores.
 * 5. Stops everything it started, on success, failure, timeout or Ctrl-C:
 *    each server runs in a process group of its own, and every process
 *    group that appeared under it is killed if it outlives its leader.
 *
 * Screenshots go to test-artifacts/e2e/{portal,dev-app}/ and the servers'
 * output to test-artifacts/e2e/logs/ (git-ignored). The portal's sandbox
 * state is removed at the end unless --keep-state.
 *
 * Plain Node.js, like scripts/start.js.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.resolve(__dirname, '..');
const PLUGIN = path.join(ROOT, 'plugins/logging-environments');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e');
const LOGS = path.join(ARTIFACTS, 'logs');

const USAGE = `Usage: yarn test:e2e [options]

Starts the portal on a fresh sandbox (temporary SANDBOX_ROOT, free ports),
runs the browser tests (the portal journey, then the plugin's dev app) in
headless Chromium, and stops everything.

Options:
  --only <portal|dev-app>  run one suite (repeatable; default: both)
  --keep-state             keep the temporary sandbox state (its path is printed)
  -h, --help               show this help

Environment: E2E_CHROMIUM (default /usr/bin/chromium).
Screenshots: test-artifacts/e2e/; server logs: test-artifacts/e2e/logs/.`;

/** How long the portal (sandbox, backend, frontend build) may take to answer. */
const PORTAL_READY_TIMEOUT_MS = 300_000;
/** How long the dev app may take to answer. */
const DEV_APP_READY_TIMEOUT_MS = 240_000;
/** A suite that runs longer than this is stopped (and fails). */
const SUITE_TIMEOUT_MS = 900_000;
/** How long a server may take to stop before its groups are killed. */
const STOP_TIMEOUT_MS = 20_000;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const log = line => process.stderr.write(`[e2e ${elapsed()}] ${line}\n`);
const sleep = ms => new Promise(r => setTimeout(r, ms));

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', multiple: true, default: [] },
      'keep-state': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  for (const suite of values.only) {
    if (!['portal', 'dev-app'].includes(suite)) {
      throw new Error(`--only: must be portal or dev-app, not "${suite}"`);
    }
  }
  const suites = values.only.length ? values.only : ['portal', 'dev-app'];
  return {
    portal: suites.includes('portal'),
    devApp: suites.includes('dev-app'),
    keepState: values['keep-state'],
    help: values.help,
  };
}

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------------------
// Processes: each server leads a process group; whatever groups appear under
// it (scripts/start.js starts its children detached) are remembered, so none
// is left behind even if a leader dies without cleaning up.

/** Parent pid and process group of every process, from /proc (Linux). */
function processTable() {
  const table = [];
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
      });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** This script's own process group (never one to kill). */
const OWN_GROUP = (() => {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
})();

/** Process groups of `pid`'s descendants (its own group included). */
function descendantGroups(pid) {
  const table = processTable();
  const children = new Map();
  for (const p of table) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  const groups = new Set([pid]);
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()) ?? []) {
      if (child.pgid !== OWN_GROUP) groups.add(child.pgid);
      queue.push(child.pid);
    }
  }
  return groups;
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Every server and suite started, for the final cleanup. */
const running = new Set();

/**
 * Starts `command` as the leader of a new process group, its output appended
 * to `logFile` (and echoed when `echo`).
 */
function startProcess(name, command, args, { cwd, env, logFile, echo }) {
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(command, args, {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', echo ? 'inherit' : out, echo ? 'inherit' : out],
  });
  if (typeof out === 'number') fs.closeSync(out);
  const entry = { name, child, groups: new Set([child.pid]), exited: false };
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
  // Remember the groups its descendants create, while it runs.
  entry.watch = setInterval(() => {
    if (!entry.exited) {
      for (const g of descendantGroups(child.pid)) entry.groups.add(g);
    }
  }, 1000);
  running.add(entry);
  return entry;
}

/**
 * Stops a process started by {@link startProcess}: `signal` to its leader
 * (scripts/start.js and backstage-cli stop their children in order on
 * SIGINT), then SIGKILL to every group of it that is left.
 */
async function stopProcess(entry, signal = 'SIGINT') {
  if (!running.has(entry)) return;
  if (!entry.exited) {
    for (const g of descendantGroups(entry.child.pid)) entry.groups.add(g);
    killGroup(entry.child.pid, signal);
    await Promise.race([entry.exit, sleep(STOP_TIMEOUT_MS)]);
    if (!entry.exited) log(`${entry.name} did not stop in time: killing it`);
  }
  clearInterval(entry.watch);
  const deadline = Date.now() + 5_000;
  while ([...entry.groups].some(groupAlive) && Date.now() < deadline) {
    await sleep(100);
  }
  for (const g of entry.groups) {
    if (groupAlive(g)) {
      log(`${entry.name}: killing process group ${g}, left behind`);
      killGroup(g, 'SIGKILL');
    }
  }
  await entry.exit;
  running.delete(entry);
}

async function stopAll() {
  await Promise.all([...running].map(e => stopProcess(e)));
}

/** Last resort (an exception, a second Ctrl-C): kill every group we know. */
function killAllNow() {
  for (const entry of running) {
    for (const g of entry.groups) killGroup(g, 'SIGKILL');
  }
}
/** Temporary directories to remove on exit, however it exits. */
const temporary = new Set();
process.on('exit', () => {
  killAllNow();
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
});

let interrupted = false;
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    signals += 1;
    interrupted = true;
    if (signals > 1) {
      log(`${signal} again: killing everything now`);
      killAllNow();
      process.exit(130);
    }
    log(`${signal}: stopping`);
    stopAll().then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------

/** Polls until `url` answers 2xx; fails early if `entry` exits meanwhile. */
async function waitForUrl(url, entry, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (entry.exited)
      throw new Error(`${entry.name} exited before ${what} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not answer on ${url} in ${timeoutMs / 1000} s`,
      );
    }
    await sleep(1_000);
  }
}

function tail(file, lines = 60) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Runs a `node --test` suite to its end; resolves whether it passed. */
async function runSuite(name, file, env) {
  log(`suite ${name}: ${path.relative(ROOT, file)}`);
  const suite = startProcess(
    `suite ${name}`,
    process.execPath,
    ['--test', '--test-reporter=spec', file],
    { cwd: PLUGIN, env, echo: true },
  );
  const timer = setTimeout(() => {
    log(`suite ${name} ran over ${SUITE_TIMEOUT_MS / 1000} s: stopping it`);
    void stopProcess(suite, 'SIGTERM');
  }, SUITE_TIMEOUT_MS);
  const { code, signal } = await suite.exit;
  clearTimeout(timer);
  await stopProcess(suite, 'SIGTERM');
  const passed = code === 0;
  log(
    `suite ${name} ${
      passed ? 'passed' : `failed (${signal ?? `code ${code}`})`
    }`,
  );
  return passed;
}

/** The portal on a fresh sandbox; resolves its URLs once both answer. */
async function startPortal(sandboxRoot) {
  const [frontendPort, backendPort] = [await freePort(), await freePort()];
  const frontend = `http://localhost:${frontendPort}`;
  const backend = `http://localhost:${backendPort}`;
  const logFile = path.join(LOGS, 'portal.log');
  const env = {
    ...process.env,
    SANDBOX_ROOT: sandboxRoot,
    // Every part of the sandbox on a free port.
    SANDBOX_KUBE_PORT: '0',
    SANDBOX_ARGOCD_PORT: '0',
    SANDBOX_GIT_PORT: '0',
    SANDBOX_AWS_PORT: '0',
    SANDBOX_CONTROL_PORT: '0',
    // The frontend and the backend on free ports (config from the
    // environment, read by both and by the configuration check).
    APP_CONFIG_app_baseUrl: frontend,
    APP_CONFIG_backend_baseUrl: backend,
    APP_CONFIG_backend_listen_port: String(backendPort),
    APP_CONFIG_backend_cors_origin: frontend,
    BROWSER: 'none',
  };
  log(
    `starting the portal (frontend ${frontend}, backend ${backend}, SANDBOX_ROOT ${sandboxRoot}); output in ${path.relative(
      ROOT,
      logFile,
    )}`,
  );
  const portal = startProcess(
    'portal',
    process.execPath,
    [path.join(ROOT, 'scripts/start.js'), '--profile', 'fast', '--no-watch'],
    { cwd: ROOT, env, logFile },
  );
  try {
    await waitForUrl(
      `${backend}/.backstage/health/v1/readiness`,
      portal,
      PORTAL_READY_TIMEOUT_MS,
      'the backend',
    );
    log('backend ready');
    await waitForUrl(frontend, portal, PORTAL_READY_TIMEOUT_MS, 'the frontend');
    log('frontend ready');
  } catch (e) {
    process.stderr.write(`${tail(logFile)}\n`);
    throw e;
  }
  return { portal, frontend, logFile };
}

async function startDevApp() {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const logFile = path.join(LOGS, 'dev-app.log');
  log(
    `starting the dev app on ${url}; output in ${path.relative(ROOT, logFile)}`,
  );
  const devApp = startProcess(
    'dev app',
    process.execPath,
    [
      require.resolve('@backstage/cli/bin/backstage-cli', { paths: [ROOT] }),
      'package',
      'start',
    ],
    {
      cwd: PLUGIN,
      env: { ...process.env, APP_CONFIG_app_baseUrl: url, BROWSER: 'none' },
      logFile,
    },
  );
  try {
    await waitForUrl(url, devApp, DEV_APP_READY_TIMEOUT_MS, 'the dev app');
  } catch (e) {
    process.stderr.write(`${tail(logFile)}\n`);
    throw e;
  }
  log('dev app ready');
  return { devApp, url };
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
  const chromium = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) {
    log(
      `no Chromium at ${chromium}: apt-get install chromium (or set E2E_CHROMIUM)`,
    );
    return 1;
  }
  fs.rmSync(LOGS, { recursive: true, force: true });
  fs.mkdirSync(LOGS, { recursive: true });

  const results = [];
  if (options.portal) {
    const sandboxRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'logging-e2e-'));
    if (!options.keepState) temporary.add(sandboxRoot);
    try {
      const { portal, frontend, logFile } = await startPortal(sandboxRoot);
      if (interrupted) return 130;
      const passed = await runSuite(
        'portal',
        path.join(PLUGIN, 'e2e/portal.e2e.js'),
        { ...process.env, E2E_BASE_URL: frontend, SANDBOX_ROOT: sandboxRoot },
      );
      results.push(['portal', passed]);
      if (!passed) {
        log(
          `the portal's last lines (all in ${path.relative(ROOT, logFile)}):`,
        );
        process.stderr.write(`${tail(logFile, 40)}\n`);
      }
      log('stopping the portal');
      await stopProcess(portal);
    } catch (e) {
      log(`portal: ${e.message}`);
      results.push(['portal', false]);
      await stopAll();
    } finally {
      if (options.keepState) log(`sandbox state kept in ${sandboxRoot}`);
    }
  }
  if (options.devApp && !interrupted) {
    try {
      const { devApp, url } = await startDevApp();
      if (interrupted) return 130;
      const passed = await runSuite(
        'dev-app',
        path.join(PLUGIN, 'e2e/devApp.e2e.js'),
        { ...process.env, E2E_BASE_URL: url },
      );
      results.push(['dev-app', passed]);
      await stopProcess(devApp);
    } catch (e) {
      log(`dev app: ${e.message}`);
      results.push(['dev-app', false]);
      await stopAll();
    }
  }
  await stopAll();
  if (interrupted) return 130;
  for (const [name, passed] of results) {
    log(`${passed ? 'PASS' : 'FAIL'} ${name}`);
  }
  log(`screenshots in ${path.relative(ROOT, ARTIFACTS)}/`);
  return results.every(([, passed]) => passed) ? 0 : 1;
}

main().then(
  code => {
    if (!interrupted) process.exit(code);
  },
  async e => {
    log(e && e.stack ? e.stack : String(e));
    await stopAll();
    process.exit(1);
  },
);
