import {
  ApplicationRole,
  TIERS,
  Tier,
} from '@internal/plugin-logging-environments-common';
import { StoredSyncRun } from '../../database/LoggingEnvironmentsStore';
import { Environment } from '../types';
import { ApplicationTarget } from './argocd';

/** A run's data as the store keeps it (JSON). */
type Raw = NonNullable<StoredSyncRun['data']>;

/**
 * What a run persists between ticks (the `data` of its row, stored as JSON).
 *
 * @remarks
 * The JSON keys are the ones runs were stored with before this type
 * existed, flat, with a stage's role as the prefix of its keys
 * (`infrastructureBaseline`, `forwarderRollbackId`, ...): rows written then
 * read the same. Read a row with {@link readRunData}, write with
 * {@link withRunData}.
 */
export interface SyncRunData {
  /** The environment's cluster, from its record when the run was requested (as are the next three). */
  cluster: string;
  /** The namespace of its Argo CD Applications. */
  argocdNamespace: string;
  /** The name of its infrastructure Application. */
  infrastructureApp: string;
  /** The name of its forwarder Application. */
  forwarderApp: string;
  /** The environment's tier when the run was requested (for people reading the row). */
  tier?: Tier;
  /** Whether a failed stage rolls its Application back (the tier's policy). */
  rollbackOnFailure: boolean;
  /** The binding of the Applications (source, project, sync policy) the gate passed for. */
  binding?: string;

  /** The infrastructure stage's {@link StageData}, read with {@link stageOf}. */
  infrastructureBaseline?: string;
  infrastructureRollbackId?: number;
  infrastructureRollbackRevision?: string;
  infrastructureMethod?: SyncMethod;
  infrastructureFollowed?: string;
  /** When the infrastructure stage succeeded: only then may the forwarder sync. */
  infrastructureSucceededAt?: string;

  /** The forwarder stage's {@link StageData}, read with {@link stageOf}. */
  forwarderBaseline?: string;
  forwarderRollbackId?: number;
  forwarderRollbackRevision?: string;
  forwarderMethod?: SyncMethod;
  forwarderFollowed?: string;

  /** rolling-back: why the run failed. */
  failure?: string;
  /** rolling-back: the Application rolled back and the revision it goes back to. */
  rollbackApplication?: ApplicationRole;
  rollbackRevision?: string;
  /** rolling-back: the fingerprint of the last operation before the rollback. */
  rollbackBaseline?: string;
  /** rolling-back: how many rollbacks were started. */
  rollbackAttempts?: number;
  /**
   * rolling-back: a failed rollback the run waits to start again, as
   * `<operation fingerprint>|<when the run saw it fail>`.
   */
  rollbackFailureSeen?: string;
}

/** How Argo CD was asked for a sync: its API server, or `.operation` on the Application. */
export type SyncMethod = 'api' | 'operation';

/** What a syncing stage records about its Application. */
export interface StageData {
  /** The fingerprint of the Application's last operation before the stage's own. */
  baseline?: string;
  /** The Application's last successful sync at another revision: the rollback target. */
  rollbackId?: number;
  rollbackRevision?: string;
  /** How the stage's sync was started. */
  method?: SyncMethod;
  /**
   * The LokiStacks and ClusterLogForwarders the stage follows, as JSON
   * (`FollowedData` of liveStatus.ts): their generations before the sync,
   * and when the stage saw a changed one first.
   */
  followed?: string;
}

const STAGE_KEYS = {
  infrastructure: {
    baseline: 'infrastructureBaseline',
    rollbackId: 'infrastructureRollbackId',
    rollbackRevision: 'infrastructureRollbackRevision',
    method: 'infrastructureMethod',
    followed: 'infrastructureFollowed',
  },
  forwarder: {
    baseline: 'forwarderBaseline',
    rollbackId: 'forwarderRollbackId',
    rollbackRevision: 'forwarderRollbackRevision',
    method: 'forwarderMethod',
    followed: 'forwarderFollowed',
  },
} as const satisfies Record<
  ApplicationRole,
  Record<keyof StageData, keyof SyncRunData>
>;

/** The data of one stage of a run. */
export function stageOf(data: SyncRunData, role: ApplicationRole): StageData {
  const keys = STAGE_KEYS[role];
  return {
    baseline: data[keys.baseline],
    rollbackId: data[keys.rollbackId],
    rollbackRevision: data[keys.rollbackRevision],
    method: data[keys.method],
    followed: data[keys.followed],
  };
}

/** The run data that records `stage` for the stage of `role` (only its given fields). */
export function stagePatch(
  role: ApplicationRole,
  stage: StageData,
): Partial<SyncRunData> {
  const keys = STAGE_KEYS[role];
  const patch: Partial<SyncRunData> = {};
  if (stage.baseline !== undefined) patch[keys.baseline] = stage.baseline;
  if (stage.rollbackId !== undefined) patch[keys.rollbackId] = stage.rollbackId;
  if (stage.rollbackRevision !== undefined) {
    patch[keys.rollbackRevision] = stage.rollbackRevision;
  }
  if (stage.method !== undefined) patch[keys.method] = stage.method;
  if (stage.followed !== undefined) patch[keys.followed] = stage.followed;
  return patch;
}

/** Whether saving `patch` would change `data`. */
export function changes(
  data: SyncRunData,
  patch: Partial<SyncRunData>,
): boolean {
  return (Object.keys(patch) as Array<keyof SyncRunData>).some(
    key => data[key] !== patch[key],
  );
}

/**
 * The data a new run starts with, as the store takes it: where its
 * Applications are, and what the gate passed for.
 */
export function initialRunData(environment: Environment, binding: string): Raw {
  const data: SyncRunData = {
    cluster: environment.cluster,
    argocdNamespace: environment.argocdNamespace,
    infrastructureApp: environment.applications.infrastructure,
    forwarderApp: environment.applications.forwarder,
    tier: environment.tier,
    rollbackOnFailure: environment.policy.rollbackOnFailure,
    binding,
  };
  return { ...data };
}

const text = (raw: Raw, key: keyof SyncRunData) => {
  const value = raw[key];
  return typeof value === 'string' ? value : undefined;
};

const count = (raw: Raw, key: keyof SyncRunData) => {
  const value = raw[key];
  return typeof value === 'number' ? value : undefined;
};

function readStage(raw: Raw, role: ApplicationRole): Partial<SyncRunData> {
  const keys = STAGE_KEYS[role];
  const method = raw[keys.method];
  return stagePatch(role, {
    baseline: text(raw, keys.baseline),
    rollbackId: count(raw, keys.rollbackId),
    rollbackRevision: text(raw, keys.rollbackRevision),
    method: method === 'api' || method === 'operation' ? method : undefined,
    followed: text(raw, keys.followed),
  });
}

/**
 * The typed data of a stored run. A field of the wrong type reads as
 * missing; the Application fields read as text whatever was stored, as
 * they always did.
 */
export function readRunData(run: StoredSyncRun): SyncRunData {
  const raw: Raw = run.data ?? {};
  const tier = TIERS.find(t => t === raw.tier);
  const role = raw.rollbackApplication;
  return {
    cluster: String(raw.cluster),
    argocdNamespace: String(raw.argocdNamespace),
    infrastructureApp: String(raw.infrastructureApp),
    forwarderApp: String(raw.forwarderApp),
    ...(tier ? { tier } : {}),
    rollbackOnFailure: raw.rollbackOnFailure === true,
    binding: text(raw, 'binding'),
    ...readStage(raw, 'infrastructure'),
    infrastructureSucceededAt: text(raw, 'infrastructureSucceededAt'),
    ...readStage(raw, 'forwarder'),
    failure: text(raw, 'failure'),
    rollbackApplication:
      role === 'infrastructure' || role === 'forwarder' ? role : undefined,
    rollbackRevision: text(raw, 'rollbackRevision'),
    rollbackBaseline: text(raw, 'rollbackBaseline'),
    rollbackAttempts: count(raw, 'rollbackAttempts'),
    rollbackFailureSeen: text(raw, 'rollbackFailureSeen'),
  };
}

/**
 * The stored data of `run` with `patch` applied: the whole data, since the
 * store replaces it. Keys this version does not know are kept.
 */
export function withRunData(
  run: StoredSyncRun,
  patch: Partial<SyncRunData> = {},
): Raw {
  return { ...(run.data ?? {}), ...patch };
}

/** The Application of a run's stage. */
export function targetOf(
  data: SyncRunData,
  role: ApplicationRole,
): ApplicationTarget {
  return {
    cluster: data.cluster,
    namespace: data.argocdNamespace,
    name:
      role === 'infrastructure' ? data.infrastructureApp : data.forwarderApp,
  };
}

/** An Application as messages name it. */
export function describeTarget(target: ApplicationTarget): string {
  return `Application ${target.namespace}/${target.name}`;
}
