/**
 * The sample service whose logs go to the environment: its catalog entity
 * and its logging health.
 */
import { Entity } from '@backstage/catalog-model';
import { ServiceHealth } from '@internal/plugin-logging-environments-common';
import { EARLIER, ENVIRONMENT_REF, REVISION } from './common';

/** The sample service whose logs go to the environment. */
export function serviceEntity(annotations?: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'checkout',
      namespace: 'default',
      annotations: annotations ?? {
        'logging-environments.io/environment': ENVIRONMENT_REF,
        'backstage.io/kubernetes-namespace': 'checkout',
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/checkout-team',
    },
  };
}

/** The health of the sample service, all well unless overridden. */
export function serviceHealth(
  overrides: Partial<ServiceHealth> = {},
): ServiceHealth {
  return {
    entityRef: 'component:default/checkout',
    environment: {
      entityRef: ENVIRONMENT_REF,
      name: 'acme-prod',
      tier: 'production',
      cluster: 'sandbox',
    },
    namespace: 'checkout',
    collected: 'yes',
    lokiStack: { health: 'Healthy', message: 'All components ready' },
    forwarder: { health: 'Healthy', message: 'Ready' },
    lastSync: { revision: REVISION, phase: 'Succeeded', finishedAt: EARLIER },
    links: {
      environment: '/catalog/default/resource/acme-prod/logging',
      logs: 'https://console.example.com/dev-monitoring/ns/checkout/logs',
    },
    ...overrides,
  };
}
