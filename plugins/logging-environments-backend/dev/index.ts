/**
 * `yarn start` in this package: the plugin alone in a backend, for working on
 * its API without the app. Start the sandbox first (`yarn sandbox` at the
 * repository root, which writes `.sandbox/app-config.yaml`), then, here:
 *
 * ```sh
 * yarn start --config ../../app-config.yaml --config ../../.sandbox/app-config.yaml
 * curl localhost:7007/api/logging-environments/clusters
 * ```
 *
 * Every request is made as `user:default/dev-user` and every permission is
 * allowed (mock services from `@backstage/backend-test-utils`), so approvals
 * and syncs are refused only by the tier rules. Never deploy this entry; the
 * portal's backend is `packages/backend`.
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

const backend = createBackend();

backend.add(
  mockServices.httpAuth.factory({
    defaultCredentials: mockCredentials.user('user:default/dev-user'),
  }),
);
backend.add(mockServices.userInfo.factory());
backend.add(
  mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
);

// The environments are catalog entities; the catalog reads the examples
// named in the root app-config.yaml.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('../src'));

backend.start();
