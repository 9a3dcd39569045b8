import {
  ApplicationRole,
  wavesOf,
} from '@internal/plugin-logging-environments-common';
import { hasLiveHealth } from '../health/liveHealth';
import { ArgoApplication } from '../waves/applicationStatus';
import { ResourceRef } from '../waves/resourceHealth';
import { ApplicationTarget, ArgoCdApplications } from './argocd';

/** Who writes the status of the kinds a stage follows, as messages name them. */
const OPERATORS: Record<string, string> = {
  LokiStack: 'the Loki Operator',
  ClusterLogForwarder: 'the Cluster Logging Operator',
};

/** A resource a stage follows: a LokiStack or ClusterLogForwarder its Application manages. */
export interface FollowedResource extends ResourceRef {
  apiVersion: string;
}

/** The key of a followed resource in a stage's data. */
export const followedKey = (r: ResourceRef) =>
  `${r.kind}/${r.namespace ?? ''}/${r.name}`;

/**
 * The resources of the stage's Application whose status an operator writes
 * and the portal evaluates (the WAVE_PLAN kinds with a shipped health
 * check): listed in `status.resources` (Argo CD lists what it will apply
 * before the first sync) or applied by the last operation.
 */
export function followedResources(
  app: ArgoApplication,
  role: ApplicationRole,
): FollowedResource[] {
  const kinds = wavesOf(role).filter(s => hasLiveHealth(s.group, s.kind));
  const found = new Map<string, FollowedResource>();
  const entries = [
    ...(app.status?.resources ?? []),
    ...(app.status?.operationState?.syncResult?.resources ?? []),
  ];
  for (const r of entries) {
    const step = kinds.find(
      s => s.kind === r.kind && s.group === (r.group ?? ''),
    );
    if (!step || !r.namespace) continue;
    const ref: FollowedResource = {
      apiVersion: `${step.group}/${r.version ?? 'v1'}`,
      group: step.group,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
    };
    found.set(followedKey(ref), ref);
  }
  return [...found.values()];
}

/** The live objects of the followed resources, by key (absent ones left out). */
export async function readFollowed(
  argocd: ArgoCdApplications,
  target: ApplicationTarget,
  resources: FollowedResource[],
): Promise<Map<string, Record<string, any>>> {
  const objects = new Map<string, Record<string, any>>();
  for (const r of resources) {
    const object = await argocd.managedObject(target, r);
    if (object) objects.set(followedKey(r), object);
  }
  return objects;
}

/**
 * What a stage records of its followed resources, as JSON in its run data:
 * their generations before its sync (`null`: did not exist), and for each
 * resource the sync changed, when the stage first saw the new generation
 * and the status it had then.
 */
export interface FollowedData {
  before: Record<string, number | null>;
  seen?: Record<
    string,
    { generation: number; status: string; at: string; reported?: boolean }
  >;
}

/** Reads a stage's {@link FollowedData} (undefined when absent or unreadable). */
export function parseFollowed(
  text: string | undefined,
): FollowedData | undefined {
  if (!text) return undefined;
  try {
    const data = JSON.parse(text);
    return data && typeof data.before === 'object' ? data : undefined;
  } catch {
    return undefined;
  }
}

/** The generations of the followed resources before the stage's sync. */
export function generationsBefore(
  resources: FollowedResource[],
  objects: Map<string, Record<string, any>>,
): FollowedData {
  const before: FollowedData['before'] = {};
  for (const r of resources) {
    const generation = objects.get(followedKey(r))?.metadata?.generation;
    before[followedKey(r)] = typeof generation === 'number' ? generation : null;
  }
  return { before };
}

const statusOf = (o: Record<string, any>) => JSON.stringify(o.status ?? null);

/**
 * Which followed resources' statuses cannot be trusted yet, and the data
 * to record.
 *
 * @remarks
 * Neither the Loki Operator nor the Cluster Logging Operator records which
 * generation its status is for (no `observedGeneration`; see
 * `staleGeneration`), and Argo CD's wave health and the health-check Job's
 * `oc wait --for=condition=Ready` both read the status as it is: right
 * after a sync changes a LokiStack's spec, its old `Ready` passes them until
 * the operator reconciles (Argo CD's two-second delay between waves is
 * "not foolproof" by its own account, controller/sync.go
 * `delayBetweenSyncWaves`). So a resource whose generation this sync
 * changed counts only once its status changed after the stage first saw
 * the new generation (the operator reported), or `reactionMs` after that
 * (an operator may well write the same status again). A resource the sync
 * created, or did not change, is trusted as it is.
 */
export function followStatuses(
  data: FollowedData,
  objects: Map<string, Record<string, any>>,
  options: { now: number; reactionMs: number },
): { data: FollowedData; stale: Map<string, string> } {
  const seen = { ...(data.seen ?? {}) };
  const stale = new Map<string, string>();
  for (const [key, object] of objects) {
    const generation = object.metadata?.generation;
    const before = data.before[key];
    if (
      typeof generation !== 'number' ||
      before === undefined ||
      before === null ||
      generation === before
    ) {
      delete seen[key];
      continue;
    }
    const status = statusOf(object);
    const first = seen[key];
    if (!first || first.generation !== generation) {
      seen[key] = {
        generation,
        status,
        at: new Date(options.now).toISOString(),
      };
    } else if (first.reported) {
      continue;
    } else if (first.status !== status) {
      seen[key] = { ...first, reported: true };
      continue;
    } else if (options.now - Date.parse(first.at) >= options.reactionMs) {
      continue;
    }
    const [kind, , name] = key.split('/');
    stale.set(
      key,
      `Waiting for ${
        OPERATORS[kind] ?? 'its operator'
      } to report on the change this sync made to ${kind} ${name} (generation ${before} to ${generation}): the status it shows was written before`,
    );
  }
  return { data: { before: data.before, seen }, stale };
}
