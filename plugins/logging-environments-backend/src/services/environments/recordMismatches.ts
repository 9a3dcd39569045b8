/**
 * Whether a catalog entity agrees with its environment's trusted record:
 * the entity only shows the facts, so each `logging-environments.io/*`
 * annotation it carries, and its owner, must say what the record says.
 */
import { Entity } from '@backstage/catalog-model';
import {
  EnvironmentRecord,
  LOGGING_ANNOTATIONS,
  normalizeEntityRef,
  annotationMismatchMessage,
} from '@internal/plugin-logging-environments-common';
import { normalizeRef } from '../approvals/gate';

/**
 * Annotation of an environment entity naming its extra approver groups
 * (comma-separated group refs). Only shown; the record holds the groups.
 *
 * @public
 */
export const APPROVER_GROUPS_ANNOTATION =
  'logging-environments.io/approver-groups';

function refsOf(list: string | undefined, kind: 'group' | 'user') {
  return (list ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
    .map(s => normalizeRef(s, kind))
    .sort();
}

/**
 * Where an entity disagrees with its record, one line per fact: each
 * `logging-environments.io/*` annotation the entity carries, and its
 * `spec.owner`, must say what the record says. Annotations the entity does
 * not carry are fine: the record holds the facts, the entity only shows
 * them.
 *
 * @public
 */
export function recordMismatches(
  entity: Entity,
  record: EnvironmentRecord,
): string[] {
  const a = entity.metadata.annotations ?? {};
  const problems: string[] = [];
  const compare = (key: string, recorded: string, given?: string) => {
    if (given !== undefined && given !== recorded) {
      problems.push(annotationMismatchMessage(key, given, recorded));
    }
  };
  compare(LOGGING_ANNOTATIONS.tier, record.tier, a[LOGGING_ANNOTATIONS.tier]);
  compare(
    LOGGING_ANNOTATIONS.cluster,
    record.cluster,
    a[LOGGING_ANNOTATIONS.cluster],
  );
  compare(
    LOGGING_ANNOTATIONS.namespace,
    record.namespace,
    a[LOGGING_ANNOTATIONS.namespace],
  );
  compare(
    LOGGING_ANNOTATIONS.argocdNamespace,
    record.argocdNamespace,
    a[LOGGING_ANNOTATIONS.argocdNamespace],
  );
  const apps = a[LOGGING_ANNOTATIONS.argocdApps];
  compare(
    LOGGING_ANNOTATIONS.argocdApps,
    `${record.applications.infrastructure.name},${record.applications.forwarder.name}`,
    apps === undefined
      ? undefined
      : apps
          .split(',')
          .map(s => s.trim())
          .join(','),
  );
  compare(
    LOGGING_ANNOTATIONS.region,
    record.region,
    a[LOGGING_ANNOTATIONS.region],
  );
  compare(
    LOGGING_ANNOTATIONS.bucket,
    record.bucket,
    a[LOGGING_ANNOTATIONS.bucket],
  );
  compare(
    LOGGING_ANNOTATIONS.secret,
    record.secret,
    a[LOGGING_ANNOTATIONS.secret],
  );
  compare(
    LOGGING_ANNOTATIONS.gitopsPath,
    record.gitopsPath,
    a[LOGGING_ANNOTATIONS.gitopsPath],
  );
  const requester = a[LOGGING_ANNOTATIONS.requester];
  if (
    requester !== undefined &&
    normalizeRef(requester, 'user') !== normalizeRef(record.requester, 'user')
  ) {
    problems.push(
      annotationMismatchMessage(
        LOGGING_ANNOTATIONS.requester,
        requester,
        record.requester,
      ),
    );
  }
  const groups = a[APPROVER_GROUPS_ANNOTATION];
  const recordedGroups = [
    ...new Set(
      Object.values(record.extraApprovers)
        .flat()
        .map(g => normalizeRef(g, 'group')),
    ),
  ].sort();
  if (
    groups !== undefined &&
    refsOf(groups, 'group').join(',') !== recordedGroups.join(',')
  ) {
    problems.push(
      annotationMismatchMessage(
        APPROVER_GROUPS_ANNOTATION,
        groups,
        recordedGroups.join(',') || '(none)',
      ),
    );
  }
  const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
  if (typeof owner === 'string' && owner) {
    const ownerRef =
      normalizeEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace,
      }) ?? owner;
    if (ownerRef !== normalizeRef(record.owner, 'group')) {
      problems.push(
        `spec.owner says "${owner}", the record says "${record.owner}"`,
      );
    }
  }
  return problems;
}
