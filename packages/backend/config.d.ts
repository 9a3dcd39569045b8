export interface Config {
  auth?: {
    providers?: {
      /**
       * The demo sign-in provider of the sandbox portal: anyone who can reach
       * the backend may sign in as one of these catalog users, without a
       * password. Only with NODE_ENV=development (`yarn start`); with any
       * other NODE_ENV the backend refuses to start while this is set (set it
       * to null to remove it from a lower config layer).
       */
      demo?: {
        /** Names of the User entities one may sign in as. */
        users: string[];
      };
    };
  };
}
