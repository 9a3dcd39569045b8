/**
 * The further clusters of a sandbox (`--clusters dev,staging`): each one a
 * Kubernetes API server over its own object store, with its own Argo CD API
 * and its own simulated operators (OLM, External Secrets, Loki, Jobs,
 * cluster logging, Argo CD), as a separate real cluster would have. They
 * share the sandbox's AWS account, GitOps repository, token, certificate,
 * fault injector and profile.
 */
import { join } from 'node:path';
import {
  startArgoCdApiServer,
  startArgoCdController,
} from './controllers/argocd';
import { startClusterLoggingController } from './controllers/clusterLogging';
import { startExternalSecretsController } from './controllers/externalSecrets';
import { startJobController } from './controllers/jobs';
import { startLokiController } from './controllers/loki';
import { startOlmController } from './controllers/olm';
import {
  OPENSHIFT_GITOPS_CRD_DIR,
  startOpenShiftGitopsController,
} from './controllers/openshiftGitops';
import { Controller, ControllerContext } from './controllers/types';
import { FaultInjector } from './faults';
import { createCrdAdmission } from './kube/admission';
import { BUILTIN_TYPES } from './kube/builtins';
import { loadCrdTypes } from './kube/crds';
import { kubeconfigYaml } from './kube/kubeconfig';
import { startKubeApiServer } from './kube/server';
import { MemoryObjectStore } from './kube/store';
import { TlsCertificate } from './kube/tls';
import { SANDBOX_CLUSTER_NAME } from './portalConfig';
import { ensurePrivateDir, loadKubeState, persistKubeStore } from './state';

/** Cluster names: DNS-1123 labels, as `loggingEnvironments.clusters` takes. */
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Checks the names of further clusters: DNS labels, distinct, none the
 * primary cluster's. Throws naming the first bad one.
 */
export function checkClusterNames(names: string[]): void {
  const seen = new Set<string>([SANDBOX_CLUSTER_NAME]);
  for (const name of names) {
    if (!CLUSTER_NAME.test(name)) {
      throw new Error(
        `cluster "${name}": a cluster name is a DNS label (lowercase letters, digits and "-", at most 63 characters)`,
      );
    }
    if (seen.has(name)) {
      throw new Error(
        `cluster "${name}" is named twice (the first cluster is always "${SANDBOX_CLUSTER_NAME}")`,
      );
    }
    seen.add(name);
  }
}

/** A further cluster of a running sandbox. */
export interface SandboxCluster {
  /** Its name in the portal's `loggingEnvironments.clusters`. */
  name: string;
  /** Its Kubernetes API (HTTPS, the sandbox's certificate and token). */
  kube: { url: string; token: string; caData: string };
  /** A kubeconfig for it; current context named after the cluster. */
  kubeconfig: string;
  /** Its own Argo CD API. */
  argocd: { url: string; token: string };
  store: MemoryObjectStore;
}

/** A started further cluster and what the sandbox does with it. */
export interface RunningCluster {
  cluster: SandboxCluster;
  startControllers(): void;
  stopControllers(): void;
  /** Stops its servers, controllers and persistence. */
  close(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface StartClusterOptions {
  name: string;
  token: string;
  tls: TlsCertificate;
  caData: string;
  faults: FaultInjector;
  /** The sandbox's controller context (its store is replaced). */
  ctx: ControllerContext;
  git: { url: string; repoDir: string };
  openShiftGitops: boolean;
  persistResourceHealth?: boolean;
  /** Where its Kubernetes objects are kept (`<stateDir>/clusters/<name>`). */
  stateDir?: string;
  /** Prepares a fresh store (the sandbox's initial namespaces). */
  prepare(store: MemoryObjectStore): void;
}

/**
 * Starts a further cluster on free loopback ports. If a part fails, the
 * parts already started are stopped.
 */
export async function startCluster(
  options: StartClusterOptions,
): Promise<RunningCluster> {
  const { name, token, tls, caData, faults, git } = options;
  const log = (line: string) => options.ctx.log(`[${name}] ${line}`);
  const closers: Array<() => unknown> = [];
  const close = async () => {
    while (closers.length) await closers.pop()!();
  };
  try {
    const admission = createCrdAdmission();
    const store = new MemoryObjectStore(
      [
        ...BUILTIN_TYPES,
        ...loadCrdTypes(),
        ...(options.openShiftGitops
          ? loadCrdTypes(OPENSHIFT_GITOPS_CRD_DIR)
          : []),
      ],
      admission,
    );
    const stateDir = options.stateDir
      ? join(options.stateDir, 'clusters', name)
      : undefined;
    const state = stateDir ? await loadKubeState(stateDir) : undefined;
    if (state) store.load(state.objects, state.revision);
    options.prepare(store);
    if (stateDir) {
      await ensurePrivateDir(stateDir);
      const persistence = persistKubeStore(store, stateDir, { log });
      closers.push(() => persistence.stop());
    }
    const kube = await startKubeApiServer({
      store,
      token,
      faults,
      admission,
      tls,
      log,
    });
    closers.push(() => kube.close());
    const argocd = await startArgoCdApiServer({
      store,
      token,
      namespace: 'openshift-gitops',
      git,
    });
    closers.push(() => argocd.close());

    const ctx: ControllerContext = { ...options.ctx, store, log };
    const starters: Array<() => Controller> = [
      () => startOlmController(ctx),
      () => startExternalSecretsController(ctx),
      () => startLokiController(ctx),
      () => startJobController(ctx),
      () => startClusterLoggingController(ctx),
      () =>
        startArgoCdController(
          { ...ctx, git },
          { persistResourceHealth: options.persistResourceHealth },
        ),
      ...(options.openShiftGitops
        ? [() => startOpenShiftGitopsController(ctx)]
        : []),
    ];
    let controllers: Controller[] = [];
    const stopControllers = () => {
      for (const c of controllers.splice(0)) {
        try {
          c.stop();
        } catch (e: any) {
          log(`controllers: stopping ${c.name}: ${e?.message ?? e}`);
        }
      }
    };
    const startControllers = () => {
      controllers = starters.map(start => start());
    };
    startControllers();
    closers.push(stopControllers);
    return {
      cluster: {
        name,
        kube: { url: kube.url, token, caData },
        kubeconfig: kubeconfigYaml({
          url: kube.url,
          token,
          caData,
          name,
          namespace: 'default',
        }),
        argocd: { url: argocd.url, token },
        store,
      },
      startControllers,
      stopControllers,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
