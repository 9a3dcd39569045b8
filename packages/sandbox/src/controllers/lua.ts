import { Worker } from 'node:worker_threads';

/** What a health script returns, as Argo CD reads it. */
export interface LuaHealthResult {
  /** A health status code, or `''` when the script returned nothing usable. */
  status: string;
  message?: string;
}

/** Options of {@link runHealthLua}. */
export interface RunHealthLuaOptions {
  /**
   * Whether the whole Lua standard library is open (`string`, `math`, ...).
   * Argo CD opens it for its built-in scripts and for customizations with
   * `health.lua.useOpenLibs: true`; other customizations only get the base,
   * table and package libraries and a reduced `os`. Default `true`.
   */
  useOpenLibs?: boolean;
  /** CPU time budget; Argo CD gives scripts one second. */
  timeoutMs?: number;
}

const VALID_STATUSES = new Set([
  'Unknown',
  'Progressing',
  'Suspended',
  'Healthy',
  'Degraded',
  'Missing',
]);

/** Argo CD's message for a status that is not a health status code. */
export const INVALID_HEALTH_STATUS = 'Lua returned an invalid health status';

/** Escapes a string as a Lua literal byte by byte, so any UTF-8 survives. */
function luaString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * A Lua table constructor for a JSON value. Whole numbers become Lua
 * integers so that `tostring(n)` prints `3` as it does in Argo CD's Lua 5.1
 * (where every number is a float printed without `.0`); `null` becomes nil,
 * as Argo CD's decoder drops it.
 */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '0';
    if (Number.isInteger(value) && Math.abs(value) < 2 ** 53) {
      return String(value);
    }
    const s = String(value);
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) {
    return `{${value.map(v => toLuaLiteral(v)).join(',')}}`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}]=${toLuaLiteral(v)}`);
    return `{${entries.join(',')}}`;
  }
  return 'nil';
}

// Runs the script the way Argo CD's util/lua does (load the chunk, call it,
// take its return value) and hands the result back as JSON, encoded with the
// rules of gopher-json: an empty table is `[]`, a sequence is an array,
// anything else an object.
const RUNNER = `
local __deadline = os.clock() + __timeout
debug.sethook(function()
  if os.clock() > __deadline then error("context deadline exceeded", 0) end
end, "", 1000)

-- Argo CD runs gopher-lua (Lua 5.1); keep the 5.1 names scripts still use.
table.getn = function(t) return #t end
unpack = table.unpack
loadstring = load
math.pow = function(a, b) return a ^ b end

if not __useOpenLibs then
  local safeOs = { time = os.time, date = os.date, clock = os.clock, difftime = os.difftime }
  getmetatable("").__index = nil
  string, math, io, coroutine, utf8, debug = nil, nil, nil, nil, nil, nil
  os = safeOs
  package.loaded.os = safeOs
end

local chunk, err = load(__script, "=<string>", "t")
if not chunk then error(err, 0) end
local result = chunk()

local function encode(v, depth)
  if depth > 100 then error("cannot encode deeply nested table") end
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" then return v and "true" or "false" end
  if t == "number" then
    if v ~= v or v == 1/0 or v == -1/0 then return "0" end
    if math_type(v) == "integer" then return tostring(v) end
    return string_format("%.17g", v)
  end
  if t == "string" then
    return '"' .. string_gsub(v, '[%c"\\\\]', function(c)
      return string_format("\\\\u%04x", string_byte(c))
    end) .. '"'
  end
  if t == "table" then
    local n, count = 0, 0
    for k in pairs(v) do
      count = count + 1
      if math_type(k) == "integer" and k > 0 then n = n > k and n or k end
    end
    if count == 0 then return "[]" end
    local parts = {}
    if n == count then
      for i = 1, n do parts[#parts + 1] = encode(v[i], depth + 1) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, item in pairs(v) do
      local kt = type(k)
      if kt ~= "string" and kt ~= "number" then error("cannot encode mixed or invalid key types") end
      if type(item) ~= "function" then
        parts[#parts + 1] = encode(tostring(k), depth + 1) .. ":" .. encode(item, depth + 1)
      end
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "!" .. t
end

if type(result) ~= "table" and result ~= nil then return "!" .. type(result) end
return encode(result, 0)
`;

// Captured before the script can remove the libraries it must not see.
const PRELUDE = `
math_type, string_format, string_gsub, string_byte = math.type, string.format, string.gsub, string.byte
`;

// The VM runs in a worker thread: a runaway script cannot stall the event
// loop, and wasmoon's loader (a dynamic `import()`) works there even when
// the caller runs inside a Jest VM context, where it does not.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { LuaFactory } = require(workerData.wasmoon);
const factory = new LuaFactory();
parentPort.on('message', async job => {
  let engine;
  try {
    engine = await factory.createEngine({ injectObjects: false, enableProxy: false });
    engine.global.set('__script', job.script);
    engine.global.set('__timeout', job.timeout);
    engine.global.set('__useOpenLibs', job.useOpenLibs);
    await engine.doString(job.prelude);
    await engine.doString(job.obj);
    const raw = String(await engine.doString(job.runner));
    parentPort.postMessage({ id: job.id, raw });
  } catch (e) {
    // wasmoon appends a traceback of the runner; Argo CD reports the error alone.
    const message = String((e && e.message) || e).split('\\nstack traceback:')[0];
    parentPort.postMessage({ id: job.id, error: message });
  } finally {
    if (engine) engine.global.close();
  }
});
`;

interface LuaJob {
  script: string;
  obj: string;
  timeout: number;
  useOpenLibs: boolean;
  prelude: string;
  runner: string;
}

class LuaWorker {
  private worker?: Worker;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    {
      resolve(raw: string): void;
      reject(e: Error): void;
      timer: NodeJS.Timeout;
    }
  >();

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { wasmoon: require.resolve('wasmoon') },
    });
    worker.on('message', (m: { id: number; raw?: string; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      clearTimeout(p.timer);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.raw!);
    });
    worker.on('error', e => this.fail(worker, e as Error));
    worker.on('exit', () => this.fail(worker, new Error('Lua worker exited')));
    // Idle, the worker must not keep the process alive.
    worker.unref();
    return worker;
  }

  private fail(worker: Worker, e: Error) {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.pending.delete(id);
    }
  }

  run(job: LuaJob, hardTimeoutMs: number): Promise<string> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      // A script the count hook cannot interrupt (a long C call) ends the worker.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('context deadline exceeded'));
        if (this.worker === worker) this.worker = undefined;
        worker.terminate().catch(() => {});
      }, hardTimeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      // Referenced while a job runs, so the process waits for the answer.
      worker.ref();
      worker.postMessage({ ...job, id });
    });
  }
}

let sharedWorker: LuaWorker | undefined;
const luaWorker = () => (sharedWorker ??= new LuaWorker());

/**
 * Runs an Argo CD health customization (`health.lua`) against an object, as
 * Argo CD's `util/lua` does: the object is the global `obj`, the script
 * returns a table `{ status = ..., message = ... }`.
 *
 * Mirrors `ExecuteHealthLua`: a nil or empty return gives `{ status: '' }`;
 * a status that is not a health status code gives `Unknown` with
 * {@link INVALID_HEALTH_STATUS}; a return that is not a table, a runtime or
 * syntax error, or running out of time throws. The VM is Lua 5.4 (wasmoon)
 * with the Lua 5.1 names Argo CD's scripts use (`unpack`, `table.getn`).
 */
export async function runHealthLua(
  script: string,
  obj: unknown,
  options: RunHealthLuaOptions = {},
): Promise<LuaHealthResult> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const raw = await luaWorker().run(
    {
      script,
      obj: `obj = ${toLuaLiteral(obj)}`,
      timeout: timeoutMs / 1000,
      useOpenLibs: options.useOpenLibs ?? true,
      prelude: PRELUDE,
      runner: RUNNER,
    },
    timeoutMs + 5000,
  );
  if (raw.startsWith('!')) {
    throw new Error(`expect table output from Lua script, not ${raw.slice(1)}`);
  }
  const value = JSON.parse(raw) as unknown;
  // gopher-json turns `{}` and sequences into arrays, which Argo CD's
  // unmarshal into a HealthStatus rejects and reads as an empty status.
  if (value === null || Array.isArray(value)) return { status: '' };
  const { status, message } = value as Record<string, unknown>;
  if (status !== undefined && typeof status !== 'string') {
    throw new Error(
      `json: cannot unmarshal ${typeof status} into Go struct field HealthStatus.status of type health.HealthStatusCode`,
    );
  }
  if (message !== undefined && typeof message !== 'string') {
    throw new Error(
      `json: cannot unmarshal ${typeof message} into Go struct field HealthStatus.message of type string`,
    );
  }
  if (!VALID_STATUSES.has(status ?? '')) {
    return { status: 'Unknown', message: INVALID_HEALTH_STATUS };
  }
  return message ? { status: status!, message } : { status: status! };
}
