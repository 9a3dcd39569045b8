export interface Config {
  app?: {
    /**
     * Sign-in for the sandbox portal: offer these demo users instead of a
     * real sign-in provider. The backend's `auth.providers.demo` must list
     * the same names. Leave unset in production.
     * @visibility frontend
     */
    demoSignIn?: {
      /** @visibility frontend */
      users: Array<{
        /**
         * Name of the catalog User entity.
         * @visibility frontend
         */
        name: string;
        /**
         * Label of the sign-in button.
         * @visibility frontend
         */
        title: string;
        /**
         * What this user can do, shown under the button.
         * @visibility frontend
         */
        description?: string;
      }>;
    };
  };
}
