import { ConflictError } from '@backstage/errors';
import {
  EnvironmentRecord,
  EnvironmentRecordState,
  Tier,
} from '@internal/plugin-logging-environments-common';

/**
 * Why a record cannot have its cluster or bucket: another environment's
 * record already has it (one environment per cluster, one bucket per
 * environment). Undefined when neither is taken. One wording for the
 * claim's early check and the store's atomic one.
 */
export function takenFactConflict(
  wanted: Pick<EnvironmentRecord, 'cluster' | 'bucket'>,
  holders: {
    byCluster?: Pick<EnvironmentRecord, 'name'>;
    byBucket?: Pick<EnvironmentRecord, 'name'>;
  },
): ConflictError | undefined {
  if (holders.byCluster) {
    return new ConflictError(
      `cluster: "${wanted.cluster}" already has the logging environment ${holders.byCluster.name} (one environment per cluster)`,
    );
  }
  if (holders.byBucket) {
    return new ConflictError(
      `bucket: "${wanted.bucket}" is already the bucket of the logging environment ${holders.byBucket.name}`,
    );
  }
  return undefined;
}

/**
 * The trusted records of the environments. SQL lives only in its
 * implementation (DatabaseEnvironmentRecordsStore).
 */
export interface EnvironmentRecordsStore {
  /** The record of an environment entity ref, if any. */
  get(entityRef: string): Promise<EnvironmentRecord | undefined>;
  /** The record bound to a cluster, if any (one environment per cluster). */
  getByCluster(cluster: string): Promise<EnvironmentRecord | undefined>;
  /** The record using a bucket, if any. */
  getByBucket(bucket: string): Promise<EnvironmentRecord | undefined>;
  /** Records, in entity ref order. */
  list(filter?: {
    tier?: Tier;
    owner?: string;
    state?: EnvironmentRecordState;
  }): Promise<EnvironmentRecord[]>;
  /** One page of records in entity ref order, with how many match in all. */
  page(
    filter: { tier?: Tier; owner?: string },
    page: { limit: number; offset: number },
  ): Promise<{ items: EnvironmentRecord[]; totalItems: number }>;
  /**
   * Creates a record. Throws ConflictError naming the field when the name,
   * the cluster or the bucket is already another record's (atomic: two
   * concurrent claims create one record).
   */
  create(
    record: Omit<EnvironmentRecord, 'createdAt' | 'updatedAt'>,
  ): Promise<EnvironmentRecord>;
  /**
   * Changes a record if it was last updated at `expectedUpdatedAt`
   * (compare-and-set); returns the new record, or undefined when someone
   * changed it first.
   */
  update(
    entityRef: string,
    expectedUpdatedAt: string,
    patch: Partial<
      Omit<EnvironmentRecord, 'entityRef' | 'name' | 'createdAt' | 'updatedAt'>
    > & { updatedBy: string },
  ): Promise<EnvironmentRecord | undefined>;
  /** Deletes a record; returns whether there was one. */
  delete(entityRef: string): Promise<boolean>;
}
