import { createBackend } from '@backstage/backend-defaults';
import { demoSignIn } from './modules/demoSignIn';
import { permissionPolicyModule } from './modules/permissionPolicy';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: the demo provider in the sandbox portal (NODE_ENV=development
// only; elsewhere the backend refuses to start while it is configured), a
// real provider (GitHub here) in production; see app-config.production.yaml.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(demoSignIn());
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(permissionPolicyModule);

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@internal/plugin-scaffolder-backend-module-logging-environments'),
);

// The event bus between replicas (PostgreSQL; in memory on SQLite): signals
// published on one replica reach the browsers connected to the others.
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
// Approvers hear when their review is due; owners when a sync fails.
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@internal/plugin-logging-environments-backend'));

// Backstage only logs a failed startup and leaves the plugins that did start
// serving; a plugin or module that refuses to start (the demo sign-in guard
// among them) has to stop the process instead.
backend.start().catch(error => {
  process.stderr.write(`Backend startup failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
