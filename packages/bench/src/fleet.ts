/**
 * Clusters for the benchmarks: each one the sandbox's own Kubernetes API
 * server (`startKubeApiServer`) over its own object store, with the
 * sandbox's served types and CRD admission and its `FaultInjector` (which
 * logs every call: the counter the control API's `GET /calls` serves, and
 * the latency faults). Without the simulated operators: the Applications'
 * status is written the way Argo CD writes it, so that the benchmark, not
 * a simulated controller reconciling thousands of Applications, decides
 * what changes and when.
 */
import { ApplicationRole } from '@internal/plugin-logging-environments-common';
import {
  BUILTIN_TYPES,
  FaultInjector,
  FaultRule,
  INITIAL_NAMESPACES,
  KubeApiServer,
  KubeObject,
  MemoryObjectStore,
  createCrdAdmission,
  loadCrdTypes,
  selfSignedCertificate,
  startKubeApiServer,
} from '@internal/sandbox';
import { randomBytes } from 'node:crypto';
import {
  ARGOCD_NAMESPACE,
  ApplicationUids,
  FixtureEnvironment,
  applicationObject,
  applicationStatus,
} from './fixtures';
import { waitFor } from './stats';

/** One cluster of the fleet. */
export interface FleetCluster {
  name: string;
  url: string;
  token: string;
  /** The API server's certificate (its own CA), base64 PEM. */
  caData: string;
  store: MemoryObjectStore;
  faults: FaultInjector;
}

/** What the fleet's API servers were asked, summed over the clusters. */
export interface CallCount {
  total: number;
  /** By `<verb>:<resource>` (e.g. `get:applications`, `watch:applications`). */
  byOperation: Record<string, number>;
}

/** Running clusters and what the benchmarks do with them. */
export interface Fleet {
  clusters: FleetCluster[];
  /** `loggingEnvironments.clusters` entries reaching the fleet (url + token). */
  clusterConfig(): Array<{
    name: string;
    url: string;
    serviceAccountToken: string;
    caData: string;
  }>;
  /**
   * Creates the environments' Applications with a synced, healthy status;
   * returns their uids by environment name (what a record binds).
   */
  seed(
    envs: FixtureEnvironment[],
    options: { resources: number },
  ): Map<string, ApplicationUids>;
  /**
   * Writes a new status of one Application (LokiStack health and reconcile
   * time), as Argo CD does when the app's health changes.
   */
  setHealth(
    env: FixtureEnvironment,
    role: ApplicationRole,
    health: string,
    options: { resources: number },
  ): void;
  /** Calls counted since the last `resetCalls`. */
  calls(): CallCount;
  /**
   * Waits until every cluster was asked, since the last `resetCalls`, to
   * watch each of the kinds the plugin's watch cache watches: the cache is
   * warm (its first lists came before the watches).
   */
  awaitWatches(timeoutMs: number): Promise<void>;
  resetCalls(): void;
  /** Adds a fault rule to every cluster. */
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

function namespaceObject(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
  };
}

/** What the plugin's watch cache watches on every cluster. */
const WATCHED_KINDS = [
  'watch:applications',
  'watch:lokistacks',
  'watch:clusterlogforwarders',
];

/**
 * Starts one cluster per name on free loopback ports, over HTTPS with one
 * self-signed certificate, as real API servers are reached.
 */
export async function startFleet(names: string[]): Promise<Fleet> {
  const types = [...BUILTIN_TYPES, ...loadCrdTypes()];
  const tls = selfSignedCertificate();
  const clusters: FleetCluster[] = [];
  const servers: KubeApiServer[] = [];
  try {
    for (const name of names) {
      const admission = createCrdAdmission();
      const store = new MemoryObjectStore(types);
      for (const ns of INITIAL_NAMESPACES) {
        const created = store.create(namespaceObject(ns));
        store.updateStatus({ ...created, status: { phase: 'Active' } });
      }
      const faults = new FaultInjector();
      const token = randomBytes(16).toString('hex');
      const server = await startKubeApiServer({
        store,
        token,
        faults,
        admission,
        tls,
      });
      servers.push(server);
      clusters.push({
        name,
        url: server.url,
        token,
        caData: server.caData ?? '',
        store,
        faults,
      });
    }
  } catch (e) {
    await Promise.all(servers.map(s => s.close()));
    throw e;
  }
  const byName = new Map(clusters.map(c => [c.name, c]));
  const clusterOf = (env: FixtureEnvironment) => {
    const c = byName.get(env.cluster);
    if (!c) throw new Error(`no cluster ${env.cluster} in the fleet`);
    return c;
  };

  return {
    clusters,
    clusterConfig: () =>
      clusters.map(c => ({
        name: c.name,
        url: c.url,
        serviceAccountToken: c.token,
        caData: c.caData,
      })),
    seed(envs, { resources }) {
      const uids = new Map<string, ApplicationUids>();
      for (const env of envs) {
        const { store } = clusterOf(env);
        const created: ApplicationUids = {};
        for (const role of ['infrastructure', 'forwarder'] as const) {
          const app = store.create(applicationObject(env, role) as KubeObject);
          store.updateStatus({
            ...app,
            status: applicationStatus(env, role, { resources }),
          });
          created[role] = app.metadata.uid;
        }
        uids.set(env.name, created);
      }
      return uids;
    },
    setHealth(env, role, health, { resources }) {
      const { store } = clusterOf(env);
      const app = applicationObject(env, role);
      const current = store.get({
        apiVersion: app.apiVersion,
        kind: app.kind,
        namespace: ARGOCD_NAMESPACE,
        name: app.metadata.name,
      });
      if (!current) throw new Error(`no Application ${app.metadata.name}`);
      store.updateStatus({
        ...current,
        status: applicationStatus(env, role, {
          resources,
          health,
          at: new Date(),
        }),
      });
    },
    calls() {
      const byOperation: Record<string, number> = {};
      let total = 0;
      for (const c of clusters) {
        for (const op of c.faults.calls.kube) {
          byOperation[op] = (byOperation[op] ?? 0) + 1;
          total++;
        }
      }
      return { total, byOperation };
    },
    async awaitWatches(timeoutMs) {
      const watching = (c: FleetCluster) =>
        WATCHED_KINDS.every(op => c.faults.calls.kube.includes(op));
      await waitFor(
        `watches of ${WATCHED_KINDS.length} kinds on ${clusters.length} clusters`,
        () => (clusters.every(watching) ? true : undefined),
        timeoutMs,
        100,
      );
    },
    resetCalls() {
      for (const c of clusters) c.faults.calls.kube.length = 0;
    },
    addFault(rule) {
      for (const c of clusters) c.faults.add(rule);
    },
    clearFaults() {
      for (const c of clusters) {
        for (const rule of c.faults.list()) c.faults.remove(rule.id!);
      }
    },
    async stop() {
      await Promise.all(servers.map(s => s.close()));
    },
  };
}
