import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import {
  EnvironmentRecord,
  EnvironmentRecordState,
  Tier,
} from '@internal/plugin-logging-environments-common';
import { Knex } from 'knex';
import { migrateLoggingEnvironmentsDatabase } from './migrate';
import {
  EnvironmentRecordsStore,
  takenFactConflict,
} from './EnvironmentRecordsStore';
import { DbTimestamp, isUniqueViolation, parseJson, toIso } from './util';

type RecordRow = {
  entity_ref: string;
  name: string;
  cluster: string;
  tier: Tier;
  namespace: string;
  argocd_namespace: string;
  project: string;
  infrastructure_app: string;
  infrastructure_uid: string | null;
  forwarder_app: string;
  forwarder_uid: string | null;
  owner: string;
  requester: string;
  region: string;
  bucket: string;
  secret: string;
  gitops_path: string;
  extra_approvers: string;
  state: EnvironmentRecordState;
  created_at: DbTimestamp;
  updated_at: DbTimestamp;
  updated_by: string;
};

const TABLE = 'environment_records';

/** The fields of a record stored as they are, and their columns. */
const PLAIN_COLUMNS = {
  entityRef: 'entity_ref',
  name: 'name',
  tier: 'tier',
  cluster: 'cluster',
  namespace: 'namespace',
  argocdNamespace: 'argocd_namespace',
  project: 'project',
  owner: 'owner',
  requester: 'requester',
  region: 'region',
  bucket: 'bucket',
  secret: 'secret',
  gitopsPath: 'gitops_path',
  state: 'state',
  updatedBy: 'updated_by',
} as const satisfies Partial<Record<keyof EnvironmentRecord, keyof RecordRow>>;

type PlainField = keyof typeof PLAIN_COLUMNS;

const PLAIN_FIELDS = Object.keys(PLAIN_COLUMNS) as PlainField[];

function toRecord(row: RecordRow): EnvironmentRecord {
  const plain = Object.fromEntries(
    PLAIN_FIELDS.map(field => [field, row[PLAIN_COLUMNS[field]]]),
  ) as Pick<EnvironmentRecord, PlainField>;
  return {
    ...plain,
    applications: {
      infrastructure: {
        name: row.infrastructure_app,
        ...(row.infrastructure_uid ? { uid: row.infrastructure_uid } : {}),
      },
      forwarder: {
        name: row.forwarder_app,
        ...(row.forwarder_uid ? { uid: row.forwarder_uid } : {}),
      },
    },
    extraApprovers:
      parseJson<Record<string, string[]>>(row.extra_approvers) ?? {},
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** The columns of a (partial) record, for inserts and updates. */
function toColumns(
  record: Partial<Omit<EnvironmentRecord, 'createdAt' | 'updatedAt'>>,
): Partial<RecordRow> {
  const columns: Record<string, unknown> = {};
  for (const field of PLAIN_FIELDS) {
    if (record[field] !== undefined) {
      columns[PLAIN_COLUMNS[field]] = record[field];
    }
  }
  if (record.applications) {
    const { infrastructure, forwarder } = record.applications;
    columns.infrastructure_app = infrastructure.name;
    columns.infrastructure_uid = infrastructure.uid ?? null;
    columns.forwarder_app = forwarder.name;
    columns.forwarder_uid = forwarder.uid ?? null;
  }
  if (record.extraApprovers) {
    columns.extra_approvers = JSON.stringify(record.extraApprovers);
  }
  return columns as Partial<RecordRow>;
}

/**
 * The Knex implementation of {@link EnvironmentRecordsStore}, on SQLite and
 * PostgreSQL. One environment per name, cluster and bucket is kept by unique
 * indexes; updates are compare-and-set on `updated_at`.
 *
 * @internal
 */
export class DatabaseEnvironmentRecordsStore
  implements EnvironmentRecordsStore
{
  private constructor(private readonly db: Knex) {}

  /** Connects to the plugin's database and runs the migrations unless skipped. */
  static async create({
    database,
  }: {
    database: DatabaseService;
  }): Promise<DatabaseEnvironmentRecordsStore> {
    return new DatabaseEnvironmentRecordsStore(
      await migrateLoggingEnvironmentsDatabase(database),
    );
  }

  async get(entityRef: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.db<RecordRow>(TABLE)
      .where({ entity_ref: entityRef.toLocaleLowerCase('en-US') })
      .first();
    return row ? toRecord(row) : undefined;
  }

  async getByCluster(cluster: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.db<RecordRow>(TABLE).where({ cluster }).first();
    return row ? toRecord(row) : undefined;
  }

  async getByBucket(bucket: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.db<RecordRow>(TABLE).where({ bucket }).first();
    return row ? toRecord(row) : undefined;
  }

  private filtered(filter: {
    tier?: Tier;
    owner?: string;
    state?: EnvironmentRecordState;
  }) {
    const query = this.db<RecordRow>(TABLE);
    if (filter.tier) query.where({ tier: filter.tier });
    if (filter.owner) {
      query.where({ owner: filter.owner.toLocaleLowerCase('en-US') });
    }
    if (filter.state) query.where({ state: filter.state });
    return query;
  }

  async list(
    filter: {
      tier?: Tier;
      owner?: string;
      state?: EnvironmentRecordState;
    } = {},
  ): Promise<EnvironmentRecord[]> {
    const rows = await this.filtered(filter).orderBy('entity_ref', 'asc');
    return rows.map(toRecord);
  }

  async page(
    filter: { tier?: Tier; owner?: string },
    page: { limit: number; offset: number },
  ): Promise<{ items: EnvironmentRecord[]; totalItems: number }> {
    const [rows, [{ count }]] = await Promise.all([
      this.filtered(filter)
        .orderBy('entity_ref', 'asc')
        .limit(page.limit)
        .offset(page.offset),
      this.filtered(filter).count({ count: '*' }) as unknown as Promise<
        Array<{ count: number | string }>
      >,
    ]);
    return { items: rows.map(toRecord), totalItems: Number(count) };
  }

  async create(
    record: Omit<EnvironmentRecord, 'createdAt' | 'updatedAt'>,
  ): Promise<EnvironmentRecord> {
    const now = new Date();
    const row = {
      ...toColumns({
        ...record,
        // Entity refs, owners and requesters compare case-insensitively.
        entityRef: record.entityRef.toLocaleLowerCase('en-US'),
        owner: record.owner.toLocaleLowerCase('en-US'),
        requester: record.requester.toLocaleLowerCase('en-US'),
      }),
      created_at: now,
      updated_at: now,
    } as RecordRow;
    try {
      await this.db<RecordRow>(TABLE).insert(row);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Say which fact is taken, as the claim does.
      const [byName, byCluster, byBucket] = await Promise.all([
        this.get(row.entity_ref),
        this.getByCluster(row.cluster),
        this.getByBucket(row.bucket),
      ]);
      if (byName) {
        throw new ConflictError(
          `name: the logging environment ${row.name} already exists`,
        );
      }
      throw (
        takenFactConflict(row, { byCluster, byBucket }) ??
        new ConflictError(
          `the record of ${row.name} conflicts with a concurrent change; try again`,
        )
      );
    }
    return toRecord(row);
  }

  async update(
    entityRef: string,
    expectedUpdatedAt: string,
    patch: Partial<
      Omit<EnvironmentRecord, 'entityRef' | 'name' | 'createdAt' | 'updatedAt'>
    > & { updatedBy: string },
  ): Promise<EnvironmentRecord | undefined> {
    const current = await this.get(entityRef);
    if (!current || current.updatedAt !== expectedUpdatedAt) return undefined;
    // Strictly later than the previous update, so the compare-and-set below
    // tells two updates within one millisecond apart.
    const previous = Date.parse(current.updatedAt);
    const now = new Date(Math.max(Date.now(), previous + 1));
    const columns = toColumns({
      ...patch,
      ...(patch.owner ? { owner: patch.owner.toLocaleLowerCase('en-US') } : {}),
      ...(patch.requester
        ? { requester: patch.requester.toLocaleLowerCase('en-US') }
        : {}),
    });
    let rows: RecordRow[];
    try {
      rows = (await this.db<RecordRow>(TABLE)
        .where({ entity_ref: current.entityRef })
        .andWhere('updated_at', new Date(previous))
        .update({ ...columns, updated_at: now })
        .returning('*')) as RecordRow[];
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          `the change to ${current.name} would give it the cluster or bucket of another environment`,
        );
      }
      throw error;
    }
    return rows.length > 0 ? toRecord(rows[0]) : undefined;
  }

  async delete(entityRef: string): Promise<boolean> {
    const count = await this.db<RecordRow>(TABLE)
      .where({ entity_ref: entityRef.toLocaleLowerCase('en-US') })
      .delete();
    return count > 0;
  }
}
