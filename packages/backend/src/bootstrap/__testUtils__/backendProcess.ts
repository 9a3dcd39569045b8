/*
 * A test backend in a process of its own: the scaffolder, our module, the
 * logging-environments plugin, a catalog holding the given entities, and the given configuration (its
 * database included). Started by `startBackendProcess`, which can kill it
 * the way a crash does. Prints `listening <port>` once it serves; exits
 * when its standard input closes, so it never outlives the test.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import loggingEnvironmentsPlugin from '@internal/plugin-logging-environments-backend';
import scaffolderModule from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { readFileSync } from 'node:fs';
import {
  authFactory,
  orgEntities,
  userInfoFactory,
} from '../../environments/__testUtils__/portalBackend';

async function main() {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  const { config, entities } = JSON.parse(
    readFileSync(process.argv[2], 'utf8'),
  );
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      scaffolderModule,
      // The bootstrap claims the environment's record here.
      loggingEnvironmentsPlugin,
      userInfoFactory(orgEntities(), {}),
      // The scaffolder's on-behalf tokens name it as actor, as real ones do.
      authFactory(),
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({ data: config }),
    ],
  });
  process.stdout.write(`listening ${backend.server.port()}\n`);
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
