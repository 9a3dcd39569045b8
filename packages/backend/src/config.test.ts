import { ConfigReader } from '@backstage/config';
import { ConfigSchema, loadConfigSchema } from '@backstage/config-loader';
import { readFileSync } from 'node:fs';
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
