/**
 * The portal's configuration for a running sandbox: the sandbox-specific and
 * secret values the backend needs on top of the repository's
 * `app-config.yaml` (which names the sandbox's fixed ports but holds no
 * credentials). Written by `yarn sandbox` to `.sandbox/app-config.yaml`
 * (mode 0600) and loaded by `yarn start` as the backend's last config file.
 */
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Sandbox } from './index';
import { writeFileAtomic } from './state';

/** Name of the file {@link writePortalConfig} writes. */
export const PORTAL_CONFIG_FILE = 'app-config.yaml';

/** Name of the sandbox cluster, as `app-config.yaml` and environments name it. */
export const SANDBOX_CLUSTER_NAME = 'sandbox';

/** User name the portal presents to the sandbox's git server (any is accepted). */
export const SANDBOX_GIT_USERNAME = 'sandbox';

const HEADER = `# Written by the sandbox (yarn sandbox / yarn start) on every start: the
# portal backend's sandbox endpoints and credentials, loaded after
# app-config.yaml. Holds secrets: keep it mode 0600, never commit it.
# loggingEnvironments.clusters replaces the list of app-config.yaml (Backstage
# does not merge arrays), so the sandbox cluster is repeated in full here,
# followed by the further clusters (yarn sandbox --clusters).
`;

/**
 * The configuration (as data) that points the portal's backend at the
 * sandbox: AWS credentials for `@backstage/integration-aws-node` and the AWS
 * endpoint, the clusters with their kubeconfigs and Argo CD APIs, and the GitOps
 * repository with the credentials to publish to it.
 */
export function portalConfig(
  sandbox: Pick<Sandbox, 'aws' | 'argocd' | 'git' | 'kube'> &
    Partial<Pick<Sandbox, 'clusters'>>,
  options: { kubeconfigPath: string },
): Record<string, unknown> {
  return {
    // The catalog reads the environments' catalog-info.yaml from the git
    // server's raw URLs, which Backstage's URL reader must be allowed to.
    backend: {
      reading: { allow: [{ host: new URL(sandbox.git.url).host }] },
    },
    aws: {
      mainAccount: {
        accessKeyId: sandbox.aws.accessKeyId,
        secretAccessKey: sandbox.aws.secretAccessKey,
      },
    },
    loggingEnvironments: {
      // Loki reaches S3 over TLS (the bucket's policy refuses anything
      // else), as it would in production.
      aws: { endpoint: sandbox.aws.url, storageEndpoint: sandbox.aws.httpsUrl },
      gitops: {
        repoUrl: sandbox.git.url,
        branch: 'main',
        browseUrl: `${sandbox.git.url}/raw/main`,
        username: SANDBOX_GIT_USERNAME,
        // One token serves every sandbox API, the git server's Basic auth included.
        password: sandbox.kube.token,
      },
      clusters: [
        {
          name: SANDBOX_CLUSTER_NAME,
          kubeconfig: options.kubeconfigPath,
          argocdUrl: sandbox.argocd.url,
          argocdToken: sandbox.argocd.token,
        },
        // Further clusters: kubeconfig-<name> beside the first's kubeconfig.
        ...(sandbox.clusters ?? []).map(cluster => ({
          name: cluster.name,
          kubeconfig: join(
            dirname(options.kubeconfigPath),
            `kubeconfig-${cluster.name}`,
          ),
          argocdUrl: cluster.argocd.url,
          argocdToken: cluster.argocd.token,
        })),
      ],
    },
  };
}

/**
 * Writes {@link portalConfig} to `<dir>/app-config.yaml`, mode 0600, next to
 * the `kubeconfig` that `Sandbox.writeFiles(dir)` writes (which it names by
 * absolute path, so the backend's working directory does not matter).
 * Returns the file's path.
 */
export async function writePortalConfig(
  sandbox: Pick<Sandbox, 'aws' | 'argocd' | 'git' | 'kube' | 'clusters'>,
  dir: string,
): Promise<string> {
  const file = join(dir, PORTAL_CONFIG_FILE);
  const config = portalConfig(sandbox, {
    kubeconfigPath: join(dir, 'kubeconfig'),
  });
  await writeFileAtomic(file, `${HEADER}${stringify(config)}`);
  return file;
}
