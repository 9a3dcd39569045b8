import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import loggingEnvironmentsPlugin from '@internal/plugin-logging-environments-backend';
import { Sandbox, portalConfig } from '@internal/sandbox';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authFactory,
  orgEntities,
  userInfoFactory,
} from '../../environments/__testUtils__/portalBackend';

/**
 * The backend configuration `yarn start` uses for the sandbox (the
 * sandbox's own portalConfig), with a kubeconfig written for the test.
 */
export async function sandboxConfig(
  sandbox: Sandbox,
): Promise<Record<string, any>> {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-files-'));
  await sandbox.writeFiles(dir);
  const config = portalConfig(sandbox, {
    kubeconfigPath: join(dir, 'kubeconfig'),
  }) as any;
  return {
    ...config,
    backend: { ...config.backend, baseUrl: 'http://localhost:7007' },
    loggingEnvironments: {
      ...config.loggingEnvironments,
      aws: { ...config.loggingEnvironments.aws, maxAttempts: 4 },
    },
  };
}

/**
 * A test backend with the given features on the sandbox configuration,
 * with the logging-environments plugin (the bootstrap claims and binds its
 * records there) and users whose group memberships come from the example
 * org. Tokens the scaffolder asks for on a user's behalf name it as their
 * actor, as the real auth service's do.
 */
export async function startPortalBackend(
  sandbox: Sandbox,
  features: any[],
  extraConfig: Record<string, any> = {},
) {
  const config = await sandboxConfig(sandbox);
  return startTestBackend({
    features: [
      loggingEnvironmentsPlugin,
      ...features,
      userInfoFactory(orgEntities(), {}),
      authFactory(),
      mockServices.rootConfig.factory({ data: { ...config, ...extraConfig } }),
    ],
  });
}
