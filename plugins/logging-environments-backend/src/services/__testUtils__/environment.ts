import {
  DEFAULT_TIER_POLICIES,
  Tier,
  applicationNames,
} from '@internal/plugin-logging-environments-common';
import { Environment } from '../types';

/** An environment as the catalog would give it, for service tests. */
export function testEnvironment(
  overrides: Partial<Environment> & { name?: string; tier?: Tier } = {},
): Environment {
  const name = overrides.name ?? 'acme-prod';
  const tier = overrides.tier ?? 'production';
  return {
    entityRef: `resource:default/${name}`,
    name,
    tier,
    cluster: 'sandbox',
    namespace: 'openshift-logging',
    argocdNamespace: 'openshift-gitops',
    applications: applicationNames(name),
    region: 'us-east-1',
    bucket: `${name}-loki`,
    secret: `logging/${name}/loki-s3`,
    gitopsPath: `environments/${name}`,
    requester: 'user:default/requester',
    policy: DEFAULT_TIER_POLICIES[tier],
    approverGroups: [],
    ...overrides,
  };
}
