import { ClusterClient } from '@internal/plugin-logging-environments-node';
import { Environment, RevisionSource } from '../types';
import {
  CurrentRevision,
  applicationProblemsOf,
  currentRevisionOf,
} from './binding';
import { ClusterClientProvider } from './clusterClients';

/** Argo CD's annotation that asks for a refresh (a compare, never a sync). */
export const ARGOCD_REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';

const APPLICATION = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
} as const;

/** The part of an Argo CD Application the revision is read from. */
export type ArgoApplicationRevisionFields = {
  metadata: { annotations?: Record<string, string> };
  spec?: {
    source?: { repoURL?: string; path?: string; targetRevision?: string };
  };
  status?: {
    reconciledAt?: string;
    sync?: {
      status?: string;
      revision?: string;
      comparedTo?: {
        source?: { repoURL?: string; path?: string; targetRevision?: string };
      };
    };
    conditions?: Array<{ type: string; message?: string }>;
  };
};

/**
 * What Argo CD says about the revision of an environment's infrastructure
 * Application.
 *
 * @public
 */
export interface RevisionReading {
  /** Whether the infrastructure Application is registered at all. */
  registered: boolean;
  /**
   * The commit `targetRevision` resolves to, from Argo CD's last comparison
   * of the current spec (`status.sync.revision`); undefined when Argo CD
   * has not compared the current spec yet.
   */
  revision?: string;
  /** The branch, tag or commit the Application tracks. */
  targetRevision?: string;
  /** When Argo CD last reconciled the Application (`status.reconciledAt`). */
  comparedAt?: string;
  /** Argo CD's sync status (Synced, OutOfSync, Unknown). */
  syncStatus?: string;
  /** Whether a refresh was asked for and Argo CD finished it in time. */
  refreshed: boolean;
  /** Why the revision is unknown or may be stale, in words. */
  note?: string;
  /** The infrastructure Application as last read. */
  application?: Record<string, any>;
}

function sameSource(
  a: { repoURL?: string; path?: string; targetRevision?: string } | undefined,
  b: { repoURL?: string; path?: string; targetRevision?: string } | undefined,
): boolean {
  const norm = (s?: string) => (s ?? '').replace(/\/+$/, '');
  return (
    norm(a?.repoURL) === norm(b?.repoURL) &&
    norm(a?.path) === norm(b?.path) &&
    (a?.targetRevision || 'HEAD') === (b?.targetRevision || 'HEAD')
  );
}

/**
 * What an infrastructure Application (as read from the cluster or a cache)
 * says about the revision it would sync: `status.sync.revision`, counted
 * only when Argo CD compared the Application's current source.
 *
 * @public
 */
export function readApplicationRevision(
  app: ArgoApplicationRevisionFields,
): Omit<RevisionReading, 'refreshed'> & { refreshed: false } {
  const reading = {
    registered: true,
    targetRevision: app.spec?.source?.targetRevision,
    comparedAt: app.status?.reconciledAt,
    syncStatus: app.status?.sync?.status,
    refreshed: false as const,
  };
  const compared = app.status?.sync;
  if (!compared?.revision) {
    return { ...reading, note: 'Argo CD has not compared the Application yet' };
  }
  if (!sameSource(compared.comparedTo?.source, app.spec?.source)) {
    return {
      ...reading,
      note: 'Argo CD has not compared the Application since its source changed',
    };
  }
  return { ...reading, revision: compared.revision };
}

/**
 * The Git revision an environment's Applications would sync now, as Argo CD
 * resolved it: `status.sync.revision` of the infrastructure Application,
 * counted only when Argo CD compared the Application's current source.
 *
 * With `refresh`, it first asks Argo CD for a normal refresh (the
 * `argocd.argoproj.io/refresh` annotation, which compares and never syncs)
 * and waits, bounded, for Argo CD to finish it, so a commit pushed a moment
 * ago is seen. Without it, it reads what Argo CD last compared (one GET).
 *
 * @public
 */
export class ArgoRevisionSource implements RevisionSource {
  private readonly clusters: ClusterClientProvider;
  private readonly refresh: boolean;
  /** How long a refresh is waited for, unless a read says otherwise. */
  readonly refreshTimeoutMs: number;
  private readonly pollIntervalMs: number;

  constructor(options: {
    clusters: ClusterClientProvider;
    /** Whether `currentRevision` refreshes first (default false: one GET). */
    refresh?: boolean;
    /** How long to wait for Argo CD to finish a refresh (default 5 s). */
    refreshTimeoutMs?: number;
    pollIntervalMs?: number;
  }) {
    this.clusters = options.clusters;
    this.refresh = options.refresh ?? false;
    this.refreshTimeoutMs = options.refreshTimeoutMs ?? 5_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
  }

  async current(environment: Environment): Promise<CurrentRevision> {
    const reading = await this.read(environment, { refresh: this.refresh });
    const forwarder = await this.clusters(environment.cluster).get<any>({
      ...APPLICATION,
      name: environment.applications.forwarder,
      namespace: environment.argocdNamespace,
    });
    return currentRevisionOf(
      environment,
      { infrastructure: reading.application, forwarder },
      reading.revision,
    );
  }

  /**
   * Reads the revision with the details around it. Errors from the cluster
   * (unreachable, forbidden) are thrown.
   */
  async read(
    environment: Environment,
    options: { refresh?: boolean; timeoutMs?: number } = {},
  ): Promise<RevisionReading> {
    const client = this.clusters(environment.cluster);
    const ref = {
      ...APPLICATION,
      name: environment.applications.infrastructure,
      namespace: environment.argocdNamespace,
    };
    const found = await client.get<
      ArgoApplicationRevisionFields & { apiVersion: string; kind: string }
    >(ref);
    if (!found) {
      return {
        registered: false,
        refreshed: false,
        note: `Application ${ref.namespace}/${ref.name} is not registered`,
      };
    }
    let app: ArgoApplicationRevisionFields = found;
    let refreshed = false;
    let note: string | undefined;
    if (options.refresh) {
      // Never touch an Application that is not the environment's own.
      const problems = applicationProblemsOf(
        environment,
        'infrastructure',
        found,
      );
      if (problems.length > 0) {
        return {
          ...readApplicationRevision(found),
          application: found,
          note: `not refreshed: ${problems.join('; ')}`,
        };
      }
      const result = await this.refreshAndWait(
        client,
        ref,
        app,
        options.timeoutMs ?? this.refreshTimeoutMs,
      );
      app = result.app ?? app;
      refreshed = result.refreshed;
      if (!refreshed) {
        note = `Argo CD did not finish the refresh within ${
          (options.timeoutMs ?? this.refreshTimeoutMs) / 1000
        } s; the revision is from its previous comparison`;
      }
    }
    const reading = readApplicationRevision(app);
    // Argo CD's own reason the revision is unknown wins over ours.
    return {
      ...reading,
      refreshed,
      note: reading.note ?? note,
      application: app as Record<string, any>,
    };
  }

  private async refreshAndWait(
    client: ClusterClient,
    ref: { apiVersion: string; kind: string; name: string; namespace: string },
    app: ArgoApplicationRevisionFields,
    timeoutMs: number,
  ): Promise<{ app?: ArgoApplicationRevisionFields; refreshed: boolean }> {
    // A pending "hard" refresh already does more than ours would.
    if (!app.metadata.annotations?.[ARGOCD_REFRESH_ANNOTATION]) {
      // The patch's metadata replaces the one ClusterClient builds from the
      // ref, so it names the object again.
      await client.mergePatch(ref, {
        metadata: {
          name: ref.name,
          namespace: ref.namespace,
          annotations: { [ARGOCD_REFRESH_ANNOTATION]: 'normal' },
        },
      });
    }
    // Argo CD removes the annotation once it has compared again.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await client.get<
        ArgoApplicationRevisionFields & { apiVersion: string; kind: string }
      >(ref);
      if (!current) return { refreshed: false };
      if (!current.metadata.annotations?.[ARGOCD_REFRESH_ANNOTATION]) {
        return { app: current, refreshed: true };
      }
      if (Date.now() + this.pollIntervalMs > deadline) {
        return { app: current, refreshed: false };
      }
      await new Promise(r => setTimeout(r, this.pollIntervalMs));
    }
  }
}
