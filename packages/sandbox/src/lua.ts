import { Worker } from 'node:worker_threads';

/** What an Argo CD health script returns. */
export interface HealthResult {
  status: string;
  message?: string;
}

// The Lua VM (wasmoon, Lua in WebAssembly) loads itself with a dynamic
// import, which jest's module sandbox refuses; a worker thread is a plain
// Node context, in tests and at run time alike. One worker serves every
// evaluation; each gets a fresh Lua state, as Argo CD does per resource.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { LuaFactory } = require(${JSON.stringify(require.resolve('wasmoon'))});
const factory = new LuaFactory();
parentPort.on('message', async ({ id, script, obj }) => {
  let lua;
  try {
    lua = await factory.createEngine();
    lua.global.set('obj', obj);
    const result = await lua.doString(script);
    if (result === null || typeof result !== 'object') {
      throw new Error('health script did not return a table');
    }
    parentPort.postMessage({
      id,
      result: {
        status: String(result.status),
        message: result.message === undefined || result.message === null ? undefined : String(result.message),
      },
    });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (lua) lua.global.close();
  }
});`;

/**
 * Runs Argo CD resource health scripts: the script sees the live object as
 * the global `obj` and returns a table with `status` and `message`, as in
 * Argo CD's `resource.customizations.health.<group>_<kind>`.
 */
export class LuaHealthRunner {
  private worker?: Worker;
  private next = 0;
  private readonly pending = new Map<
    number,
    { resolve: (r: HealthResult) => void; reject: (e: Error) => void }
  >();

  /** Evaluates one health script against one object. */
  run(script: string, obj: unknown): Promise<HealthResult> {
    const worker = this.start();
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Structured clone drops anything that is not plain data, as JSON would.
      worker.postMessage({ id, script, obj: JSON.parse(JSON.stringify(obj)) });
    });
  }

  /** Stops the worker; pending evaluations fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) {
      p.reject(new Error('Lua runner closed'));
    }
    this.pending.clear();
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // Do not keep the process alive for an idle runner.
    worker.unref();
    worker.on(
      'message',
      (m: { id: number; result?: HealthResult; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined)
          p.reject(new Error(`Lua health script failed: ${m.error}`));
        else p.resolve(m.result!);
      },
    );
    worker.on('error', (error: Error) => {
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }
}
