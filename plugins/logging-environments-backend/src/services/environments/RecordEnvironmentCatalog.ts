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
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  EnvironmentRecord,
  KUBERNETES_NAMESPACE_ANNOTATION,
  LOGGING_ANNOTATIONS,
  LOGGING_ENVIRONMENT_ENTITY_TYPE,
  Tier,
  TierPolicy,
  isLoggingEnvironmentEntity,
  normalizeEntityRef,
  recordedApplicationNames,
  notRegisteredMessage,
  recordMismatchMessage,
} from '@internal/plugin-logging-environments-common';
import { EnvironmentRecordsStore } from '../../database/EnvironmentRecordsStore';
import { Environment, EnvironmentCatalog } from '../types';
import { recordMismatches } from './recordMismatches';
import { readTierPolicies } from './tierPolicies';

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
 * What the environments read from configuration: the tier policies and the
 * GitOps repository every environment's Applications must read.
 */
export function readEnvironmentSettings(config: Config): {
  policies: Record<Tier, TierPolicy>;
  gitops: { repoUrl: string; branch: string };
} {
  return {
    policies: readTierPolicies(config),
    gitops: {
      repoUrl: config.getString('loggingEnvironments.gitops.repoUrl'),
      branch:
        config.getOptionalString('loggingEnvironments.gitops.branch') ?? 'main',
    },
  };
}

/**
 * The environments: trusted records (the plugin's database), seen through
 * their catalog entities.
 *
 * @remarks
 * An entity is read with the caller's credentials, so the catalog's
 * permissions decide who sees it; the record decides everything else. An
 * entity without a record is "not registered" (NotFoundError) and one that
 * disagrees with its record "does not match" (ConflictError): nothing acts
 * on either. The tier policy comes from configuration alone.
 *
 * @public
 */
export class RecordEnvironmentCatalog implements EnvironmentCatalog {
  private readonly catalog: CatalogService;
  private readonly records: EnvironmentRecordsStore;
  private readonly logger?: LoggerService;
  private readonly policies: Record<Tier, TierPolicy>;
  private readonly gitops: { repoUrl: string; branch: string };

  constructor(options: {
    catalog: CatalogService;
    records: EnvironmentRecordsStore;
    policies: Record<Tier, TierPolicy>;
    gitops: { repoUrl: string; branch: string };
    logger?: LoggerService;
  }) {
    this.catalog = options.catalog;
    this.records = options.records;
    this.policies = options.policies;
    this.gitops = options.gitops;
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

  /** The environment a record describes, titled by its entity when known. */
  toEnvironment(record: EnvironmentRecord, entity?: Entity): Environment {
    return {
      entityRef: record.entityRef,
      name: record.name,
      title: entity?.metadata.title,
      tier: record.tier,
      cluster: record.cluster,
      namespace: record.namespace,
      argocdNamespace: record.argocdNamespace,
      project: record.project,
      applications: recordedApplicationNames(record),
      applicationUids: {
        ...(record.applications.infrastructure.uid
          ? { infrastructure: record.applications.infrastructure.uid }
          : {}),
        ...(record.applications.forwarder.uid
          ? { forwarder: record.applications.forwarder.uid }
          : {}),
      },
      region: record.region,
      bucket: record.bucket,
      secret: record.secret,
      gitopsPath: record.gitopsPath,
      owner: record.owner,
      requester: record.requester,
      policy: this.policy(record.tier),
      extraApprovers: record.extraApprovers,
      state: record.state,
      gitops: { ...this.gitops },
    };
  }

  async get(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Environment> {
    const ref = parseRef(entityRef, { defaultKind: 'resource' });
    const name = stringifyEntityRef(ref);
    const entity = await this.catalog.getEntityByRef(ref, { credentials });
    if (!entity) {
      throw new NotFoundError(`No logging environment ${name}`);
    }
    if (!isLoggingEnvironmentEntity(entity)) {
      throw new NotFoundError(
        `${name} is not a logging environment (a Resource of spec.type "${LOGGING_ENVIRONMENT_ENTITY_TYPE}")`,
      );
    }
    return this.view(entity, await this.records.get(name));
  }

  /** The environment an entity shows, or why it shows none. */
  private view(
    entity: Entity,
    record: EnvironmentRecord | undefined,
  ): Environment {
    const name = stringifyEntityRef(entity);
    if (!record) {
      throw new NotFoundError(notRegisteredMessage(name));
    }
    const mismatches = recordMismatches(entity, record);
    if (mismatches.length > 0) {
      throw new ConflictError(recordMismatchMessage(name, mismatches));
    }
    return this.toEnvironment(record, entity);
  }

  async list(
    credentials: BackstageCredentials,
    filter: { owner?: string; tier?: string } = {},
  ): Promise<Environment[]> {
    const records = await this.records.list(this.recordFilter(filter));
    return this.visible(records, credentials);
  }

  async page(
    credentials: BackstageCredentials,
    filter: { owner?: string; tier?: string },
    page: { limit: number; offset: number },
  ): Promise<{ items: Environment[]; totalItems: number }> {
    const { items, totalItems } = await this.records.page(
      this.recordFilter(filter),
      page,
    );
    return { items: await this.visible(items, credentials), totalItems };
  }

  async registered(): Promise<Environment[]> {
    const records = await this.records.list({ state: 'registered' });
    return records.map(r => this.toEnvironment(r));
  }

  async registeredOne(entityRef: string): Promise<Environment | undefined> {
    const [environment] = await this.byRefs([entityRef]);
    return environment?.state === 'registered' ? environment : undefined;
  }

  async byRefs(entityRefs: string[]): Promise<Array<Environment | undefined>> {
    return Promise.all(
      entityRefs.map(async ref => {
        const key = normalizeEntityRef(ref, { defaultKind: 'resource' });
        if (!key) return undefined;
        const record = await this.records.get(key);
        return record ? this.toEnvironment(record) : undefined;
      }),
    );
  }

  private recordFilter(filter: { owner?: string; tier?: string }) {
    return {
      ...(filter.tier ? { tier: filter.tier as Tier } : {}),
      ...(filter.owner
        ? {
            owner: stringifyEntityRef(
              parseRef(filter.owner, { defaultKind: 'group' }),
            ),
          }
        : {}),
    };
  }

  /**
   * The records whose entity the caller can see and that match it, in the
   * records' order; one broken entity does not hide the others.
   */
  private async visible(
    records: EnvironmentRecord[],
    credentials: BackstageCredentials,
  ): Promise<Environment[]> {
    if (records.length === 0) return [];
    const { items } = await this.catalog.getEntitiesByRefs(
      { entityRefs: records.map(r => r.entityRef) },
      { credentials },
    );
    const environments: Environment[] = [];
    records.forEach((record, i) => {
      const entity = items[i];
      if (!entity || !isLoggingEnvironmentEntity(entity)) return;
      try {
        environments.push(this.view(entity, record));
      } catch (e) {
        this.logger?.warn(
          `Not listing ${record.entityRef}: ${(e as Error).message}`,
        );
      }
    });
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
      if (
        e instanceof NotFoundError ||
        e instanceof InputError ||
        e instanceof ConflictError
      ) {
        let Err:
          | typeof NotFoundError
          | typeof ConflictError
          | typeof InputError;
        if (e instanceof NotFoundError) Err = NotFoundError;
        else if (e instanceof ConflictError) Err = ConflictError;
        else Err = InputError;
        throw new Err(
          `${serviceRef} names logging environment ${stringifyEntityRef(
            environmentRef,
          )} (annotation ${LOGGING_ANNOTATIONS.environment}): ${e.message}`,
        );
      }
      throw e;
    }
  }
}
