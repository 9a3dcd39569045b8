import { createBackendModule } from '@backstage/backend-plugin-api';
import { AuthenticationError, NotAllowedError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthProviderFactory,
  createProxyAuthenticator,
} from '@backstage/plugin-auth-node';

/**
 * Why and where the demo provider is allowed, for the errors that refuse it.
 * No configuration can widen it: one config layer must never be enough to
 * turn password-less sign-in on in production.
 */
export const DEMO_SIGN_IN_RULE =
  'auth.providers.demo lets anyone sign in as any demo user without a password, so it is only allowed when the backend runs with NODE_ENV=development';

/** The request header that names the demo user to sign in as. */
export const DEMO_USER_HEADER = 'x-demo-user';

/**
 * Proxy authenticator of the demo provider: the user names itself in a
 * header and must be one of the configured demo users.
 */
export const demoAuthenticator = createProxyAuthenticator({
  defaultProfileTransform: async (result: { user: string }) => ({
    profile: { displayName: result.user },
  }),
  initialize({ config }) {
    // The module is only added in development (see demoSignIn.ts); this
    // refuses it if someone wires it into the backend directly.
    if (process.env.NODE_ENV !== 'development') {
      throw new NotAllowedError(DEMO_SIGN_IN_RULE);
    }
    return { users: new Set(config.getStringArray('users')) };
  },
  async authenticate({ req }, { users }) {
    const user = req.header(DEMO_USER_HEADER);
    if (!user) {
      throw new AuthenticationError(
        `Demo sign-in needs the ${DEMO_USER_HEADER} header`,
      );
    }
    if (!users.has(user)) {
      throw new AuthenticationError(`"${user}" is not a demo user`);
    }
    return { result: { user } };
  },
});

/**
 * Auth module that adds the `demo` sign-in provider of the sandbox portal.
 * It signs in as the catalog User of the chosen name, so group membership
 * (and with it the approval roles) comes from the catalog. Development only:
 * add it through {@link demoSignIn}, never directly.
 */
export const demoAuthProviderModule = createBackendModule({
  pluginId: 'auth',
  moduleId: 'demo-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'demo',
          factory: createProxyAuthProviderFactory({
            authenticator: demoAuthenticator,
            async signInResolver({ result }, ctx) {
              return ctx.signInWithCatalogUser({
                entityRef: { name: result.user },
              });
            },
          }),
        });
      },
    });
  },
});
