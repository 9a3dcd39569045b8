import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Options of {@link startMoto}. */
export interface MotoOptions {
  /** Loopback address to bind; `127.0.0.1` by default. */
  host?: string;
  /** Port; a free one by default. */
  port?: number;
  /**
   * The file moto's recorder replays from (`MOTO_RECORDER_FILEPATH`), see
   * {@link MotoServer.replayRecording}. moto's own recording stays off: the
   * sandbox writes this file itself (src/state.ts).
   */
  recordingFile?: string;
  /** How long to wait for moto to answer; 20 s by default. */
  startTimeoutMs?: number;
}

/** A running `moto_server`. */
export interface MotoServer {
  /** `http://<host>:<port>` of moto itself (no fault injection). */
  url: string;
  /** Process id of `moto_server`. */
  pid: number;
  /** Stops moto and waits until it has exited. Idempotent. */
  stop(): Promise<void>;
  /** Drops all of moto's state (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Makes moto's random ids deterministic from here on (`/moto-api/seed`). */
  seed(value: number): Promise<void>;
  /**
   * Sends every request of the recording file to this moto, in order
   * (`/moto-api/recorder/replay-recording`); resolves when all are done.
   */
  replayRecording(): Promise<void>;
}

const INSTALL_HINT =
  'moto_server was not found on PATH. The sandbox runs AWS locally with moto; install it with: pip install "moto[server]"';

/** Finds an executable on PATH; undefined if there is none. */
export function findOnPath(
  command: string,
  path = process.env.PATH ?? '',
): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A port that was free a moment ago on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

// Started servers (guardian and moto pid), killed when this process exits.
const running = new Map<ChildProcess, { motoPid: number }>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, { motoPid }] of running) {
      for (const kill of [
        // moto itself first: a guardian killed with SIGKILL could not.
        () => motoPid && process.kill(motoPid, 'SIGKILL'),
        () => child.kill('SIGTERM'),
      ]) {
        try {
          kill();
        } catch {
          // already gone
        }
      }
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** moto exited while starting. */
class EarlyExit extends Error {}

/**
 * Starts `moto_server` on a loopback port and waits until it answers.
 *
 * moto runs under a small `sh` guardian that holds a pipe from this
 * process: when this process ends in any way (even SIGKILL) the pipe
 * closes and the guardian kills moto, so no moto outlives its sandbox.
 *
 * Throws if `moto_server` is not on PATH (with the install command), or if
 * it does not answer in time (with the tail of its stderr).
 */
export async function startMoto(
  options: MotoOptions = {},
): Promise<MotoServer> {
  const executable = findOnPath('moto_server');
  if (!executable) throw new Error(INSTALL_HINT);
  const host = options.host ?? '127.0.0.1';
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort(host));
    try {
      return await launch(executable, host, port, options);
    } catch (e) {
      // A free port can be taken before moto binds it: try another one.
      if (!(e instanceof EarlyExit) || options.port || attempt >= 3) throw e;
    }
  }
}

async function launch(
  executable: string,
  host: string,
  port: number,
  options: MotoOptions,
): Promise<MotoServer> {
  const url = `http://${host}:${port}`;

  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MOTO_ENABLE_RECORDING;
  // Without a file of ours, keep moto from writing `moto_recording` to cwd.
  env.MOTO_RECORDER_FILEPATH = options.recordingFile ?? '/dev/null';
  // Guardian: starts moto and reports its pid; a watcher kills moto when
  // this process's end of stdin closes; the guardian exits with moto.
  const script = [
    'exec 3<&0',
    '"$0" "$@" </dev/null 3<&- & pid=$!',
    'echo "$pid"',
    '( while read -r _; do :; done; kill "$pid" 2>/dev/null ) <&3 &',
    'watcher=$!',
    'exec 3<&-',
    'trap \'kill "$pid" 2>/dev/null\' TERM INT HUP',
    'wait "$pid"; code=$?',
    'kill "$watcher" 2>/dev/null',
    'exit "$code"',
  ].join('\n');
  const child = spawn(
    '/bin/sh',
    ['-c', script, executable, '-H', host, '-p', String(port)],
    { env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const entry = { motoPid: 0 };
  running.set(child, entry);
  installExitHook();

  let stderrTail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });
  let motoPid = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (!motoPid) {
      motoPid = Number(chunk.toString('utf8').trim().split('\n')[0]);
      entry.motoPid = motoPid;
    }
  });
  let exited: { code: number | null; signal: string | null } | undefined;
  const exitPromise = new Promise<void>(resolve => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    });
  });
  child.once('error', () => {});

  let stopped = false;
  const stop = async () => {
    if (stopped) {
      await exitPromise;
      return;
    }
    stopped = true;
    child.stdin!.end();
    const timeout = sleep(5000).then(() => 'timeout');
    if ((await Promise.race([exitPromise, timeout])) === 'timeout') {
      if (motoPid && isAlive(motoPid)) process.kill(motoPid, 'SIGKILL');
      child.kill('SIGKILL');
      await exitPromise;
    }
    // The guardian waits for moto; make sure nothing is left either way.
    for (let i = 0; i < 50 && motoPid && isAlive(motoPid); i++) await sleep(50);
  };

  const describeFailure = (why: string, early = false) =>
    new (early ? EarlyExit : Error)(
      `moto_server did not start at ${url}: ${why}.${
        stderrTail.trim()
          ? ` Its stderr ended with:\n${stderrTail.trim().slice(-1500)}`
          : ''
      }`,
    );

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (exited) {
      throw describeFailure(
        `it exited (code ${exited.code}, signal ${exited.signal})`,
        true,
      );
    }
    try {
      const res = await fetch(`${url}/moto-api/`, {
        signal: AbortSignal.timeout(2000),
      });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw describeFailure('no answer in time');
    }
    await sleep(100);
  }
  for (let i = 0; i < 20 && !motoPid; i++) await sleep(10);

  const call = async (path: string) => {
    const res = await fetch(`${url}${path}`, { method: 'POST' });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(
        `moto ${path} answered ${res.status}: ${text.slice(0, 300)}`,
      );
    }
  };

  return {
    url,
    pid: motoPid,
    stop,
    reset: () => call('/moto-api/reset'),
    seed: value => call(`/moto-api/seed?a=${Math.floor(value)}`),
    replayRecording: () => call('/moto-api/recorder/replay-recording'),
  };
}
