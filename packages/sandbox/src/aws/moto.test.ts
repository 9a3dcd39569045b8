import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMoto } from './moto';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean) {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise(r => setTimeout(r, 25));
  }
  return condition();
}

describe('startMoto', () => {
  it('says how to install moto when moto_server is not on PATH', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'no-moto-'));
    const path = process.env.PATH;
    process.env.PATH = empty;
    try {
      await expect(startMoto()).rejects.toThrow(
        'moto_server was not found on PATH. The sandbox runs AWS locally with moto; install it with: pip install "moto[server]"',
      );
    } finally {
      process.env.PATH = path;
      await rm(empty, { recursive: true });
    }
  });

  it('fails with the end of moto stderr when it cannot start', async () => {
    const blocker = createServer();
    await new Promise<void>(r => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    try {
      await expect(startMoto({ port })).rejects.toThrow(
        new RegExp(
          `moto_server did not start at http://127\\.0\\.0\\.1:${port}: it exited[^]*Address already in use`,
        ),
      );
    } finally {
      blocker.close();
    }
  });

  it('serves on loopback, resets, and is gone after stop', async () => {
    const moto = await startMoto();
    try {
      expect(new URL(moto.url).hostname).toBe('127.0.0.1');
      expect(isAlive(moto.pid)).toBe(true);
      expect((await fetch(`${moto.url}/kept`, { method: 'PUT' })).status).toBe(
        200,
      );
      expect((await fetch(`${moto.url}/kept`, { method: 'HEAD' })).status).toBe(
        200,
      );
      await moto.reset();
      expect((await fetch(`${moto.url}/kept`, { method: 'HEAD' })).status).toBe(
        404,
      );
    } finally {
      await moto.stop();
    }
    expect(isAlive(moto.pid)).toBe(false);
    await moto.stop();
  });

  it('does not outlive a parent that is killed', async () => {
    const child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        '-e',
        "require('./src/aws/moto').startMoto().then(m => console.log(m.pid))",
      ],
      { cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const pid = await new Promise<number>((done, fail) => {
      let out = '';
      child.stdout.on('data', d => {
        out += d;
        if (out.includes('\n')) done(Number(out.trim()));
      });
      child.once('exit', code => fail(new Error(`exited ${code}`)));
    });
    expect(isAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    expect(await until(() => !isAlive(pid))).toBe(true);
  });
});
