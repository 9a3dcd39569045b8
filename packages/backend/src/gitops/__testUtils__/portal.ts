import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Sandbox } from '@internal/sandbox';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The backend configuration an adopter would write for the sandbox: the
 * cluster through its kubeconfig and Argo CD API, AWS through
 * integration-aws-node with the endpoint override, the GitOps repository
 * with credentials and a URL the catalog can read files from.
 */
export async function sandboxConfig(
  sandbox: Sandbox,
): Promise<Record<string, any>> {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-files-'));
  await sandbox.writeFiles(dir);
  const gitHost = new URL(sandbox.git.url).host;
  return {
    backend: {
      baseUrl: 'http://localhost:7007',
      reading: { allow: [{ host: gitHost }] },
    },
    aws: {
      mainAccount: {
        accessKeyId: sandbox.aws.accessKeyId,
        secretAccessKey: sandbox.aws.secretAccessKey,
      },
    },
    loggingEnvironments: {
      aws: { endpoint: sandbox.aws.url, maxAttempts: 4 },
      gitops: {
        repoUrl: sandbox.git.url,
        branch: 'main',
        username: 'backstage',
        password: sandbox.kube.token,
        browseUrl: `${sandbox.git.url}/raw/main`,
      },
      clusters: [
        {
          name: 'sandbox',
          kubeconfig: join(dir, 'kubeconfig'),
          argocdUrl: sandbox.argocd.url,
          argocdToken: sandbox.argocd.token,
        },
      ],
    },
  };
}

/** A test backend with the given features on the sandbox configuration. */
export async function startPortalBackend(
  sandbox: Sandbox,
  features: any[],
  extraConfig: Record<string, any> = {},
) {
  const config = await sandboxConfig(sandbox);
  return startTestBackend({
    features: [
      ...features,
      mockServices.rootConfig.factory({ data: { ...config, ...extraConfig } }),
    ],
  });
}
