/**
 * A child process that runs the portal's backend (the real plugin in a test
 * backend, with every environment's record and entity) against the
 * benchmark's clusters and reports its memory: once started and watching
 * the (still empty) clusters, and again once the parent has created the
 * environments' Applications and the watch cache holds them all. Run with
 * `--expose-gc` (see `measureBackendMemory`).
 */
import {
  environmentEntity,
  fixtureEnvironments,
  fixtureRecord,
} from './fixtures';
import { startPortal } from './portal';
import { sleep, waitFor } from './stats';

/** What the parent sends. */
export interface ProbeRequest {
  clusters: Array<{
    name: string;
    url: string;
    serviceAccountToken: string;
    caData: string;
  }>;
  /** Environments with a record and an entity (the first ones are on `clusters`). */
  environments: number;
}

/** Memory of the process, bytes. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

async function sample(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) {
    gc?.();
    await sleep(100);
  }
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, e => (e ? reject(e) : resolve())),
  );
}

function next(type: string): Promise<any> {
  return new Promise(resolve => {
    const on = (m: any) => {
      if (m?.type === type) {
        process.off('message', on);
        resolve(m);
      }
    };
    process.on('message', on);
  });
}

async function main() {
  const request = (await next('start')) as ProbeRequest & { type: string };
  const envs = fixtureEnvironments(request.environments);
  const served = new Set(request.clusters.map(c => c.name));
  const portal = await startPortal({
    clusters: request.clusters,
    // Recorded before their Applications exist, so without their uids.
    records: envs.map(e => fixtureRecord(e)),
    entities: envs.map(environmentEntity),
  });
  try {
    // The parent tells when every cluster is watched (it counts the calls).
    const warm = next('warm');
    await send({ type: 'started' });
    await warm;
    const baseline = await sample();
    await send({ type: 'baseline', sample: baseline });
    await next('seeded');
    // Every environment whose Applications arrived is signalled once
    // (coalesced); wait for all of them, then for the stream to go quiet.
    const wanted = new Set(
      envs
        .filter(e => served.has(e.cluster))
        .map(e => `resource:default/${e.name}`),
    );
    await waitFor(
      'the cache to hold every environment',
      () => {
        for (const s of portal.signals) wanted.delete(s.environmentRef);
        return wanted.size === 0 ? true : undefined;
      },
      600_000,
      100,
    );
    let count = -1;
    while (count !== portal.signals.length) {
      count = portal.signals.length;
      await sleep(500);
    }
    // The received signals are the probe's, not the backend's.
    portal.signals.length = 0;
    const cached = await sample();
    await send({ type: 'cached', sample: cached });
  } finally {
    await portal.stop();
  }
}

main().then(
  () => process.exit(0),
  async e => {
    await send({ type: 'error', error: String(e?.stack ?? e) }).catch(() => {});
    process.exit(1);
  },
);
