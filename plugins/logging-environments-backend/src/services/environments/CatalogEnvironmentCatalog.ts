import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  KUBERNETES_NAMESPACE_ANNOTATION,
  LOGGING_ANNOTATIONS,
  LOGGING_ENVIRONMENT_ENTITY_TYPE,
  Tier,
  TierPolicy,
  isLoggingEnvironmentEntity,
  readEnvironmentRef,
} from '@internal/plugin-logging-environments-common';
import { Environment, EnvironmentCatalog } from '../types';
import { normalizeGroupRef, readTierPolicies } from './tierPolicies';

/**
 * Annotation of an environment entity naming extra approver groups
 * (comma-separated group refs), besides the tier's default groups. Written
 * by the template from its "Extra approver groups" field.
 *
 * @public
 */
export const APPROVER_GROUPS_ANNOTATION =
  'logging-environments.io/approver-groups';

function parseRef(
  entityRef: string,
  defaults: { defaultKind?: string; defaultNamespace?: string } = {},
): CompoundEntityRef {
  try {
    return parseEntityRef(entityRef, {
      defaultNamespace: 'default',
      ...defaults,
    });
  } catch (e) {
    throw new InputError(
      `"${entityRef}" is not an entity reference: ${(e as Error).message}`,
    );
  }
}

/**
 * Reads the extra approver groups of an environment entity. Returns the
 * problems instead when an entry is not a group reference.
 *
 * @internal
 */
export function readApproverGroups(
  entity: Entity,
): { ok: true; groups: string[] } | { ok: false; problems: string[] } {
  const raw = entity.metadata.annotations?.[APPROVER_GROUPS_ANNOTATION];
  if (raw === undefined) return { ok: true, groups: [] };
  const problems: string[] = [];
  const groups: string[] = [];
  for (const part of raw.split(',')) {
    if (!part.trim()) continue;
    const group = normalizeGroupRef(part, entity.metadata.namespace);
    if (group.ok) {
      if (!groups.includes(group.ref)) groups.push(group.ref);
    } else {
      problems.push(
        `annotation ${APPROVER_GROUPS_ANNOTATION}: ${group.problem}`,
      );
    }
  }
  if (problems.length === 0 && groups.length === 0) {
    problems.push(
      `annotation ${APPROVER_GROUPS_ANNOTATION} is set but names no group`,
    );
  }
  return problems.length ? { ok: false, problems } : { ok: true, groups };
}

function ownerOf(entity: Entity): string | undefined {
  const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
  if (typeof owner !== 'string' || !owner) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return undefined;
  }
}

function ownerFilter(owner: string | undefined): string | undefined {
  return owner
    ? stringifyEntityRef(parseRef(owner, { defaultKind: 'group' }))
    : undefined;
}

/** The catalog query for environments of a tier (owners are compared here: `spec.owner` has several spellings). */
function catalogFilter(filter: { tier?: string }) {
  return {
    kind: 'Resource',
    'spec.type': LOGGING_ENVIRONMENT_ENTITY_TYPE,
    ...(filter.tier
      ? { [`metadata.annotations.${LOGGING_ANNOTATIONS.tier}`]: filter.tier }
      : {}),
  };
}

/**
 * The environments, as the catalog has them: Resources of `spec.type:
 * logging-environment`, read with the caller's credentials so the catalog's
 * permissions apply, with the tier policy in force (the configuration's
 * overrides over the defaults) and the entity's extra approver groups.
 *
 * @public
 */
export class CatalogEnvironmentCatalog implements EnvironmentCatalog {
  /** Reads the tier policies from config; throws `InputError` on bad ones. */
  static fromConfig(
    config: Config,
    options: { catalog: CatalogService; logger?: LoggerService },
  ): CatalogEnvironmentCatalog {
    return new CatalogEnvironmentCatalog({
      catalog: options.catalog,
      logger: options.logger,
      policies: readTierPolicies(config),
    });
  }

  private readonly catalog: CatalogService;
  private readonly logger?: LoggerService;
  private readonly policies: Record<Tier, TierPolicy>;

  constructor(options: {
    catalog: CatalogService;
    policies: Record<Tier, TierPolicy>;
    logger?: LoggerService;
  }) {
    this.catalog = options.catalog;
    this.policies = options.policies;
    this.logger = options.logger;
  }

  /** The policy in force for a tier (a copy). */
  policy(tier: Tier): TierPolicy {
    const policy = this.policies[tier];
    return {
      ...policy,
      requiredApprovals: policy.requiredApprovals.map(a => ({ ...a })),
    };
  }

  async get(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Environment> {
    const ref = parseRef(entityRef, { defaultKind: 'resource' });
    const entity = await this.catalog.getEntityByRef(ref, { credentials });
    const name = stringifyEntityRef(ref);
    if (!entity) {
      throw new NotFoundError(`No logging environment ${name}`);
    }
    if (!isLoggingEnvironmentEntity(entity)) {
      throw new NotFoundError(
        `${name} is not a logging environment (a Resource of spec.type "${LOGGING_ENVIRONMENT_ENTITY_TYPE}")`,
      );
    }
    return this.toEnvironment(entity);
  }

  async list(
    credentials: BackstageCredentials,
    filter: { owner?: string; tier?: string } = {},
  ): Promise<Environment[]> {
    const { items } = await this.catalog.getEntities(
      { filter: catalogFilter(filter) },
      { credentials },
    );
    return this.toEnvironments(items, filter).sort((a, b) =>
      a.entityRef.localeCompare(b.entityRef),
    );
  }

  async page(
    credentials: BackstageCredentials,
    filter: { owner?: string; tier?: string },
    page: { limit: number; offset: number },
  ): Promise<{ items: Environment[]; totalItems: number }> {
    if (filter.owner) {
      // Rare; the catalog cannot match every spelling of spec.owner.
      const all = await this.list(credentials, filter);
      return {
        items: all.slice(page.offset, page.offset + page.limit),
        totalItems: all.length,
      };
    }
    const { items, totalItems } = await this.catalog.queryEntities(
      {
        filter: catalogFilter(filter),
        orderFields: [
          { field: 'metadata.namespace', order: 'asc' },
          { field: 'metadata.name', order: 'asc' },
        ],
        limit: page.limit,
        offset: page.offset,
      },
      { credentials },
    );
    return { items: this.toEnvironments(items, filter), totalItems };
  }

  /** Entities to environments; one broken entity does not hide the others. */
  private toEnvironments(
    items: Entity[],
    filter: { owner?: string; tier?: string },
  ): Environment[] {
    const owner = ownerFilter(filter.owner);
    const environments: Environment[] = [];
    for (const entity of items) {
      if (!isLoggingEnvironmentEntity(entity)) continue;
      if (owner && ownerOf(entity) !== owner) continue;
      try {
        const environment = this.toEnvironment(entity);
        if (filter.tier && environment.tier !== filter.tier) continue;
        environments.push(environment);
      } catch (e) {
        // One broken entity must not hide the others; `get` reports it.
        this.logger?.warn(
          `Skipping logging environment ${stringifyEntityRef(entity)}: ${
            (e as Error).message
          }`,
        );
      }
    }
    return environments;
  }

  async forService(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<{
    service: { entityRef: string; namespace?: string };
    environment?: Environment;
  }> {
    const ref = parseRef(entityRef, { defaultKind: 'component' });
    const entity = await this.catalog.getEntityByRef(ref, { credentials });
    if (!entity) {
      throw new NotFoundError(`No entity ${stringifyEntityRef(ref)}`);
    }
    const serviceRef = stringifyEntityRef(entity);
    const annotations = entity.metadata.annotations ?? {};
    const namespace =
      annotations[KUBERNETES_NAMESPACE_ANNOTATION]?.trim() || undefined;
    const service = { entityRef: serviceRef, namespace };
    const target = annotations[LOGGING_ANNOTATIONS.environment]?.trim();
    if (!target) return { service };

    let environmentRef: CompoundEntityRef;
    try {
      environmentRef = parseEntityRef(target, {
        defaultKind: 'resource',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      });
    } catch (e) {
      throw new InputError(
        `${serviceRef}: annotation ${
          LOGGING_ANNOTATIONS.environment
        } is not an entity reference: ${(e as Error).message}`,
      );
    }
    try {
      const environment = await this.get(
        stringifyEntityRef(environmentRef),
        credentials,
      );
      return { service, environment };
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof InputError) {
        const Err = e instanceof NotFoundError ? NotFoundError : InputError;
        throw new Err(
          `${serviceRef} names logging environment ${stringifyEntityRef(
            environmentRef,
          )} (annotation ${LOGGING_ANNOTATIONS.environment}): ${e.message}`,
        );
      }
      throw e;
    }
  }

  private toEnvironment(entity: Entity): Environment {
    const read = readEnvironmentRef(entity);
    const groups = readApproverGroups(entity);
    const problems = [
      ...(read.ok ? [] : read.problems),
      ...(groups.ok ? [] : groups.problems),
    ];
    if (!read.ok || !groups.ok) {
      throw new InputError(
        `${stringifyEntityRef(
          entity,
        )} is not a usable logging environment: ${problems.join('; ')}`,
      );
    }
    return {
      ...read.value,
      title: entity.metadata.title,
      owner: ownerOf(entity),
      policy: this.policy(read.value.tier),
      approverGroups: groups.groups,
    };
  }
}
