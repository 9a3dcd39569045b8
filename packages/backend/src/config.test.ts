import { AppConfig, ConfigReader } from '@backstage/config';
import {
  ConfigSchema,
  ConfigSources,
  loadConfigSchema,
} from '@backstage/config-loader';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yaml from 'yaml';

const root = resolve(__dirname, '../../..');

function read(file: string) {
  // Environment variables are substituted with placeholders, as
  // `backstage-cli config:check --lax` does.
  const text = readFileSync(resolve(root, file), 'utf8').replace(
    /\$\{(\w+)\}/g,
    'placeholder-$1',
  );
  return { context: file, data: yaml.parse(text) };
}

describe('configuration', () => {
  let schema: ConfigSchema;

  beforeAll(async () => {
    // The schemas of every package the backend depends on, our config.d.ts
    // files among them: what `yarn start` checks before it starts.
    schema = await loadConfigSchema({
      dependencies: [],
      packagePaths: [resolve(__dirname, '../package.json')],
      noUndeclaredProperties: true,
    });
  }, 60_000);

  it('accepts the sandbox config and the production layer', () => {
    expect(() => schema.process([read('app-config.yaml')])).not.toThrow();
    const production = [
      read('app-config.yaml'),
      read('app-config.production.yaml'),
    ];
    expect(() => schema.process(production)).not.toThrow();
    // The production layer removes the demo sign-in entirely.
    const config = ConfigReader.fromConfigs(production);
    expect(config.has('auth.providers.demo')).toBe(false);
    expect(config.has('app.demoSignIn')).toBe(false);
    expect(config.getString('backend.database.client')).toBe('pg');
  });

  describe('the production layer, loaded as the backend loads it', () => {
    // A value for every variable the file reads (docs/deploying.md lists them).
    const env: Record<string, string> = {
      APP_BASE_URL: 'https://portal.example.com',
      BACKEND_BASE_URL: 'https://portal.example.com',
      POSTGRES_HOST: 'postgres.example.com',
      POSTGRES_PORT: '5432',
      POSTGRES_USER: 'backstage',
      POSTGRES_PASSWORD: 'postgres-password',
      AUTH_GITHUB_CLIENT_ID: 'client-id',
      AUTH_GITHUB_CLIENT_SECRET: 'client-secret',
      CACHE_REDIS_URL: 'redis://:cache-password@redis:6379',
      GITOPS_REPO_URL: 'https://github.com/acme/gitops.git',
      GITOPS_BROWSE_URL: 'https://github.com/acme/gitops/blob/main',
      GITOPS_USERNAME: 'portal-bot',
      GITOPS_TOKEN: 'gitops-token',
      PRODUCTION_CLUSTER_URL: 'https://api.production.example.com:6443',
      PRODUCTION_CLUSTER_TOKEN: 'cluster-token',
      PRODUCTION_CLUSTER_CA_DATA: 'Y2E=',
      PRODUCTION_ARGOCD_URL: 'https://argocd.production.example.com',
      PRODUCTION_ARGOCD_TOKEN: 'argocd-token',
    };

    /** The two files through Backstage's config loader, `${VAR}` from `vars`. */
    async function load(vars: Record<string, string | undefined>) {
      const asked = new Set<string>();
      const source = ConfigSources.defaultForTargets({
        rootDir: root,
        targets: ['app-config.yaml', 'app-config.production.yaml'].map(f => ({
          type: 'path' as const,
          target: resolve(root, f),
        })),
        substitutionFunc: async name => {
          asked.add(name);
          return vars[name];
        },
      });
      let configs: AppConfig[] = [];
      for await (const data of source.readConfigData()) {
        configs = data.configs;
        break;
      }
      return { configs, asked };
    }

    it('reads exactly the documented variables and passes the schema', async () => {
      const { configs, asked } = await load(env);
      expect([...asked].sort()).toEqual(Object.keys(env).sort());
      expect(() => schema.process(configs)).not.toThrow();
      const config = ConfigReader.fromConfigs(configs);

      // What a template run needs: the template, GitOps credentials and
      // where the catalog reads the published entity back.
      const locations = config.getConfigArray('catalog.locations');
      expect(locations.map(l => l.getString('target'))).toEqual([
        'templates/logging-environment/template.yaml',
      ]);
      // Relative to the install directory, which holds the checkout's
      // templates/ at the same path (scripts/start-production.js, Dockerfile).
      expect(existsSync(resolve(root, locations[0].getString('target')))).toBe(
        true,
      );
      expect(config.getConfig('loggingEnvironments.gitops').get()).toEqual({
        repoUrl: env.GITOPS_REPO_URL,
        branch: 'main',
        browseUrl: env.GITOPS_BROWSE_URL,
        username: env.GITOPS_USERNAME,
        password: env.GITOPS_TOKEN,
      });
      const [cluster] = config.getConfigArray('loggingEnvironments.clusters');
      expect(cluster.getString('argocdToken')).toBe(
        env.PRODUCTION_ARGOCD_TOKEN,
      );
      expect(config.getString('backend.cache.store')).toBe('redis');
      expect(config.getString('backend.cache.connection')).toBe(
        env.CACHE_REDIS_URL,
      );
      expect(config.getString('auth.environment')).toBe('production');
      expect(config.has('auth.providers.demo')).toBe(false);
      expect(config.getString('backend.database.client')).toBe('pg');
    });

    it('fails on a mistyped key of the production layer', async () => {
      const { configs } = await load(env);
      const typo = configs.map(c =>
        c.context.endsWith('app-config.production.yaml')
          ? {
              ...c,
              data: yaml.parse(
                yaml.stringify(c.data).replace('browseUrl:', 'browseURL:'),
              ),
            }
          : c,
      );
      expect(() => schema.process(typo)).toThrow(
        /loggingEnvironments\/gitops.*must NOT have additional properties|browseURL/,
      );
    });
  });

  it.each([
    [
      { loggingEnvironments: { clusters: [{ url: 'https://x' }] } },
      "must have required property 'name'",
      '/loggingEnvironments/clusters/0',
    ],
    [
      {
        loggingEnvironments: {
          clusters: [{ name: 'x', url: 'https://x', skipTLSVerify: 'yes' }],
        },
      },
      'must be boolean',
      '/loggingEnvironments/clusters/0/skipTLSVerify',
    ],
    [
      { auth: { providers: { demo: {} } } },
      "must have required property 'users'",
      '/auth/providers/demo',
    ],
    [
      // No configuration allows the demo provider outside development.
      {
        auth: {
          providers: {
            demo: { users: ['x'], dangerouslyAllowOutsideDevelopment: true },
          },
        },
      },
      'must NOT have additional properties',
      '/auth/providers/demo',
    ],
    [
      { app: { demoSignIn: { users: [{ name: 'x' }] } } },
      "must have required property 'title'",
      '/app/demoSignIn/users/0',
    ],
  ])('rejects bad config, naming the key (%j)', (data, rule, path) => {
    let message = '';
    try {
      schema.process([{ context: 'bad.yaml', data }]);
    } catch (e) {
      message = String(e);
    }
    expect(message).toContain(rule);
    expect(message).toContain(path);
  });
});
