import { stringify } from 'yaml';

/** What a kubeconfig for the sandbox's API server needs. */
export interface KubeconfigOptions {
  /** The API server URL, e.g. from `startKubeApiServer`. */
  url: string;
  /** Bearer token. */
  token: string;
  /** Base64 PEM CA of an HTTPS server (`KubeApiServer.caData`). */
  caData?: string;
  /** Name of the cluster, user and context; `sandbox` by default. */
  name?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

/**
 * A kubeconfig (YAML) with one cluster, user and context for the sandbox,
 * for kubectl and `KubeConfig.loadFromFile`.
 */
export function kubeconfigYaml(options: KubeconfigOptions): string {
  const name = options.name ?? 'sandbox';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: options.url,
          ...(options.caData
            ? { 'certificate-authority-data': options.caData }
            : {}),
        },
      },
    ],
    users: [{ name, user: { token: options.token } }],
    contexts: [
      {
        name,
        context: {
          cluster: name,
          user: name,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    'current-context': name,
    preferences: {},
  });
}
