import { createBackendModule } from '@backstage/backend-plugin-api';
import { AuthenticationError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthProviderFactory,
  createProxyAuthenticator,
} from '@backstage/plugin-auth-node';

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
    const allowed =
      process.env.NODE_ENV === 'development' ||
      config.getOptionalBoolean('dangerouslyAllowOutsideDevelopment') === true;
    if (!allowed) {
      throw new Error(
        'auth.providers.demo lets anyone sign in as any demo user; it is only allowed with NODE_ENV=development (or auth.providers.demo.dangerouslyAllowOutsideDevelopment: true)',
      );
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
 * (and with it the approval roles) comes from the catalog.
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
