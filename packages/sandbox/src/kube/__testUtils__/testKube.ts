/** Test helper: an API server over a fresh store, with a kubeconfig on disk. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultInjector } from '../../faults';
import { CrdAdmission, createCrdAdmission } from '../admission';
import { BUILTIN_TYPES, INITIAL_NAMESPACES } from '../builtins';
import { loadCrdTypes } from '../crds';
import { kubeconfigYaml } from '../kubeconfig';
import { KubeApiServer, startKubeApiServer } from '../server';
import { MemoryObjectStore } from '../store';

/** A running sandbox API server for tests, with its kubeconfig on disk. */
export interface TestKube {
  store: MemoryObjectStore;
  admission: CrdAdmission;
  server: KubeApiServer;
  token: string;
  /** Path of a kubeconfig for the server (for `kubectl --kubeconfig`). */
  kubeconfigPath: string;
  /** A temporary directory removed by `close` (e.g. for kubectl's cache). */
  dir: string;
  close(): Promise<void>;
}

/**
 * Starts a store with the built-in and CRD types (and the initial
 * namespaces), the admission, and an API server over it, and writes a
 * kubeconfig. `tls` is needed for kubectl, which sends tokens only over TLS.
 */
export async function startTestKube(
  options: {
    tls?: boolean;
    faults?: FaultInjector;
    watchHistory?: number;
    token?: string;
  } = {},
): Promise<TestKube> {
  const admission = createCrdAdmission();
  const store = new MemoryObjectStore(
    [...BUILTIN_TYPES, ...loadCrdTypes()],
    admission,
  );
  for (const name of INITIAL_NAMESPACES) {
    store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  const token = options.token ?? 'sandbox-test-token';
  const server = await startKubeApiServer({
    store,
    token,
    admission,
    tls: options.tls,
    faults: options.faults,
    watchHistory: options.watchHistory,
  });
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfigPath,
    kubeconfigYaml({ url: server.url, token, caData: server.caData }),
  );
  return {
    store,
    admission,
    server,
    token,
    kubeconfigPath,
    dir,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
