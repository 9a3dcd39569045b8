/*
 * The logging-environments backend plugin in a process of its own, to be
 * killed the way a crash kills it: a test backend with the plugin, a
 * catalog holding the given entities, the given configuration (its database
 * on disk) and a scheduler that runs every scheduled task every
 * `tickMs`. Prints `listening <port>` once it serves; exits when its
 * standard input closes, so it never outlives the test.
 */
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import loggingEnvironmentsPlugin from '@internal/plugin-logging-environments-backend';
import { readFileSync } from 'node:fs';

async function main() {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  const { config, entities, tickMs } = JSON.parse(
    readFileSync(process.argv[2], 'utf8'),
  );
  const intervalScheduler = createServiceFactory({
    service: coreServices.scheduler,
    deps: {},
    factory: () =>
      ({
        async scheduleTask(task: { fn: (signal: AbortSignal) => unknown }) {
          let running = false;
          setInterval(async () => {
            if (running) return;
            running = true;
            try {
              await task.fn(new AbortController().signal);
            } catch (error) {
              process.stderr.write(`task failed: ${error}\n`);
            } finally {
              running = false;
            }
          }, tickMs);
        },
      } as any),
  });
  const backend = await startTestBackend({
    features: [
      loggingEnvironmentsPlugin,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({ data: config }),
      intervalScheduler,
    ],
  });
  process.stdout.write(`listening ${backend.server.port()}\n`);
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
