/**
 * The sandbox: a local stand-in for OpenShift + OLM + Argo CD + External
 * Secrets + the Loki operator + cluster logging + AWS, started as one unit
 * by {@link startSandbox} (used by `yarn sandbox` and by tests).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { awsInventory, AwsInventory, startAwsProxy, startMoto } from './aws';
import {
  RunningCluster,
  SandboxCluster,
  checkClusterNames,
  startCluster,
} from './cluster';
import { startControlServer } from './control';
import { startGitServer } from './controllers/git';
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
  ARGOCD,
  OPENSHIFT_GITOPS_CRD_DIR,
  startOpenShiftGitopsController,
} from './controllers/openshiftGitops';
import { Controller, ControllerContext } from './controllers/types';
import { FaultInjector, seededRandom } from './faults';
import { createCrdAdmission } from './kube/admission';
import { BUILTIN_TYPES, INITIAL_NAMESPACES } from './kube/builtins';
import { loadCrdTypes } from './kube/crds';
import { kubeconfigYaml } from './kube/kubeconfig';
import { startKubeApiServer } from './kube/server';
import { selfSignedCertificate } from './kube/tls';
import { MemoryObjectStore } from './kube/store';
import { ApiError, KubeObject } from './kube/types';
import { PROFILES, SandboxProfile } from './profile';
import {
  AwsStateJournal,
  STATE_FILES,
  ensurePrivateDir,
  loadKubeState,
  loadOrCreateCertificate,
  loadOrCreateIdentity,
  persistKubeStore,
  writeFileAtomic,
} from './state';

export type { AwsInventory } from './aws';
export type { SandboxCluster } from './cluster';
export type { SandboxHandles } from './control';
export { FaultInjector, seededRandom } from './faults';
export type { FaultAction, FaultHit, FaultRule } from './faults';
export { PROFILES } from './profile';
export type { SandboxProfile } from './profile';
export { seedSandbox } from './seed';
export type { SeedOptions } from './seed';
export { portalConfig } from './portalConfig';
// The parts of the Kubernetes API, for clusters without the simulated
// operators (the benchmarks' fleet) and for checks against the served types.
export {
  ApiError,
  BUILTIN_TYPES,
  INITIAL_NAMESPACES,
  MemoryObjectStore,
  createCrdAdmission,
  loadCrdTypes,
  selfSignedCertificate,
  startKubeApiServer,
} from './kube';
export type {
  CrdAdmission,
  KubeApiServer,
  KubeApiServerOptions,
  KubeObject,
  TlsCertificate,
} from './kube';

/** Ports to listen on (all on 127.0.0.1); a free port for each one left out. */
export interface SandboxPorts {
  /** Kubernetes API. */
  kube?: number;
  /** Argo CD API. */
  argocd?: number;
  /** Git server of the GitOps repository. */
  git?: number;
  /** AWS endpoint (the fault-injecting proxy in front of moto). */
  aws?: number;
  /** Control API. */
  control?: number;
}

/**
 * Which Argo CD the sandbox stands in for: `upstream` (the default; the
 * `ArgoCD` kind is not served, anyone may edit `argocd-cm`) or
 * `openshift-gitops` (the `ArgoCD` CRD is served, the default instance
 * `openshift-gitops/openshift-gitops` exists and a simulated operator
 * renders its `spec.resourceHealthChecks` into `argocd-cm`, reverting direct
 * edits of those keys; see controllers/openshiftGitops.ts).
 */
export type SandboxArgoCdFlavour = 'upstream' | 'openshift-gitops';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Operator timings: `fast` (default; tests) or `demo` (people). */
  profile?: SandboxProfile['name'];
  /** The Argo CD it stands in for (default `upstream`). */
  argoCdFlavour?: SandboxArgoCdFlavour;
  /**
   * Where state survives restarts (Kubernetes objects, AWS calls, git
   * repository, token and credentials); none: everything is in memory and
   * temporary directories.
   */
  stateDir?: string;
  /** Bearer token of every API; random per start (or kept in the state dir) by default. */
  token?: string;
  ports?: SandboxPorts;
  /** Receives log lines (never secret values); silent by default. */
  log?: (line: string) => void;
  /**
   * Argo CD 2.x: keep each resource's health in the Applications'
   * `status.resources` (`--persist-resource-health`). Default false: Argo
   * CD 3.x, health in the resource tree only (`resourceHealthSource: appTree`).
   */
  persistResourceHealth?: boolean;
  /**
   * Seeds which calls the faults with a `fraction` pick (default unseeded),
   * so that a run under faults can be replayed with the seed it printed.
   */
  faultSeed?: number;
  /**
   * Names of further clusters (`--clusters dev,staging`), besides the first
   * one (`sandbox`, served on `ports.kube`): each a Kubernetes API with its
   * own Argo CD and operators, on free ports. None by default.
   */
  clusters?: string[];
}

/** A running sandbox. */
export interface Sandbox {
  /**
   * Kubernetes API (HTTPS, self-signed): bearer `token`; `caData` is the
   * server certificate, base64 PEM (kubeconfig `certificate-authority-data`,
   * client-node `caData`).
   */
  kube: { url: string; token: string; caData: string };
  /** A kubeconfig (YAML) for the Kubernetes API; current context `sandbox`. */
  kubeconfig: string;
  /**
   * The further clusters ({@link SandboxOptions.clusters}), each with its
   * own Kubernetes API, Argo CD and operators; AWS and git are shared.
   */
  clusters: SandboxCluster[];
  /** The AWS endpoint (S3 path-style) and the sandbox's admin credentials. */
  aws: {
    /** Plain HTTP. */
    url: string;
    /**
     * The same endpoint (same port) over HTTPS: S3 calls through it count as
     * `aws:SecureTransport` for bucket policies; clients trust `caData`.
     */
    httpsUrl: string;
    /** The HTTPS endpoint's certificate (its own CA), base64-encoded PEM (as `kube.caData`). */
    caData: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  /** moto itself, behind the proxy (no faults, not counted): for debugging. */
  moto: { url: string; pid: number };
  /** Argo CD API: bearer `token`. */
  argocd: { url: string; token: string };
  /** The Argo CD it stands in for. */
  argoCdFlavour: SandboxArgoCdFlavour;
  /** The GitOps repository (HTTP Basic, any user, password = the token) and its bare repository on disk. */
  git: { url: string; repoDir: string };
  /** Control API (faults, reset, snapshot, profile): bearer = the token. */
  control: { url: string };
  store: MemoryObjectStore;
  faults: FaultInjector;
  /** The active profile (`PUT /profile` switches it). */
  profile(): SandboxProfile;
  /** Switches the profile: the simulated operators restart with its timings. */
  setProfile(name: SandboxProfile['name']): void;
  /**
   * Back to a fresh sandbox: moto emptied, every Kubernetes object except
   * the initial namespaces deleted (with watch events), operators restarted.
   */
  reset(): Promise<void>;
  /** What moto holds (never secret values). */
  awsInventory(): Promise<AwsInventory>;
  /**
   * Writes `kubeconfig` (and `kubeconfig-<name>` for each further cluster),
   * `aws.env`, `sandbox.json` (every endpoint and token) and `ca.pem` (the
   * HTTPS endpoints' certificate) into `dir`, mode 0600.
   */
  writeFiles(dir: string): Promise<void>;
  /** Stops everything (moto included) and saves state. Idempotent. */
  stop(): Promise<void>;
}

/** The AWS region the sandbox reports. */
export const SANDBOX_REGION = 'us-east-1';

function namespaceObject(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
  };
}

/** Creates the initial namespaces that are missing (Active, as on a cluster). */
function ensureInitialNamespaces(store: MemoryObjectStore) {
  for (const name of INITIAL_NAMESPACES) {
    if (store.get({ apiVersion: 'v1', kind: 'Namespace', name })) continue;
    const created = store.create(namespaceObject(name));
    store.updateStatus({ ...created, status: { phase: 'Active' } });
  }
}

/**
 * Deletes every object except the initial namespaces, through the store (so
 * watchers, HTTP watch streams included, see DELETED events).
 */
function wipeKubeStore(store: MemoryObjectStore) {
  const keep = new Set(INITIAL_NAMESPACES);
  const isNamespace = (o: KubeObject) =>
    o.apiVersion === 'v1' && o.kind === 'Namespace';
  const tryDelete = (o: KubeObject) => {
    try {
      store.delete(
        {
          apiVersion: o.apiVersion,
          kind: o.kind,
          namespace: o.metadata.namespace,
          name: o.metadata.name,
        },
        // A wipe is no cluster operation: finalizers do not hold it up.
        { purge: true },
      );
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  };
  // Other namespaces first: deleting one deletes what is in it.
  for (const o of store.dump()) {
    if (isNamespace(o) && !keep.has(o.metadata.name)) tryDelete(o);
  }
  for (const o of store.dump()) {
    if (!isNamespace(o)) tryDelete(o);
  }
}

/**
 * Starts a sandbox: Kubernetes API server over an in-memory store (CRDs,
 * admission), moto behind the fault-injecting AWS proxy, the simulated
 * operators, the git server and Argo CD API, and the control API. With a
 * `stateDir`, state is loaded from and saved to it (see src/state.ts).
 * If any part fails to start, the parts already started are stopped.
 */
export async function startSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const ports = options.ports ?? {};
  const argoCdFlavour = options.argoCdFlavour ?? 'upstream';
  const openShiftGitops = argoCdFlavour === 'openshift-gitops';
  const stateDir = options.stateDir ? resolve(options.stateDir) : undefined;
  const clusterNames = options.clusters ?? [];
  checkClusterNames(clusterNames);
  const cleanups: Array<() => unknown> = [];
  const runCleanups = async () => {
    while (cleanups.length) {
      const cleanup = cleanups.pop()!;
      try {
        await cleanup();
      } catch (e: any) {
        log(`stop: ${e?.message ?? e}`);
      }
    }
  };

  try {
    const { identity, loaded } = await loadOrCreateIdentity(stateDir);
    const token = options.token ?? identity.token;
    if (stateDir) {
      log(
        loaded ? `state: using ${stateDir}` : `state: new state in ${stateDir}`,
      );
    }

    // moto boots (about a second) while the rest is set up.
    const motoStarting = startMoto({
      recordingFile: stateDir ? join(stateDir, STATE_FILES.aws) : undefined,
    });
    motoStarting.catch(() => {}); // awaited below
    cleanups.push(async () =>
      (await motoStarting.catch(() => undefined))?.stop(),
    );

    const faults = new FaultInjector(
      options.faultSeed === undefined
        ? undefined
        : seededRandom(options.faultSeed),
    );
    const types = [
      ...BUILTIN_TYPES,
      ...loadCrdTypes(),
      ...(openShiftGitops ? loadCrdTypes(OPENSHIFT_GITOPS_CRD_DIR) : []),
    ];
    const admission = createCrdAdmission();
    const store = new MemoryObjectStore(types, admission);
    const kubeState = stateDir ? await loadKubeState(stateDir) : undefined;
    if (kubeState) {
      // A cluster's Argo CD does not change flavour under its objects.
      const argoCds = kubeState.objects.filter(
        o => o.kind === ARGOCD.kind && o.apiVersion.startsWith('argoproj.io/'),
      );
      if (!openShiftGitops && argoCds.length > 0) {
        throw new Error(
          `the state in ${stateDir} is of a sandbox in OpenShift GitOps mode (it holds ArgoCD resources): start it in that mode again (argoCdFlavour openshift-gitops), or from empty state`,
        );
      }
      store.load(kubeState.objects, kubeState.revision);
      log(`state: loaded ${kubeState.objects.length} Kubernetes objects`);
    }
    ensureInitialNamespaces(store);
    // Stopped last (but for moto): the final save sees every write.
    if (stateDir) {
      const persistence = persistKubeStore(store, stateDir, { log });
      cleanups.push(() => persistence.stop());
    }

    // AWS: moto, its journal (state dir), the proxy everything goes through.
    const moto = await motoStarting;
    let journal: AwsStateJournal | undefined;
    if (stateDir) {
      journal = await AwsStateJournal.open({
        stateDir,
        seed: value => moto.seed(value),
        log,
      });
      if (journal.recorded > 0) {
        await moto.replayRecording();
        log(`state: replayed ${journal.recorded} recorded AWS calls`);
      }
    }
    // One loopback certificate (its own CA) for the Kubernetes API and the
    // AWS endpoint's HTTPS.
    const tls = stateDir
      ? await loadOrCreateCertificate(stateDir, () => selfSignedCertificate())
      : selfSignedCertificate();
    const caData = Buffer.from(tls.cert, 'utf8').toString('base64');
    // Plain HTTP and HTTPS on one port: bucket policies conditioned on
    // aws:SecureTransport see the transport a client used.
    const proxy = await startAwsProxy({
      target: moto.url,
      faults,
      journal,
      tls,
      port: ports.aws,
      adminAccessKeyId: identity.awsAccessKeyId,
    });
    cleanups.push(() => proxy.close());
    const aws = {
      url: proxy.url,
      httpsUrl: proxy.httpsUrl!,
      caData,
      region: SANDBOX_REGION,
      accessKeyId: identity.awsAccessKeyId,
      secretAccessKey: identity.awsSecretAccessKey,
    };

    // Kubernetes API.
    // HTTPS: kubectl sends a kubeconfig's token only over TLS.
    const kube = await startKubeApiServer({
      store,
      token,
      faults,
      admission,
      tls,
      port: ports.kube,
      log,
    });
    cleanups.push(() => kube.close());
    const kubeUrl = kube.url;

    // GitOps repository and Argo CD API.
    let tempGitDir: string | undefined;
    if (!stateDir) {
      tempGitDir = await mkdtemp(join(tmpdir(), 'sandbox-git-'));
      const dir = tempGitDir;
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
    }
    const git = await startGitServer({
      dataDir: stateDir ? join(stateDir, 'git') : tempGitDir!,
      token,
      port: ports.git,
    });
    cleanups.push(() => git.close());
    const argocd = await startArgoCdApiServer({
      store,
      token,
      namespace: 'openshift-gitops',
      git: { url: git.url, repoDir: git.repoDir },
      port: ports.argocd,
    });
    cleanups.push(() => argocd.close());
    const argocdUrl = argocd.url;

    // Simulated operators.
    const profile: SandboxProfile = { ...PROFILES[options.profile ?? 'fast'] };
    const ctx: ControllerContext = {
      store,
      profile,
      aws: {
        url: aws.url,
        httpsUrl: aws.httpsUrl,
        caData: aws.caData,
        region: aws.region,
        adminAccessKeyId: aws.accessKeyId,
        adminSecretAccessKey: aws.secretAccessKey,
      },
      faults,
      log,
    };
    const argoCtx = { ...ctx, git: { url: git.url, repoDir: git.repoDir } };
    const starters: Array<() => Controller> = [
      () => startOlmController(ctx),
      () => startExternalSecretsController(ctx),
      () => startLokiController(ctx),
      () => startJobController(ctx),
      () => startClusterLoggingController(ctx),
      () =>
        startArgoCdController(argoCtx, {
          persistResourceHealth: options.persistResourceHealth,
        }),
      ...(openShiftGitops ? [() => startOpenShiftGitopsController(ctx)] : []),
    ];
    let controllers: Controller[] = [];
    const startControllers = () => {
      controllers = starters.map(start => start());
    };
    const stopControllers = () => {
      for (const c of controllers.splice(0)) {
        try {
          c.stop();
        } catch (e: any) {
          log(`controllers: stopping ${c.name}: ${e?.message ?? e}`);
        }
      }
    };
    startControllers();
    cleanups.push(stopControllers);

    const extraClusters: RunningCluster[] = [];
    for (const name of clusterNames) {
      const running = await startCluster({
        name,
        token,
        tls,
        caData,
        faults,
        ctx,
        git: { url: git.url, repoDir: git.repoDir },
        openShiftGitops,
        persistResourceHealth: options.persistResourceHealth,
        stateDir,
        prepare: ensureInitialNamespaces,
      });
      extraClusters.push(running);
      cleanups.push(() => running.close());
    }
    const stopAllControllers = () => {
      stopControllers();
      extraClusters.forEach(c => c.stopControllers());
    };
    const startAllControllers = () => {
      startControllers();
      extraClusters.forEach(c => c.startControllers());
    };

    const reset = async () => {
      stopAllControllers();
      try {
        await proxy.exclusive(async () => {
          await moto.reset();
          await journal?.clear();
        });
        for (const s of [store, ...extraClusters.map(c => c.cluster.store)]) {
          wipeKubeStore(s);
          ensureInitialNamespaces(s);
        }
      } finally {
        startAllControllers();
      }
      log('reset: AWS and Kubernetes state cleared');
    };
    const setProfile = (name: SandboxProfile['name']) => {
      if (!PROFILES[name]) throw new Error(`unknown profile "${name}"`);
      stopAllControllers();
      Object.assign(profile, PROFILES[name]);
      startAllControllers();
      log(`profile: ${name}`);
    };
    const inventory = () =>
      proxy.shared(() =>
        awsInventory({
          url: moto.url,
          region: aws.region,
          accessKeyId: aws.accessKeyId,
          secretAccessKey: aws.secretAccessKey,
        }),
      );

    const control = await startControlServer({
      sandbox: {
        faults,
        store,
        awsInventory: inventory,
        reset,
        profile: () => ({ ...profile }),
        setProfile,
      },
      token,
      port: ports.control,
    });
    cleanups.push(() => control.close());

    const kubeconfig = kubeconfigYaml({
      url: kubeUrl,
      token,
      caData,
      namespace: 'default',
    });
    let stopping: Promise<void> | undefined;
    const sandbox: Sandbox = {
      kube: { url: kubeUrl, token, caData },
      kubeconfig,
      clusters: extraClusters.map(c => c.cluster),
      aws,
      moto: { url: moto.url, pid: moto.pid },
      argocd: { url: argocdUrl, token },
      argoCdFlavour,
      git: { url: git.url, repoDir: git.repoDir },
      control: { url: control.url },
      store,
      faults,
      profile: () => ({ ...profile }),
      setProfile,
      reset,
      awsInventory: inventory,
      async writeFiles(dir: string) {
        await ensurePrivateDir(dir);
        const env = [
          `AWS_ENDPOINT_URL=${aws.url}`,
          `AWS_REGION=${aws.region}`,
          `AWS_DEFAULT_REGION=${aws.region}`,
          `AWS_ACCESS_KEY_ID=${aws.accessKeyId}`,
          `AWS_SECRET_ACCESS_KEY=${aws.secretAccessKey}`,
          '',
        ].join('\n');
        const description = {
          profile: profile.name,
          kube: { url: kubeUrl, token, caData },
          kubeconfig: join(dir, 'kubeconfig'),
          aws: { ...aws, forcePathStyle: true },
          moto: { url: moto.url, pid: moto.pid },
          argocd: { url: argocdUrl, token },
          argoCdFlavour,
          clusters: extraClusters.map(({ cluster }) => ({
            name: cluster.name,
            kube: cluster.kube,
            kubeconfig: join(dir, `kubeconfig-${cluster.name}`),
            argocd: cluster.argocd,
          })),
          git: { url: git.url, username: 'sandbox', password: token },
          control: { url: control.url, token },
          stateDir: stateDir ?? null,
        };
        await writeFileAtomic(join(dir, 'kubeconfig'), kubeconfig);
        for (const { cluster } of extraClusters) {
          await writeFileAtomic(
            join(dir, `kubeconfig-${cluster.name}`),
            cluster.kubeconfig,
          );
        }
        await writeFileAtomic(join(dir, 'aws.env'), env);
        // The certificate of both HTTPS endpoints (its own CA), for
        // `aws --ca-bundle`, `AWS_CA_BUNDLE` or `NODE_EXTRA_CA_CERTS`.
        await writeFileAtomic(join(dir, 'ca.pem'), tls.cert);
        await writeFileAtomic(
          join(dir, 'sandbox.json'),
          `${JSON.stringify(description, null, 2)}\n`,
        );
      },
      stop() {
        stopping ??= runCleanups().then(() => log('stopped'));
        return stopping;
      },
    };
    return sandbox;
  } catch (e) {
    await runCleanups();
    throw e;
  }
}
