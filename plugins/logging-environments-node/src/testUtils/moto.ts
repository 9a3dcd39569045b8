import { ConfigReader } from '@backstage/config';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { AwsClientFactory } from '../aws/clients';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * A real moto_server (the AWS emulator) on loopback for one test file, and
 * AWS clients configured the way an adopter would: credentials through
 * `aws.mainAccount`, the endpoint through `loggingEnvironments.aws.endpoint`.
 * `config` is that configuration, for code that builds its own clients.
 *
 * @public
 */
export async function startMoto(): Promise<{
  endpoint: string;
  config: Record<string, any>;
  factory: AwsClientFactory;
  reset(): Promise<void>;
  stop(): Promise<void>;
}> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'moto_server',
    ['-H', '127.0.0.1', '-p', String(port)],
    { stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(
        'moto_server did not start (is it installed? pip install "moto[server]")',
      );
    }
    await new Promise(r => setTimeout(r, 100));
  }
  const config = {
    aws: {
      mainAccount: {
        accessKeyId: 'TESTADMINKEY0000000',
        secretAccessKey: 'test-admin-secret',
      },
    },
    loggingEnvironments: { aws: { endpoint, maxAttempts: 2 } },
  };
  const factory = AwsClientFactory.fromConfig(new ConfigReader(config));
  return {
    endpoint,
    config,
    factory,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      child.kill();
      await new Promise(r => child.once('exit', r));
    },
  };
}
