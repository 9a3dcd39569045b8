import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  LOGGING_ANNOTATIONS,
  LOGGING_ENVIRONMENT_ENTITY_TYPE,
} from './annotations';
import { isTier, Tier } from './tiers';
import { applicationNames } from './wavePlan';

/**
 * What an environment entity's annotations say about it.
 *
 * @public
 */
export interface EnvironmentRef {
  entityRef: string;
  name: string;
  tier: Tier;
  cluster: string;
  namespace: string;
  argocdNamespace: string;
  applications: { infrastructure: string; forwarder: string };
  region?: string;
  bucket?: string;
  secret?: string;
  gitopsPath?: string;
  requester?: string;
}

/**
 * Annotations an environment entity must carry.
 *
 * @public
 */
export const REQUIRED_ENVIRONMENT_ANNOTATIONS = [
  LOGGING_ANNOTATIONS.cluster,
  LOGGING_ANNOTATIONS.tier,
] as const;

/**
 * Whether the entity is a logging environment (a Resource of type
 * `logging-environment`), whatever its annotations.
 *
 * @public
 */
export function isLoggingEnvironmentEntity(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    (entity.spec as { type?: unknown } | undefined)?.type ===
      LOGGING_ENVIRONMENT_ENTITY_TYPE
  );
}

/**
 * Reads an environment entity's annotations. Returns the problems instead
 * when a required annotation is missing or invalid.
 *
 * @public
 */
export function readEnvironmentRef(
  entity: Entity,
): { ok: true; value: EnvironmentRef } | { ok: false; problems: string[] } {
  const a = entity.metadata.annotations ?? {};
  const problems: string[] = [];
  if (!isLoggingEnvironmentEntity(entity)) {
    problems.push(
      `entity is not a Resource of spec.type "${LOGGING_ENVIRONMENT_ENTITY_TYPE}"`,
    );
  }
  for (const key of REQUIRED_ENVIRONMENT_ANNOTATIONS) {
    if (!a[key]) problems.push(`annotation ${key} is missing`);
  }
  const tier = a[LOGGING_ANNOTATIONS.tier];
  if (tier && !isTier(tier)) {
    problems.push(
      `annotation ${LOGGING_ANNOTATIONS.tier} must be development, staging or production, not "${tier}"`,
    );
  }
  const apps = (a[LOGGING_ANNOTATIONS.argocdApps] ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
  if (a[LOGGING_ANNOTATIONS.argocdApps] !== undefined && apps.length !== 2) {
    problems.push(
      `annotation ${LOGGING_ANNOTATIONS.argocdApps} must name two Applications, infrastructure first`,
    );
  }
  if (problems.length > 0) return { ok: false, problems };

  const defaults = applicationNames(entity.metadata.name);
  return {
    ok: true,
    value: {
      entityRef: stringifyEntityRef(entity),
      name: entity.metadata.name,
      tier: tier as Tier,
      cluster: a[LOGGING_ANNOTATIONS.cluster],
      namespace: a[LOGGING_ANNOTATIONS.namespace] ?? 'openshift-logging',
      argocdNamespace:
        a[LOGGING_ANNOTATIONS.argocdNamespace] ?? 'openshift-gitops',
      applications:
        apps.length === 2
          ? { infrastructure: apps[0], forwarder: apps[1] }
          : defaults,
      region: a[LOGGING_ANNOTATIONS.region],
      bucket: a[LOGGING_ANNOTATIONS.bucket],
      secret: a[LOGGING_ANNOTATIONS.secret],
      gitopsPath: a[LOGGING_ANNOTATIONS.gitopsPath],
      requester: a[LOGGING_ANNOTATIONS.requester],
    },
  };
}
