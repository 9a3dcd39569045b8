/**
 * `syncResult.resources` while a step runs: the results of earlier steps,
 * updated per task, listed in the order they were first recorded.
 */
import { OperationPhase, ResourceResult, groupOf, versionOf } from '../types';
import { resultKey, taskIsHook, taskObj } from './tasks';
import { Task } from './types';

/** The resource results of a sync operation. */
export class SyncResults {
  private readonly results = new Map<
    string,
    { order: number; r: ResourceResult }
  >();

  constructor(previous: ResourceResult[]) {
    previous.forEach((r, i) => {
      const key = `${r.group}/${r.kind}/${r.namespace}/${r.name}:${
        r.syncPhase ?? ''
      }`;
      this.results.set(key, { order: i + 1, r: { ...r } });
    });
  }

  /** Whether any task has a result (the operation got past its first step). */
  get started() {
    return this.results.size > 0;
  }

  /** The result of a task so far. */
  get(t: Task): ResourceResult | undefined {
    return this.results.get(resultKey(t))?.r;
  }

  /** Records a task's outcome (`setResourceResult`). */
  set(
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

  /** The results in the order they were first recorded. */
  list(): ResourceResult[] {
    return [...this.results.values()]
      .sort((a, b) => a.order - b.order)
      .map(x => x.r);
  }
}
