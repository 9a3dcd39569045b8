import { ApplicationRole } from '@internal/plugin-logging-environments-common';
import {
  ApplicationTarget,
  ArgoCdApplications,
  ManagedObjectRef,
  OperationNotStartedError,
} from '../argocd';
import { ArgoApplicationTree } from '../../waves/resourceHealth';
import {
  ArgoApplication,
  isCompletedPhase,
} from '../../waves/applicationStatus';
import {
  SECOND,
  application,
  resourceStatuses,
  syncResults,
} from '../../waves/__testUtils__/applications';

/**
 * How the operations of an Application end:
 * - `succeed`: every wave applied and healthy, history appended;
 * - `succeed-unhealthy`: Argo CD reports success, the LokiStack is still
 *   Progressing (until the test changes it);
 * - `fail`: the LokiStack turns Degraded, the operation fails;
 * - `hold`: it keeps running;
 * - `hold-by-window`: a sync window holds it (Running, with Argo CD's message);
 * - `other-revision`: it runs, and succeeds, at another revision.
 */
export type Outcome =
  | 'succeed'
  | 'succeed-unhealthy'
  | 'fail'
  | 'hold'
  | 'hold-by-window'
  | 'other-revision';

export const OTHER_REVISION = '9999999999999999999999999999999999999999';

export interface ArgoCall {
  op: 'sync' | 'rollback' | 'terminate';
  app: string;
  revision?: string;
  id?: number;
  by?: string;
}

const roleOf = (name: string): ApplicationRole =>
  name.endsWith('-forwarder') ? 'forwarder' : 'infrastructure';

/**
 * An in-memory Argo CD for the sync tests: the operations the service asks
 * for, and a controller the test steps with `reconcile()`. Every operation
 * starts and finishes within the same second, as quick syncs do: only what
 * Argo CD writes tells them apart.
 */
export class FakeArgoCd implements ArgoCdApplications {
  readonly apps = new Map<string, ArgoApplication>();
  readonly calls: ArgoCall[] = [];
  /** How the next operations of an Application end (default `succeed`). */
  readonly outcomes = new Map<string, Outcome>();
  /** Thrown by the next sync calls, one per call. */
  readonly syncErrors: OperationNotStartedError[] = [];
  /** Thrown by every read while set. */
  getError?: Error;
  method: 'api' | 'operation' = 'api';
  /** For each forwarder sync asked for: the infrastructure operation and its health check then. */
  readonly forwarderSyncedWhile: Array<{ phase?: string; job?: string }> = [];
  /** Resource trees the API serves, by Application (none: no Argo CD API). */
  readonly trees = new Map<string, ArgoApplicationTree>();
  /** Live objects on the cluster, by `<kind>/<namespace>/<name>`. */
  readonly objects = new Map<string, Record<string, any>>();
  /**
   * Argo CD 3.x: the Applications carry no per-resource health
   * (`resourceHealthSource: appTree`); default false (2.x, persisted).
   */
  appTree = false;

  constructor(env = 'acme-prod') {
    for (const role of ['infrastructure', 'forwarder'] as const) {
      this.put(application(role, { env }));
    }
  }

  put(app: ArgoApplication) {
    this.apps.set(app.metadata.name!, this.shaped(structuredClone(app)));
  }

  /** The Application as this Argo CD writes it: without resource health in 3.x. */
  private shaped(app: ArgoApplication): ArgoApplication {
    if (this.appTree && app.status) {
      app.status.resourceHealthSource = 'appTree';
      for (const r of app.status.resources ?? []) delete r.health;
    }
    return app;
  }

  app(name: string): ArgoApplication {
    const app = this.apps.get(name);
    if (!app) throw new Error(`no Application ${name}`);
    return app;
  }

  callsOf(op: ArgoCall['op'], app?: string): ArgoCall[] {
    return this.calls.filter(c => c.op === op && (!app || c.app === app));
  }

  async get(target: ApplicationTarget) {
    if (this.getError) throw this.getError;
    const app = this.apps.get(target.name);
    return app ? structuredClone(app) : undefined;
  }

  async resourceTree(target: ApplicationTarget) {
    const tree = this.trees.get(target.name);
    return tree ? structuredClone(tree) : undefined;
  }

  async managedObject(_target: ApplicationTarget, ref: ManagedObjectRef) {
    const object = this.objects.get(
      `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`,
    );
    return object ? structuredClone(object) : undefined;
  }

  async sync(
    target: ApplicationTarget,
    input: { revision: string; initiatedBy: string },
  ): Promise<'api' | 'operation'> {
    this.calls.push({
      op: 'sync',
      app: target.name,
      revision: input.revision,
      by: input.initiatedBy,
    });
    const error = this.syncErrors.shift();
    if (error) throw error;
    this.request(target.name, input.revision);
    if (roleOf(target.name) === 'forwarder') {
      const infrastructure = [...this.apps.values()].find(
        a => roleOf(a.metadata.name!) === 'infrastructure',
      );
      const state = infrastructure?.status?.operationState;
      this.forwarderSyncedWhile.push({
        phase: state?.phase,
        job: state?.syncResult?.resources?.find(r => r.kind === 'Job')
          ?.hookPhase,
      });
    }
    return this.method;
  }

  async rollback(
    target: ApplicationTarget,
    entry: { id: number; revision: string },
    initiatedBy: string,
  ): Promise<'api' | 'operation'> {
    this.calls.push({
      op: 'rollback',
      app: target.name,
      id: entry.id,
      revision: entry.revision,
      by: initiatedBy,
    });
    const app = this.app(target.name);
    if (this.method === 'api' && app.spec?.syncPolicy?.automated) {
      // Argo CD's API server refuses it (FailedPrecondition); only `.operation` gets through.
      throw new OperationNotStartedError(
        'refused',
        'rollback cannot be initiated when auto-sync is enabled',
      );
    }
    const recorded = app.status?.history?.find(h => h.id === entry.id);
    if (!recorded) {
      throw new OperationNotStartedError(
        'refused',
        `application ${target.name} does not have deployment with id ${entry.id}`,
      );
    }
    this.request(target.name, recorded.revision!);
    return this.method;
  }

  /**
   * As `ClusterArgoCdApplications.terminate`: a running operation turns
   * Terminating (the controller fails it on its next reconcile); one not
   * picked up yet is withdrawn.
   */
  async terminate(target: ApplicationTarget): Promise<void> {
    this.calls.push({ op: 'terminate', app: target.name });
    const app = this.app(target.name);
    if (!app.operation) return;
    const phase = app.status?.operationState?.phase;
    if (phase === 'Running') {
      app.status!.operationState!.phase = 'Terminating';
    } else if (phase !== 'Terminating') {
      delete app.operation;
    }
  }

  /** One reconcile of every Application: a requested operation starts; a running one ends per its outcome. */
  reconcile() {
    for (const app of this.apps.values()) this.shaped(this.reconcileOne(app));
  }

  private request(name: string, revision: string) {
    const app = this.app(name);
    const state = app.status?.operationState;
    if (app.operation || (state && !isCompletedPhase(state.phase))) {
      throw new OperationNotStartedError(
        'in-progress',
        'another operation is already in progress',
      );
    }
    app.operation = { sync: { revision } };
    // As Argo CD's SetAppOperation: the previous operation's state goes.
    if (app.status) delete app.status.operationState;
  }

  private reconcileOne(app: ArgoApplication): ArgoApplication {
    this.step(app);
    return app;
  }

  private step(app: ArgoApplication) {
    const name = app.metadata.name!;
    const role = roleOf(name);
    const status = (app.status ??= {});
    const state = status.operationState;
    const outcome = this.outcomes.get(name) ?? 'succeed';
    if (app.operation && state?.phase === 'Terminating') {
      // The controller stops the operation and reports it failed.
      state.phase = 'Failed';
      state.message = 'Operation terminated';
      state.finishedAt = SECOND;
      delete app.operation;
      return;
    }
    if (app.operation && (!state || isCompletedPhase(state.phase))) {
      const requested = app.operation.sync?.revision ?? '';
      status.operationState = {
        operation: {
          sync: { revision: requested },
          initiatedBy: { username: 'admin' },
        },
        phase: 'Running',
        message: '',
        startedAt: SECOND,
        syncResult: {
          revision: outcome === 'other-revision' ? OTHER_REVISION : requested,
          resources: [],
        },
      };
      return;
    }
    if (!app.operation || !state || state.phase !== 'Running') return;
    const revision = state.syncResult!.revision!;
    switch (outcome) {
      case 'hold':
        state.message = `waiting for completion of hook batch/Job/logging-loki-health-check`;
        state.syncResult!.resources = syncResults(role, {
          lokiStack: 'Healthy',
          job: 'Running',
        });
        return;
      case 'hold-by-window':
        state.message = 'Sync operation blocked by sync window';
        return;
      case 'fail': {
        const health = {
          externalSecret: 'Healthy',
          lokiStack: 'Degraded',
          lokiMessage:
            'Invalid object storage secret contents: missing secret field: access_key_id',
        };
        state.phase = 'Failed';
        state.message =
          'one or more synchronization tasks completed unsuccessfully';
        state.finishedAt = SECOND;
        state.syncResult!.resources = syncResults(role, health);
        status.resources = resourceStatuses(role, health);
        delete app.operation;
        return;
      }
      default: {
        const health =
          outcome === 'succeed-unhealthy'
            ? {
                externalSecret: 'Healthy',
                lokiStack: 'Progressing',
                job: 'Succeeded' as const,
              }
            : undefined;
        state.phase = 'Succeeded';
        state.message = 'successfully synced (all tasks run)';
        state.finishedAt = SECOND;
        state.syncResult!.resources = syncResults(role, health);
        status.resources = resourceStatuses(role, health);
        status.sync = { status: 'Synced', revision };
        const history = (status.history ??= []);
        history.push({
          id: history.length ? history[history.length - 1].id + 1 : 0,
          revision,
          deployedAt: SECOND,
        });
        delete app.operation;
      }
    }
  }
}
