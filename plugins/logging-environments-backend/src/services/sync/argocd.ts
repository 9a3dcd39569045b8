import {
  ArgoCdApiClient,
  ClusterClient,
  ClusterRegistry,
  EnsureError,
  kubeStatus,
  syncApplicationViaOperation,
} from '@internal/plugin-logging-environments-node';
import { ArgoApplication } from '../waves/applicationStatus';
import { ArgoApplicationTree } from '../waves/resourceHealth';

/** Identifies one Argo CD Application on one cluster. */
export interface ApplicationTarget {
  cluster: string;
  namespace: string;
  name: string;
}

/** A resource an Application manages, as the Kubernetes API names it. */
export interface ManagedObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * Why Argo CD did not start an operation:
 * - `blocked`: a sync window forbids it now (never forced);
 * - `in-progress`: another operation is already running on the Application;
 * - `unavailable`: Argo CD or the cluster could not be reached (worth a retry);
 * - `refused`: anything else (permission, unknown Application, bad request).
 */
export type StartFailureReason =
  | 'blocked'
  | 'in-progress'
  | 'unavailable'
  | 'refused';

/** Argo CD did not start a sync or rollback; `reason` says what to do about it. */
export class OperationNotStartedError extends Error {
  readonly name = 'OperationNotStartedError';

  constructor(readonly reason: StartFailureReason, message: string) {
    super(message);
  }
}

/**
 * The Argo CD operations the sync orchestration needs: read an
 * Application, its resource tree and the live state of a resource it
 * manages, start a sync at a pinned revision, roll back to a history
 * entry, terminate a running operation.
 *
 * @public
 */
export interface ArgoCdApplications {
  /** The Application as stored (undefined when it is not registered). */
  get(target: ApplicationTarget): Promise<ArgoApplication | undefined>;
  /**
   * The Application's resource tree, where Argo CD 3.x keeps per-resource
   * health; undefined when the cluster has no Argo CD API or it cannot be
   * read now (the health is then evaluated without it).
   */
  resourceTree(
    target: ApplicationTarget,
  ): Promise<ArgoApplicationTree | undefined>;
  /** A resource of the Application as it is live on the cluster (undefined when absent). */
  managedObject(
    target: ApplicationTarget,
    ref: ManagedObjectRef,
  ): Promise<Record<string, any> | undefined>;
  /**
   * Starts a sync at `revision`; returns how (`api`: the Argo CD API server,
   * `operation`: `.operation` on the Application). Throws
   * {@link OperationNotStartedError}.
   */
  sync(
    target: ApplicationTarget,
    input: { revision: string; initiatedBy: string },
  ): Promise<'api' | 'operation'>;
  /** Rolls back to a history entry; throws {@link OperationNotStartedError}. */
  rollback(
    target: ApplicationTarget,
    entry: { id: number; revision: string },
    initiatedBy: string,
  ): Promise<'api' | 'operation'>;
  /** Asks Argo CD to terminate the running operation, if there is one. */
  terminate(target: ApplicationTarget): Promise<void>;
}

const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' };

/** Classifies an error of the -node Argo CD helpers. */
export function classifyStartError(error: unknown): OperationNotStartedError {
  if (error instanceof OperationNotStartedError) return error;
  const message = (error as Error)?.message ?? String(error);
  const code =
    error instanceof EnsureError ? error.code : kubeStatus(error).reason;
  let reason: StartFailureReason = 'refused';
  if (code === 'SyncWindowBlocked' || /sync window/i.test(message)) {
    reason = 'blocked';
  } else if (/another operation is already in progress/i.test(message)) {
    reason = 'in-progress';
  } else if (
    code === 'Unreachable' ||
    /^HTTP 5\d\d$/.test(code ?? '') ||
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'ServiceUnavailable',
      'InternalError',
      'Timeout',
      'TooManyRequests',
    ].includes(code ?? '')
  ) {
    reason = 'unavailable';
  }
  return new OperationNotStartedError(reason, message);
}

/**
 * {@link ArgoCdApplications} over the configured clusters: syncs and
 * rollbacks go through the Argo CD API server when the cluster has
 * `argocdUrl` and `argocdToken` (so Argo CD's RBAC and sync windows apply),
 * else through `.operation` on the Application; so do reads of resource
 * trees, which only the API serves. Other reads and terminations go
 * through the Kubernetes API, which every configured cluster has.
 *
 * @public
 */
export class ClusterArgoCdApplications implements ArgoCdApplications {
  private readonly clients = new Map<string, ClusterClient>();

  constructor(private readonly clusters: ClusterRegistry) {}

  private client(cluster: string): ClusterClient {
    let client = this.clients.get(cluster);
    if (!client) {
      client = ClusterClient.fromKubeConfig(this.clusters.kubeConfig(cluster));
      this.clients.set(cluster, client);
    }
    return client;
  }

  async get(target: ApplicationTarget): Promise<ArgoApplication | undefined> {
    return (await this.client(target.cluster).get({
      ...APPLICATION,
      name: target.name,
      namespace: target.namespace,
    })) as ArgoApplication | undefined;
  }

  async resourceTree(
    target: ApplicationTarget,
  ): Promise<ArgoApplicationTree | undefined> {
    const api = this.clusters.argocdApi(target.cluster);
    if (!api) return undefined;
    try {
      return await new ArgoCdApiClient(api).resourceTree(
        target.name,
        target.namespace,
      );
    } catch {
      // Optional evidence: without it the health is evaluated otherwise,
      // and what cannot be told reads Unknown, never healthy.
      return undefined;
    }
  }

  async managedObject(
    target: ApplicationTarget,
    ref: ManagedObjectRef,
  ): Promise<Record<string, any> | undefined> {
    return (await this.client(target.cluster).get(ref)) as
      | Record<string, any>
      | undefined;
  }

  async sync(
    target: ApplicationTarget,
    input: { revision: string; initiatedBy: string },
  ): Promise<'api' | 'operation'> {
    const api = this.clusters.argocdApi(target.cluster);
    try {
      if (api) {
        // The API refuses a revision other than targetRevision for an
        // Application that syncs automatically; ask for its targetRevision
        // then, and let the caller check what was synced.
        const app = await this.get(target);
        const automated = Boolean(app?.spec?.syncPolicy?.automated);
        await new ArgoCdApiClient(api).sync(target.name, {
          appNamespace: target.namespace,
          revision: automated ? '' : input.revision,
        });
        return 'api';
      }
      await syncApplicationViaOperation(
        this.client(target.cluster),
        { name: target.name, namespace: target.namespace },
        input,
      );
      return 'operation';
    } catch (e) {
      throw classifyStartError(e);
    }
  }

  async rollback(
    target: ApplicationTarget,
    entry: { id: number; revision: string },
    initiatedBy: string,
  ): Promise<'api' | 'operation'> {
    const api = this.clusters.argocdApi(target.cluster);
    try {
      if (api) {
        await new ArgoCdApiClient(api).rollback(target.name, {
          appNamespace: target.namespace,
          id: entry.id,
        });
        return 'api';
      }
      // What the rollback API does, without it: a sync pinned to the
      // revision of the history entry.
      await syncApplicationViaOperation(
        this.client(target.cluster),
        { name: target.name, namespace: target.namespace },
        { revision: entry.revision, initiatedBy },
      );
      return 'operation';
    } catch (e) {
      throw classifyStartError(e);
    }
  }

  async terminate(target: ApplicationTarget): Promise<void> {
    const app = await this.get(target);
    if (!app?.operation) return;
    const ref = {
      ...APPLICATION,
      name: target.name,
      namespace: target.namespace,
    };
    const phase = app.status?.operationState?.phase;
    if (phase === 'Running') {
      // What `argocd app terminate-op` does: the controller sees
      // Terminating, stops the operation (deleting running hooks) and marks
      // it Failed. The Application CRD has no status subresource, so a patch
      // of the object reaches status.
      await this.client(target.cluster).mergePatch(ref, {
        status: { operationState: { phase: 'Terminating' } },
      });
    } else if (phase !== 'Terminating') {
      // Requested but not picked up by the controller yet: withdraw it.
      await this.client(target.cluster).mergePatch(ref, { operation: null });
    }
  }
}
