/**
 * One step of a sync operation, as gitops-engine's `syncContext.Sync()`
 * performs it (`pkg/sync/sync_context.go`): build the tasks (resources,
 * hooks, prunes) in phase / wave / kind / name order, carry the results of
 * earlier steps over from `syncResult.resources`, wait while the current
 * wave's resources are not healthy or its hooks not complete, then run the
 * next wave. The controller calls it again on every reconcile until the
 * operation completes.
 */
import { ApiError, KubeObject, ObjectStore } from '../kube/types';
import {
  ANNOTATION_LAST_APPLIED,
  ANNOTATION_SYNC_OPTIONS,
  ANNOTATION_TRACKING_ID,
  AppProject,
  FIELD_MANAGER,
  HealthStatus,
  OperationPhase,
  ResourceResult,
  SyncOperationResource,
  groupOf,
  versionOf,
} from './argocdTypes';
import {
  ManagedResource,
  deletePolicies,
  foldStringData,
  hasAnnotationOption,
  isHook,
  syncPhases,
  syncWave,
  trackingId,
} from './argocdCompare';
import {
  DestinationCluster,
  isDestinationPermitted,
  isGroupKindPermitted,
} from './argocdProject';

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

interface Task {
  phase: string;
  target?: KubeObject;
  live?: KubeObject;
  syncStatus?: string;
  operationState?: OperationPhase | '';
  message?: string;
  waveOverride?: number;
  /** The namespace CreateNamespace=true creates: not tracked, so never pruned. */
  untracked?: boolean;
}

const taskObj = (t: Task) => (t.target ?? t.live)!;
const taskWave = (t: Task) => t.waveOverride ?? syncWave(taskObj(t));
const taskIsHook = (t: Task) => isHook(taskObj(t));
const isPrune = (t: Task) => !t.target;
const pending = (t: Task) => !t.operationState;
const running = (t: Task) => t.operationState === 'Running';
const completed = (t: Task) =>
  t.operationState === 'Failed' ||
  t.operationState === 'Error' ||
  t.operationState === 'Succeeded';
const successful = (t: Task) => t.operationState === 'Succeeded';

function resultKey(t: Task) {
  const o = taskObj(t);
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${
    o.metadata.name
  }:${t.phase}`;
}

function hasDeletePolicy(t: Task, policy: string) {
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

/** What the step needs to know. */
export interface SyncStepInput {
  store: ObjectStore;
  appName: string;
  project: AppProject;
  cluster: DestinationCluster;
  destNamespace: string;
  /** The commit being synced (names generateName hooks). */
  revision: string;
  /** `operationState.startedAt`. */
  startedAt: string;
  /** Reconciled resources at the revision (desired + live, extra live). */
  resources: ManagedResource[];
  /** Desired hooks at the revision. */
  hooks: KubeObject[];
  /** Health of a live object (Argo CD's health with overrides). */
  health(obj: KubeObject): Promise<HealthStatus | undefined>;
  prune: boolean;
  dryRun: boolean;
  skipHooks: boolean;
  /** Partial sync: only these resources. */
  resourcesFilter?: SyncOperationResource[];
  syncOptions: string[];
  /** Phase, message and results of the previous step. */
  phase: OperationPhase;
  message?: string;
  results: ResourceResult[];
  /** Terminate the operation instead of progressing it. */
  terminate?: boolean;
}

/** What the step produced. */
export interface SyncStepOutput {
  phase: OperationPhase;
  message: string;
  results: ResourceResult[];
  /** Set when a wave was applied and more remain (the wave delay applies). */
  appliedWave?: { phase: string; wave: number; final: boolean };
}

class SyncContext {
  private phase: OperationPhase;
  private message: string;
  private readonly results = new Map<
    string,
    { order: number; r: ResourceResult }
  >();
  appliedWave?: SyncStepOutput['appliedWave'];

  constructor(private readonly input: SyncStepInput) {
    this.phase = input.phase;
    this.message = input.message ?? '';
    input.results.forEach((r, i) => {
      const key = `${r.group}/${r.kind}/${r.namespace}/${r.name}:${
        r.syncPhase ?? ''
      }`;
      this.results.set(key, { order: i + 1, r: { ...r } });
    });
  }

  get started() {
    return this.results.size > 0;
  }

  output(): SyncStepOutput {
    return {
      phase: this.phase,
      message: this.message,
      results: [...this.results.values()]
        .sort((a, b) => a.order - b.order)
        .map(x => x.r),
      appliedWave: this.appliedWave,
    };
  }

  private setPhase(phase: OperationPhase, message: string) {
    this.phase = phase;
    this.message = message;
  }

  private setResult(
    t: Task,
    syncStatus: string | undefined,
    operationState: OperationPhase | '',
    message: string,
  ) {
    t.syncStatus = syncStatus;
    t.operationState = operationState;
    if (message) t.message = message;
    const o = taskObj(t);
    const key = resultKey(t);
    const r: ResourceResult = {
      group: groupOf(o.apiVersion),
      version: versionOf(o.apiVersion),
      kind: o.kind,
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name,
    };
    if (t.syncStatus) r.status = t.syncStatus;
    if (t.message) r.message = t.message;
    if (taskIsHook(t)) r.hookType = t.phase;
    if (t.operationState) r.hookPhase = t.operationState;
    r.syncPhase = t.phase;
    const existing = this.results.get(key);
    this.results.set(key, {
      order: existing?.order ?? this.results.size + 1,
      r,
    });
  }

  private setRunningPhase(tasks: Task[], pendingDeletion: boolean) {
    if (tasks.length === 0) return;
    const first = tasks[0];
    let waitingFor = taskIsHook(first)
      ? 'completion of hook'
      : 'healthy state of';
    const andMore = taskIsHook(first) ? 'hooks' : 'resources';
    if (pendingDeletion) waitingFor = 'deletion of';
    const o = taskObj(first);
    let message = `waiting for ${waitingFor} ${groupOf(o.apiVersion)}/${
      o.kind
    }/${o.metadata.name}`;
    if (tasks.length > 1) message += ` and ${tasks.length - 1} more ${andMore}`;
    this.setPhase('Running', message);
  }

  private filtered(r: ManagedResource) {
    const filter = this.input.resourcesFilter;
    if (!filter || filter.length === 0) return true;
    return filter.some(
      f =>
        (f.group ?? '') === r.group &&
        f.kind === r.kind &&
        f.name === r.name &&
        (!f.namespace || f.namespace === r.namespace),
    );
  }

  private liveFor(target: KubeObject): KubeObject | undefined {
    const group = groupOf(target.apiVersion);
    const r = this.input.resources.find(
      x =>
        x.group === group &&
        x.kind === target.kind &&
        (x.namespace === '' || x.namespace === target.metadata.namespace) &&
        x.name === target.metadata.name,
    );
    return r?.live;
  }

  /** `getSyncTasks`: the tasks with their results so far; false if invalid. */
  getSyncTasks(): { tasks: Task[]; ok: boolean } {
    const { input } = this;
    const tasks: Task[] = [];
    for (const r of input.resources) {
      if (!this.filtered(r)) continue;
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
      if (t.target && !t.live) t.live = this.liveFor(t.target);
    }

    let ok = true;
    for (const t of tasks) {
      const o = taskObj(t);
      let namespaced: boolean;
      try {
        namespaced = input.store.typeOf(o.apiVersion, o.kind).namespaced;
      } catch (e) {
        this.setResult(t, 'SyncFailed', '', (e as Error).message);
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
        this.setResult(
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
        this.setResult(
          t,
          'SyncFailed',
          '',
          `namespace ${
            o.metadata.namespace ?? ''
          } is not permitted in project '${input.project.metadata.name}'`,
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
      const existing = this.results.get(resultKey(t));
      if (existing) {
        t.syncStatus = existing.r.status;
        t.operationState = (existing.r.hookPhase ?? '') as OperationPhase | '';
        t.message = existing.r.message;
      }
    }
    return { tasks, ok };
  }

  /** `getOperationPhase`: a hook's phase from the health of its live object. */
  private async hookPhase(live: KubeObject): Promise<[OperationPhase, string]> {
    const h = await this.input.health(live);
    if (!h) return ['Succeeded', `${live.metadata.name} created`];
    switch (h.status) {
      case 'Unknown':
      case 'Degraded':
        return ['Failed', h.message ?? ''];
      case 'Progressing':
      case 'Suspended':
        return ['Running', h.message ?? ''];
      case 'Healthy':
        return ['Succeeded', h.message ?? ''];
      default:
        return ['Succeeded', `${live.metadata.name} created`];
    }
  }

  private deleteObject(obj: KubeObject) {
    this.input.store.delete({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
    });
  }

  private deleteHooks(tasks: Task[]) {
    for (const t of tasks) {
      try {
        this.deleteObject(t.live!);
      } catch (e) {
        if ((e as ApiError).reason !== 'NotFound') {
          this.setResult(
            t,
            '',
            'Error',
            `failed to delete resource: ${(e as Error).message}`,
          );
        }
      }
    }
  }

  private setOperationFailed(syncFailedTasks: Task[], message: string) {
    const messages = [...new Set(syncFailedTasks.map(t => t.message ?? ''))];
    this.setPhase(
      'Failed',
      messages.length > 0
        ? `${message}, reason: ${messages.join(',')}`
        : message,
    );
  }

  /** Applies a desired object as `kubectl apply` does; returns the result. */
  private applyObject(t: Task): [string, string] {
    try {
      return this.applyUnchecked(t);
    } catch (e) {
      return ['SyncFailed', (e as Error).message];
    }
  }

  private applyUnchecked(t: Task): [string, string] {
    const { store } = this.input;
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
        this.input.appName,
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
    if (this.input.dryRun) {
      return [
        'Synced',
        `${resource} ${live ? 'configured' : 'created'} (dry run)`,
      ];
    }
    const options = [
      ...this.input.syncOptions,
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

  private pruneObject(t: Task): [string, string] {
    const live = t.live!;
    if (!this.input.prune)
      return ['PruneSkipped', 'ignored (requires pruning)'];
    if (hasAnnotationOption(live, ANNOTATION_SYNC_OPTIONS, 'Prune=false')) {
      return ['PruneSkipped', 'ignored (no prune)'];
    }
    if (this.input.dryRun) return ['Pruned', 'pruned (dry run)'];
    try {
      this.deleteObject(live);
    } catch (e) {
      if ((e as ApiError).reason !== 'NotFound') {
        return ['SyncFailed', (e as Error).message];
      }
    }
    return ['Pruned', 'pruned'];
  }

  /** `runTasks`: prune, delete hooks to recreate, apply. */
  private runTasks(tasks: Task[]): 'successful' | 'pending' | 'failed' {
    let state: 'successful' | 'pending' | 'failed' = 'successful';
    const phaseOf: Record<string, OperationPhase> = {
      Synced: 'Running',
      SyncFailed: 'Failed',
      Pruned: 'Succeeded',
      PruneSkipped: 'Succeeded',
    };
    for (const t of tasks.filter(isPrune)) {
      const [result, message] = this.pruneObject(t);
      if (result === 'SyncFailed') state = 'failed';
      this.setResult(t, result, phaseOf[result], message);
    }
    if (state !== 'successful') return state;

    const creates = tasks.filter(t => !isPrune(t));
    const toDelete = creates.filter(
      t =>
        Boolean(t.live) &&
        pending(t) &&
        hasDeletePolicy(t, 'BeforeHookCreation'),
    );
    for (const t of toDelete) {
      if (this.input.dryRun) continue;
      try {
        this.deleteObject(t.live!);
        if (state === 'successful') state = 'pending';
      } catch (e) {
        if ((e as ApiError).reason !== 'NotFound') {
          state = 'failed';
          this.setResult(
            t,
            '',
            'Error',
            `failed to delete resource: ${(e as Error).message}`,
          );
        }
      }
    }
    if (state !== 'successful') return state;

    for (const t of creates) {
      const [result, message] = this.applyObject(t);
      if (result === 'SyncFailed') state = 'failed';
      let phase = phaseOf[result];
      if (this.input.dryRun && phase === 'Running') phase = 'Succeeded';
      this.setResult(t, result, phase, message);
    }
    return state;
  }

  /** `syncContext.Terminate`. */
  async terminate() {
    const { tasks } = this.getSyncTasks();
    for (const t of tasks) {
      if (!taskIsHook(t) || !t.live) continue;
      const [phase, message] = await this.hookPhase(t.live);
      if (phase === 'Running') {
        try {
          this.deleteObject(t.live);
          this.setResult(t, '', 'Succeeded', 'Deleted');
        } catch (e) {
          this.setResult(
            t,
            '',
            'Failed',
            `Failed to delete: ${(e as Error).message}`,
          );
        }
      } else {
        this.setResult(t, '', phase, message);
      }
    }
    this.setPhase('Failed', 'Operation terminated');
  }

  /** `syncContext.Sync`. */
  async sync() {
    const { input } = this;
    const built = this.getSyncTasks();
    let tasks = built.tasks;
    const ok = built.ok;
    if (!ok) {
      this.setPhase(
        'Failed',
        'one or more synchronization tasks are not valid',
      );
      return;
    }
    if (!this.started) {
      // The destination namespace is created before anything else.
      const nsTask = tasks.find(
        t =>
          !t.live &&
          t.target?.kind === 'Namespace' &&
          groupOf(t.target.apiVersion) === '' &&
          t.target.metadata.name === input.destNamespace &&
          t.phase === 'PreSync',
      );
      if (nsTask && this.runTasks([nsTask]) === 'failed') {
        this.setOperationFailed([nsTask], 'the namespace failed to apply');
        return;
      }
    }

    // Update the tasks that are running from the live state.
    for (const t of tasks.filter(x => running(x) && x.live)) {
      if (taskIsHook(t)) {
        const [phase, message] = await this.hookPhase(t.live!);
        this.setResult(t, '', phase, message);
      } else {
        const h = await input.health(t.live!);
        if (!h) this.setResult(t, t.syncStatus, 'Succeeded', t.message ?? '');
        else if (h.status === 'Healthy') {
          this.setResult(t, t.syncStatus, 'Succeeded', h.message ?? '');
        } else if (h.status === 'Degraded') {
          this.setResult(t, t.syncStatus, 'Failed', h.message ?? '');
        }
      }
    }

    const multiStep =
      tasks.length > 0 &&
      (taskWave(tasks[0]) !== taskWave(tasks[tasks.length - 1]) ||
        tasks[0].phase !== tasks[tasks.length - 1].phase);
    const runningTasks = tasks.filter(
      t => (multiStep || taskIsHook(t)) && running(t),
    );
    if (runningTasks.length > 0) {
      this.setRunningPhase(runningTasks, false);
      return;
    }

    const pendingDeletionSucceeded = tasks.filter(
      t =>
        taskIsHook(t) &&
        t.live &&
        !running(t) &&
        hasDeletePolicy(t, 'HookSucceeded'),
    );
    const pendingDeletionFailed = tasks.filter(
      t =>
        taskIsHook(t) &&
        t.live &&
        !running(t) &&
        hasDeletePolicy(t, 'HookFailed'),
    );
    const syncFailTasks = tasks.filter(t => t.phase === 'SyncFail');
    tasks = tasks.filter(t => t.phase !== 'SyncFail');
    const syncFailed = tasks.filter(t => t.syncStatus === 'SyncFailed');

    if (tasks.some(t => completed(t) && !successful(t))) {
      this.deleteHooks(pendingDeletionFailed);
      await this.failWithSyncFailHooks(
        syncFailTasks,
        syncFailed,
        'one or more synchronization tasks completed unsuccessfully',
      );
      return;
    }

    tasks = tasks.filter(pending);
    if (tasks.length === 0) {
      this.deleteHooks(pendingDeletionSucceeded);
      this.setPhase('Succeeded', 'successfully synced (no more tasks)');
      return;
    }

    const phase = tasks[0].phase;
    const wave = taskWave(tasks[0]);
    const last = tasks[tasks.length - 1];
    const finalWave = phase === last.phase && wave === taskWave(last);
    const remaining = tasks.filter(
      t => t.phase !== phase || taskWave(t) !== wave || taskIsHook(t),
    );
    tasks = tasks.filter(t => t.phase === phase && taskWave(t) === wave);

    this.setPhase('Running', 'one or more tasks are running');
    const state = this.runTasks(tasks);
    if (state !== 'failed')
      this.appliedWave = { phase, wave, final: finalWave };
    if (state === 'failed') {
      this.deleteHooks(pendingDeletionFailed);
      await this.failWithSyncFailHooks(
        syncFailTasks,
        tasks.filter(t => t.syncStatus === 'SyncFailed'),
        'one or more objects failed to apply',
      );
    } else if (state === 'successful') {
      if (remaining.length === 0) {
        this.deleteHooks(pendingDeletionSucceeded);
        this.setPhase('Succeeded', 'successfully synced (all tasks run)');
      } else {
        this.setRunningPhase(remaining, false);
      }
    } else {
      this.setRunningPhase(
        tasks.filter(
          t =>
            hasDeletePolicy(t, 'HookSucceeded') ||
            hasDeletePolicy(t, 'HookFailed'),
        ),
        true,
      );
    }
  }

  /** `setOperationFailed`, starting the SyncFail hooks first if there are any. */
  private async failWithSyncFailHooks(
    syncFailTasks: Task[],
    syncFailed: Task[],
    message: string,
  ) {
    if (syncFailTasks.length === 0 || syncFailTasks.every(completed)) {
      this.setOperationFailed(syncFailed, message);
      return;
    }
    const toRun = syncFailTasks.filter(pending);
    if (toRun.length > 0 && this.runTasks(toRun) === 'failed') {
      const failedHooks = toRun.filter(t => t.syncStatus === 'SyncFailed');
      const messages = [...new Set(failedHooks.map(t => t.message ?? ''))];
      const base = syncFailed.length
        ? `${message}, reason: ${[
            ...new Set(syncFailed.map(t => t.message ?? '')),
          ].join(',')}`
        : message;
      this.setPhase(
        'Failed',
        `${base}\none or more SyncFail hooks failed${
          messages.length ? `, reason: ${messages.join(',')}` : ''
        }`,
      );
    }
  }
}

/**
 * Runs one step of a sync operation (or terminates it) and returns the new
 * phase, message and resource results.
 */
export async function syncStep(input: SyncStepInput): Promise<SyncStepOutput> {
  const ctx = new SyncContext(input);
  if (input.terminate) await ctx.terminate();
  else await ctx.sync();
  return ctx.output();
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
