import {
  DEFAULT_TIER_POLICIES,
  Tier,
  applicationNames,
} from '@internal/plugin-logging-environments-common';
import { Environment } from '../services/types';

/** An environment as its record gives it, for service tests. */
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
    project: `${name}-logging`,
    applications: applicationNames(name),
    applicationUids: {},
    region: 'us-east-1',
    bucket: `${name}-loki`,
    secret: `logging/${name}/loki-s3`,
    gitopsPath: `environments/${name}`,
    owner: 'group:default/platform-team',
    requester: 'user:default/requester',
    policy: DEFAULT_TIER_POLICIES[tier],
    extraApprovers: {},
    state: 'registered',
    gitops: { repoUrl: 'http://git.example.com/gitops.git', branch: 'main' },
    ...overrides,
  };
}
