import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Starts a TypeScript entry point (a test backend) in a process of its own
 * that a test can kill the way a crash does. The entry point prints
 * `listening <port>` once it serves and exits when its standard input
 * closes. `ready` resolves with its URL; `kill` is a SIGKILL (no shutdown
 * hook runs) and resolves once the process is gone.
 */
export function startKillableProcess(script: string, configFile: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      script,
      configFile,
    ],
    { cwd: join(__dirname, '../..'), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', d => {
    errors += d;
  });
  const exited = new Promise<void>(r => child.once('exit', () => r()));
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', d => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    child.once('exit', code =>
      reject(new Error(`backend exited (${code}):\n${errors.slice(-2000)}`)),
    );
  });
  return {
    ready,
    /** Dies at once, as in a crash: no shutdown hook runs. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
