/**
 * The environment's LokiStack as the cluster holds it: Ready, tracked by
 * the `acme-prod` infrastructure Application (Argo CD's tracking annotation).
 */
export function lokiStack(overrides: Record<string, any> = {}) {
  return {
    metadata: {
      name: 'logging-loki',
      namespace: 'openshift-logging',
      annotations: {
        'argocd.argoproj.io/tracking-id':
          'acme-prod-logging-infrastructure:loki.grafana.com/LokiStack:openshift-logging/logging-loki',
      },
      ...overrides.metadata,
    },
    spec: { size: '1x.demo' },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      ...overrides.status,
    },
  };
}
