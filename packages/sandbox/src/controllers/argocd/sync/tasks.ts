/**
 * The tasks of a sync (gitops-engine `getSyncTasks`): resources, hooks and
 * prunes in phase / wave / kind / name order, checked against the project,
 * with the results of earlier steps carried over.
 */
import { KubeObject } from '../../../kube/types';
import {
  ManagedResource,
  deletePolicies,
  hasAnnotationOption,
  isHook,
  syncPhases,
  syncWave,
} from '../compare';
import { isDestinationPermitted, isGroupKindPermitted } from '../project';
import { ANNOTATION_SYNC_OPTIONS, OperationPhase, groupOf } from '../types';
import type { SyncResults } from './results';
import { SyncStepInput, Task } from './types';

const PHASE_ORDER: Record<string, number> = {
  PreSync: -1,
  Sync: 0,
  PostSync: 1,
  SyncFail: 2,
};

// Helm's install order, used by gitops-engine within a wave.
const KIND_ORDER_LIST = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];
const KIND_ORDER = new Map(
  KIND_ORDER_LIST.map((k, i) => [k, i - KIND_ORDER_LIST.length]),
);

/** The object of a task: the desired one, else the live one (a prune). */
export const taskObj = (t: Task) => (t.target ?? t.live)!;
/** The wave a task runs in. */
export const taskWave = (t: Task) => t.waveOverride ?? syncWave(taskObj(t));
/** Whether a task runs a hook. */
export const taskIsHook = (t: Task) => isHook(taskObj(t));
/** Whether a task prunes a live object. */
export const isPrune = (t: Task) => !t.target;
/** Whether a task has not run yet. */
export const pending = (t: Task) => !t.operationState;
/** Whether a task is running. */
export const running = (t: Task) => t.operationState === 'Running';
/** Whether a task has finished. */
export const completed = (t: Task) =>
  t.operationState === 'Failed' ||
  t.operationState === 'Error' ||
  t.operationState === 'Succeeded';
/** Whether a task has succeeded. */
export const successful = (t: Task) => t.operationState === 'Succeeded';

/** The key of a task's entry in `syncResult.resources`. */
export function resultKey(t: Task) {
  const o = taskObj(t);
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${
    o.metadata.name
  }:${t.phase}`;
}

/** Whether a hook task has a delete policy. */
export function hasDeletePolicy(t: Task, policy: string) {
  return taskIsHook(t) && deletePolicies(taskObj(t)).includes(policy);
}

function compareTasks(a: Task, b: Task): number {
  const d = (PHASE_ORDER[a.phase] ?? 0) - (PHASE_ORDER[b.phase] ?? 0);
  if (d !== 0) return d;
  const w = taskWave(a) - taskWave(b);
  if (w !== 0) return w;
  const k =
    (KIND_ORDER.get(taskObj(a).kind) ?? 0) -
    (KIND_ORDER.get(taskObj(b).kind) ?? 0);
  if (k !== 0) return k;
  const na = taskObj(a).metadata.name;
  const nb = taskObj(b).metadata.name;
  if (na < nb) return -1;
  return na > nb ? 1 : 0;
}

function filtered(input: SyncStepInput, r: ManagedResource) {
  const filter = input.resourcesFilter;
  if (!filter || filter.length === 0) return true;
  return filter.some(
    f =>
      (f.group ?? '') === r.group &&
      f.kind === r.kind &&
      f.name === r.name &&
      (!f.namespace || f.namespace === r.namespace),
  );
}

function liveFor(
  input: SyncStepInput,
  target: KubeObject,
): KubeObject | undefined {
  const group = groupOf(target.apiVersion);
  const r = input.resources.find(
    x =>
      x.group === group &&
      x.kind === target.kind &&
      (x.namespace === '' || x.namespace === target.metadata.namespace) &&
      x.name === target.metadata.name,
  );
  return r?.live;
}

/** `getSyncTasks`: the tasks with their results so far; false if invalid. */
export function getSyncTasks(
  input: SyncStepInput,
  results: SyncResults,
): { tasks: Task[]; ok: boolean } {
  const tasks: Task[] = [];
  for (const r of input.resources) {
    if (!filtered(input, r)) continue;
    const obj = r.target ?? r.live!;
    if (isHook(obj)) continue;
    for (const phase of syncPhases(obj)) {
      tasks.push({ phase, target: r.target, live: r.live });
    }
  }
  if (!input.skipHooks) {
    for (const hook of input.hooks) {
      for (const phase of syncPhases(hook)) {
        const target = structuredClone(hook);
        if (!target.metadata.name) {
          const rev =
            input.revision.length >= 8
              ? input.revision.slice(0, 7)
              : input.revision;
          const postfix = `${rev}-${phase}-${Math.floor(
            Date.parse(input.startedAt) / 1000,
          )}`.toLowerCase();
          target.metadata.name = `${
            target.metadata.generateName ?? ''
          }${postfix}`;
          delete target.metadata.generateName;
        }
        tasks.push({ phase, target });
      }
    }
  }
  // Targets without a namespace get the destination's, even cluster-scoped
  // ones (gitops-engine does so to never apply into a default namespace).
  for (const t of tasks) {
    if (t.target && !t.target.metadata.namespace) {
      t.target = structuredClone(t.target);
      t.target.metadata.namespace = input.destNamespace;
    }
  }
  if (
    input.syncOptions.includes('CreateNamespace=true') &&
    input.destNamespace &&
    !input.resources.some(
      r =>
        r.group === '' &&
        r.kind === 'Namespace' &&
        r.name === input.destNamespace &&
        r.target,
    )
  ) {
    const live = input.store.get({
      apiVersion: 'v1',
      kind: 'Namespace',
      name: input.destNamespace,
    });
    if (!live) {
      tasks.push({
        phase: 'PreSync',
        target: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: input.destNamespace },
        },
        untracked: true,
      });
    }
  }
  for (const t of tasks) {
    if (t.target && !t.live) t.live = liveFor(input, t.target);
  }

  let ok = true;
  for (const t of tasks) {
    const o = taskObj(t);
    let namespaced: boolean;
    try {
      namespaced = input.store.typeOf(o.apiVersion, o.kind).namespaced;
    } catch (e) {
      results.set(t, 'SyncFailed', '', (e as Error).message);
      ok = false;
      continue;
    }
    const group = groupOf(o.apiVersion);
    if (
      !isGroupKindPermitted(
        input.project,
        group,
        o.kind,
        namespaced,
        o.metadata.name,
      )
    ) {
      results.set(
        t,
        'SyncFailed',
        '',
        `resource ${group}:${o.kind} is not permitted in project ${input.project.metadata.name}`,
      );
      ok = false;
      continue;
    }
    if (
      namespaced &&
      !isDestinationPermitted(
        input.project,
        input.cluster,
        o.metadata.namespace ?? '',
      )
    ) {
      results.set(
        t,
        'SyncFailed',
        '',
        `namespace ${o.metadata.namespace ?? ''} is not permitted in project '${
          input.project.metadata.name
        }'`,
      );
      ok = false;
    }
  }

  // Prunes run in reverse wave order.
  const pruneWaves = [...new Set(tasks.filter(isPrune).map(taskWave))].sort(
    (a, b) => a - b,
  );
  const waveSwap = new Map<number, number>();
  for (let i = 0; i < pruneWaves.length; i++) {
    waveSwap.set(pruneWaves[i], pruneWaves[pruneWaves.length - 1 - i]);
  }
  let lastSyncWave = 0;
  for (const t of tasks) {
    if (t.phase === 'Sync' && taskWave(t) > lastSyncWave)
      lastSyncWave = taskWave(t);
  }
  for (const t of tasks.filter(isPrune)) {
    t.waveOverride = waveSwap.get(taskWave(t));
    if (
      input.syncOptions.includes('PruneLast=true') ||
      hasAnnotationOption(t.live, ANNOTATION_SYNC_OPTIONS, 'PruneLast=true')
    ) {
      t.waveOverride = lastSyncWave + 1;
    }
  }
  tasks.sort(compareTasks);

  for (const t of tasks) {
    const existing = results.get(t);
    if (existing) {
      t.syncStatus = existing.status;
      t.operationState = (existing.hookPhase ?? '') as OperationPhase | '';
      t.message = existing.message;
    }
  }
  return { tasks, ok };
}
