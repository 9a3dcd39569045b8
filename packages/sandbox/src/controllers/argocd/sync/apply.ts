/**
 * What a sync task does to the cluster: apply a desired object (client-side
 * apply with kubectl's three-way merge, `Replace=true`,
 * `ServerSideApply=true`), prune a live one, delete a hook.
 */
import { ApiError, KubeObject, ObjectStore } from '../../../kube/types';
import { foldStringData, hasAnnotationOption, trackingId } from '../compare';
import {
  ANNOTATION_LAST_APPLIED,
  ANNOTATION_SYNC_OPTIONS,
  ANNOTATION_TRACKING_ID,
  FIELD_MANAGER,
} from '../types';
import { SyncStepInput, Task } from './types';

/** Deletes a live object. */
export function deleteObject(store: ObjectStore, obj: KubeObject) {
  store.delete({
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
  });
}

/**
 * Applies a task's desired object as `kubectl apply` does (or replaces it,
 * or applies it server-side, per the sync options); returns the result and
 * its message.
 */
export function applyObject(input: SyncStepInput, t: Task): [string, string] {
  try {
    return applyUnchecked(input, t);
  } catch (e) {
    return ['SyncFailed', (e as Error).message];
  }
}

function applyUnchecked(input: SyncStepInput, t: Task): [string, string] {
  const { store } = input;
  const target = foldStringData(structuredClone(t.target!));
  const type = store.typeOf(target.apiVersion, target.kind);
  const group = type.group;
  const resource = `${target.kind.toLowerCase()}${group ? `.${group}` : ''}/${
    target.metadata.name
  }`;
  const namespace = type.namespaced ? target.metadata.namespace : undefined;
  if (!type.namespaced) delete target.metadata.namespace;
  const annotations = { ...(target.metadata.annotations ?? {}) };
  if (!t.untracked) {
    annotations[ANNOTATION_TRACKING_ID] ??= trackingId(
      input.appName,
      group,
      target.kind,
      namespace ?? '',
      target.metadata.name,
    );
  }
  target.metadata.annotations = annotations;
  const live = store.get({
    apiVersion: target.apiVersion,
    kind: target.kind,
    namespace,
    name: target.metadata.name,
  });
  if (input.dryRun) {
    return [
      'Synced',
      `${resource} ${live ? 'configured' : 'created'} (dry run)`,
    ];
  }
  const options = [
    ...input.syncOptions,
    ...(annotations[ANNOTATION_SYNC_OPTIONS] ?? '')
      .split(',')
      .map(s => s.trim()),
  ];
  if (options.includes('Replace=true')) {
    if (live) {
      store.update({
        ...target,
        metadata: { ...target.metadata, resourceVersion: undefined },
      });
      return ['Synced', `${resource} replaced`];
    }
    store.create(target, { fieldManager: FIELD_MANAGER });
    return ['Synced', `${resource} created`];
  }
  if (options.includes('ServerSideApply=true')) {
    store.apply(target, { fieldManager: FIELD_MANAGER, force: true });
    return ['Synced', `${resource} serverside-applied`];
  }
  // Client-side apply: record the applied configuration and remove the
  // fields an earlier apply set that the new configuration drops.
  const applied = structuredClone(target);
  delete applied.metadata.annotations![ANNOTATION_LAST_APPLIED];
  annotations[ANNOTATION_LAST_APPLIED] = `${JSON.stringify(applied)}\n`;
  let previous: Record<string, unknown> | undefined;
  try {
    const text = live?.metadata.annotations?.[ANNOTATION_LAST_APPLIED];
    previous = text ? JSON.parse(text) : undefined;
  } catch {
    previous = undefined;
  }
  const patch = previous
    ? withDeletions(target as unknown as Record<string, unknown>, previous)
    : target;
  const after = store.apply(patch as KubeObject, {
    fieldManager: FIELD_MANAGER,
    force: true,
  });
  if (!live) return ['Synced', `${resource} created`];
  return [
    'Synced',
    `${resource} ${
      after.metadata.resourceVersion === live.metadata.resourceVersion
        ? 'unchanged'
        : 'configured'
    }`,
  ];
}

/** Prunes a task's live object, unless pruning is off or the object opts out. */
export function pruneObject(input: SyncStepInput, t: Task): [string, string] {
  const live = t.live!;
  if (!input.prune) return ['PruneSkipped', 'ignored (requires pruning)'];
  if (hasAnnotationOption(live, ANNOTATION_SYNC_OPTIONS, 'Prune=false')) {
    return ['PruneSkipped', 'ignored (no prune)'];
  }
  if (input.dryRun) return ['Pruned', 'pruned (dry run)'];
  try {
    deleteObject(input.store, live);
  } catch (e) {
    if ((e as ApiError).reason !== 'NotFound') {
      return ['SyncFailed', (e as Error).message];
    }
  }
  return ['Pruned', 'pruned'];
}

/**
 * A patch that applies `desired` over a live object last applied with
 * `previous`: fields `previous` set that `desired` no longer has become
 * null (removed), maps recursively (kubectl's three-way merge for maps).
 */
export function withDeletions(
  desired: Record<string, unknown>,
  previous: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...desired };
  for (const [k, v] of Object.entries(previous)) {
    if (!(k in desired)) {
      out[k] = null;
    } else if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      desired[k] &&
      typeof desired[k] === 'object' &&
      !Array.isArray(desired[k])
    ) {
      out[k] = withDeletions(
        desired[k] as Record<string, unknown>,
        v as Record<string, unknown>,
      );
    }
  }
  return out;
}
