import {
  BackendFeature,
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { DEMO_SIGN_IN_RULE, demoAuthProviderModule } from './demoAuthProvider';

/** Where the demo sign-in provider is configured. */
export const DEMO_PROVIDER_CONFIG_KEY = 'auth.providers.demo';

/**
 * Auth module that takes the demo provider's place outside development: it
 * stops the backend from starting while `auth.providers.demo` is configured,
 * so a deployment whose configuration still asks for password-less sign-in
 * stops with an error naming the key instead of starting.
 * `auth.providers.demo: null` (as app-config.production.yaml sets it) counts
 * as not configured.
 */
export const demoSignInGuardModule = createBackendModule({
  pluginId: 'auth',
  moduleId: 'demo-provider-guard',
  register(reg) {
    reg.registerInit({
      deps: { config: coreServices.rootConfig },
      async init({ config }) {
        if (config.has(DEMO_PROVIDER_CONFIG_KEY)) {
          throw new NotAllowedError(
            `${DEMO_PROVIDER_CONFIG_KEY} is configured but NODE_ENV is ${
              process.env.NODE_ENV === undefined
                ? 'not set'
                : `"${process.env.NODE_ENV}"`
            }: ${DEMO_SIGN_IN_RULE}. Remove ${DEMO_PROVIDER_CONFIG_KEY} from the configuration (or set it to null, as app-config.production.yaml does).`,
          );
        }
      },
    });
  },
});

/**
 * The demo sign-in of the backend, decided by `NODE_ENV` alone: with
 * `NODE_ENV=development` (what `yarn start` runs) the demo provider
 * ({@link demoAuthProviderModule}); otherwise {@link demoSignInGuardModule},
 * which refuses to start while the provider is configured. There is
 * deliberately no configuration to allow the provider elsewhere.
 */
export function demoSignIn(): BackendFeature {
  return process.env.NODE_ENV === 'development'
    ? demoAuthProviderModule
    : demoSignInGuardModule;
}
