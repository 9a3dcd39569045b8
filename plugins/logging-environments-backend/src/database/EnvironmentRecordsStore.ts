import {
  EnvironmentRecord,
  EnvironmentRecordState,
  Tier,
} from '@internal/plugin-logging-environments-common';

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
