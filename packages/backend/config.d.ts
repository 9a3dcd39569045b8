export interface Config {
  auth?: {
    providers?: {
      /**
       * The demo sign-in provider of the sandbox portal: anyone who can reach
       * the backend may sign in as one of these catalog users, without a
       * password. It refuses to start outside NODE_ENV=development unless
       * `dangerouslyAllowOutsideDevelopment` is set. Never configure it in
       * production.
       */
      demo?: {
        /** Names of the User entities one may sign in as. */
        users: string[];
        /** Allow the provider outside development. For demos only. */
        dangerouslyAllowOutsideDevelopment?: boolean;
      };
    };
  };
}
