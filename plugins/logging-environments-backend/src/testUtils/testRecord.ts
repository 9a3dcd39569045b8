import {
  EnvironmentRecord,
  Tier,
  environmentLayout,
} from '@internal/plugin-logging-environments-common';

/** A registered environment's record, as a bootstrap writes it. */
export function testRecord(
  overrides: Partial<EnvironmentRecord> & { name?: string; tier?: Tier } = {},
): Omit<EnvironmentRecord, 'createdAt' | 'updatedAt'> {
  const name = overrides.name ?? 'acme-prod';
  const layout = environmentLayout(name);
  return {
    entityRef: layout.entityRef,
    name,
    tier: overrides.tier ?? 'production',
    cluster: 'sandbox',
    namespace: layout.namespace,
    argocdNamespace: layout.argocdNamespace,
    project: layout.project,
    applications: {
      infrastructure: {
        name: layout.applications.infrastructure,
        uid: `${name}-infra-uid`,
      },
      forwarder: {
        name: layout.applications.forwarder,
        uid: `${name}-fwd-uid`,
      },
    },
    owner: 'group:default/platform-team',
    requester: 'user:default/requester',
    region: 'us-east-2',
    bucket: `${name}-loki`,
    secret: `logging/${name}/loki-s3`,
    gitopsPath: layout.gitopsPath,
    extraApprovers: {},
    state: 'registered',
    updatedBy: 'user:default/requester',
    ...overrides,
  };
}
