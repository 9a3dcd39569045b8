import {
  ClusterClient,
  ClusterRegistry,
  kubeStatus,
  networkErrorCode,
} from '@internal/plugin-logging-environments-node';

/**
 * Gives a Kubernetes client for a configured cluster; throws `NotFoundError`
 * for an unknown cluster name.
 *
 * @public
 */
export type ClusterClientProvider = (cluster: string) => ClusterClient;

/**
 * A {@link ClusterClientProvider} over a cluster registry. The kubeconfig is
 * read on every call (it is cheap), so a rewritten kubeconfig is picked up.
 *
 * @public
 */
export function registryClusterClients(
  clusters: ClusterRegistry,
): ClusterClientProvider {
  return cluster => ClusterClient.fromKubeConfig(clusters.kubeConfig(cluster));
}

/**
 * Says why a Kubernetes call failed, in one line: unreachable (with the
 * network error), or the API server's answer (code, reason, message).
 *
 * @internal
 */
export function describeKubeError(
  error: unknown,
  where: { cluster: string; server?: string },
): string {
  const status = kubeStatus(error);
  const at = `cluster "${where.cluster}"${
    where.server ? ` (${where.server})` : ''
  }`;
  if (status.code === undefined) {
    const code = networkErrorCode(error);
    if (code) {
      return `${at} is unreachable: ${status.message ?? code}`;
    }
    return `${at}: ${status.message ?? String(error)}`;
  }
  return `${at} answered ${status.code}${
    status.reason ? ` ${status.reason}` : ''
  }: ${status.message ?? ''}`.trim();
}
