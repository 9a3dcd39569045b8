import { createHash, timingSafeEqual } from 'node:crypto';
import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import type { AwsInventory } from '../aws';
import { FaultAction, FaultInjector, FaultRule } from '../faults';
import { KubeObject } from '../kube/types';
import { PROFILES, SandboxProfile } from '../profile';

/** What the control server needs of a running sandbox. */
export interface SandboxHandles {
  faults: FaultInjector;
  /** The Kubernetes object store (`MemoryObjectStore`). */
  store: {
    dump(): KubeObject[];
    currentRevision(): string;
  };
  /** What moto holds (never secret values). */
  awsInventory(): Promise<AwsInventory>;
  /**
   * Drops all AWS state and every Kubernetes object except the initial
   * namespaces; the simulated operators keep running.
   */
  reset(): Promise<void>;
  /** The current profile. */
  profile(): SandboxProfile;
  /** Switches the profile of the running operators. */
  setProfile(name: SandboxProfile['name']): void;
}

/** Options of {@link startControlServer}. */
export interface ControlServerOptions {
  sandbox: SandboxHandles;
  /** Bearer token every request must carry. */
  token: string;
  /** Loopback address to bind; `127.0.0.1` by default. */
  host?: string;
  /** Port; a free one by default. */
  port?: number;
}

/** A running control server. */
export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const RULE_FIELDS = ['id', 'target', 'match', 'action', 'times', 'fraction'];
const ACTION_FIELDS: Record<FaultAction['type'], string[]> = {
  latency: ['type', 'ms'],
  throttle: ['type'],
  error: ['type', 'status'],
  drop: ['type'],
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a fault rule from the API; throws a 400 naming the offending field.
 */
export function parseFaultRule(input: unknown): FaultRule {
  const bad = (field: string, message: string) =>
    new HttpError(400, `${field}: ${message}`);
  if (!isObject(input))
    throw bad('body', 'must be a JSON object (a FaultRule)');
  for (const key of Object.keys(input)) {
    if (!RULE_FIELDS.includes(key)) {
      throw bad(key, `unknown field (allowed: ${RULE_FIELDS.join(', ')})`);
    }
  }
  const { id, target, match, action, times, fraction } = input;
  if (id !== undefined && (typeof id !== 'string' || !id.trim())) {
    throw bad('id', 'must be a non-empty string');
  }
  if (target !== 'aws' && target !== 'kube') {
    throw bad('target', 'must be "aws" or "kube"');
  }
  if (typeof match !== 'string' || !match.trim()) {
    throw bad(
      'match',
      target === 'aws'
        ? 'must be a non-empty string such as "s3:PutBucketPolicy", "iam:*" or "*"'
        : 'must be a non-empty string such as "create:secrets", "patch:*" or "*"',
    );
  }
  if (!isObject(action)) {
    throw bad('action', 'must be an object such as {"type": "throttle"}');
  }
  const type = action.type;
  if (typeof type !== 'string' || !(type in ACTION_FIELDS)) {
    throw bad(
      'action.type',
      `must be one of ${Object.keys(ACTION_FIELDS).join(', ')}`,
    );
  }
  const allowed = ACTION_FIELDS[type as FaultAction['type']];
  for (const key of Object.keys(action)) {
    if (!allowed.includes(key)) {
      throw bad(
        `action.${key}`,
        `unknown field for a "${type}" action (allowed: ${allowed.join(', ')})`,
      );
    }
  }
  let parsedAction: FaultAction;
  if (type === 'latency') {
    const ms = action.ms;
    if (
      typeof ms !== 'number' ||
      !Number.isFinite(ms) ||
      ms < 0 ||
      ms > 600_000
    ) {
      throw bad('action.ms', 'must be a number of milliseconds, 0 to 600000');
    }
    parsedAction = { type, ms };
  } else if (type === 'error') {
    const status = action.status;
    if (
      status !== undefined &&
      (typeof status !== 'number' ||
        !Number.isInteger(status) ||
        status < 500 ||
        status > 599)
    ) {
      throw bad('action.status', 'must be an integer from 500 to 599');
    }
    parsedAction =
      status === undefined ? { type } : { type, status: status as number };
  } else {
    parsedAction = { type: type as 'throttle' | 'drop' };
  }
  if (
    times !== undefined &&
    (typeof times !== 'number' || !Number.isInteger(times) || times < 1)
  ) {
    throw bad('times', 'must be a positive integer');
  }
  if (
    fraction !== undefined &&
    (typeof fraction !== 'number' ||
      !Number.isFinite(fraction) ||
      fraction <= 0 ||
      fraction > 1)
  ) {
    throw bad('fraction', 'must be a number greater than 0 and at most 1');
  }
  return {
    ...(id !== undefined ? { id: id as string } : {}),
    target,
    match: match.trim(),
    action: parsedAction,
    ...(times !== undefined ? { times: times as number } : {}),
    ...(fraction !== undefined ? { fraction: fraction as number } : {}),
  };
}

function countCalls(calls: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) out[c] = (out[c] ?? 0) + 1;
  return out;
}

/**
 * A Kubernetes object as the snapshot shows it: Secret values are replaced
 * by `<redacted>` (the keys stay; read values through the Kubernetes API).
 */
function redact(o: KubeObject): KubeObject {
  if (o.apiVersion !== 'v1' || o.kind !== 'Secret') return o;
  const out = { ...o };
  for (const field of ['data', 'stringData']) {
    const values = o[field];
    if (isObject(values)) {
      out[field] = Object.fromEntries(
        Object.keys(values).map(k => [k, '<redacted>']),
      );
    }
  }
  return out;
}

function digest(s: string) {
  return createHash('sha256').update(s).digest();
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new HttpError(413, 'body: larger than 1 MB');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body: not valid JSON');
  }
}

/**
 * Starts the control API on loopback (JSON, bearer token). Routes:
 * `GET/POST/DELETE /faults`, `DELETE /faults/:id`, `GET /faults/history`,
 * `GET /calls`, `POST /reset`, `GET /snapshot`, `GET/PUT /profile`
 * (see the sandbox README, "Control API").
 */
export async function startControlServer(
  options: ControlServerOptions,
): Promise<ControlServer> {
  const { sandbox } = options;
  const expected = digest(`Bearer ${options.token}`);

  const routes: Record<
    string,
    Partial<
      Record<
        string,
        (
          req: IncomingMessage,
          params: string[],
          query: URLSearchParams,
        ) => Promise<[number, unknown]>
      >
    >
  > = {
    '/faults': {
      GET: async () => [200, { rules: sandbox.faults.list() }],
      POST: async req => {
        const rule = parseFaultRule(await readJsonBody(req));
        if (rule.id && sandbox.faults.list().some(r => r.id === rule.id)) {
          throw new HttpError(409, `id: a rule "${rule.id}" exists already`);
        }
        return [201, { id: sandbox.faults.add(rule) }];
      },
      DELETE: async () => {
        for (const rule of sandbox.faults.list()) {
          sandbox.faults.remove(rule.id!);
        }
        return [204, undefined];
      },
    },
    '/faults/history': {
      GET: async () => [200, { hits: sandbox.faults.history() }],
    },
    '/faults/:id': {
      DELETE: async (_req, [id]) => {
        if (!sandbox.faults.list().some(r => r.id === id)) {
          throw new HttpError(404, `no fault rule "${id}"`);
        }
        sandbox.faults.remove(id);
        return [204, undefined];
      },
    },
    '/calls': {
      GET: async () => [
        200,
        {
          aws: countCalls(sandbox.faults.calls.aws),
          kube: countCalls(sandbox.faults.calls.kube),
        },
      ],
    },
    '/reset': {
      POST: async (_req, _params, query) => {
        await sandbox.reset();
        const keepFaults = query.get('keepFaults') === 'true';
        if (!keepFaults) sandbox.faults.clear();
        return [200, { reset: true, faultsCleared: !keepFaults }];
      },
    },
    '/snapshot': {
      GET: async () => {
        const revision = sandbox.store.currentRevision();
        const objects = sandbox.store.dump().map(redact);
        const aws = await sandbox.awsInventory();
        return [200, { revision, kube: { objects }, aws }];
      },
    },
    '/profile': {
      GET: async () => [200, sandbox.profile()],
      PUT: async req => {
        const body = await readJsonBody(req);
        const name = isObject(body) ? body.name : undefined;
        if (typeof name !== 'string' || !(name in PROFILES)) {
          throw new HttpError(
            400,
            `name: must be one of ${Object.keys(PROFILES).join(', ')}`,
          );
        }
        sandbox.setProfile(name as SandboxProfile['name']);
        return [200, sandbox.profile()];
      },
    },
  };

  const match = (path: string) => {
    if (routes[path]) return { route: routes[path], params: [] as string[] };
    const m = /^\/faults\/([^/]+)$/.exec(path);
    if (m) {
      return {
        route: routes['/faults/:id'],
        params: [decodeURIComponent(m[1])],
      };
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization ?? '';
    if (!timingSafeEqual(digest(auth), expected)) {
      throw new HttpError(401, 'missing or wrong bearer token');
    }
    const url = new URL(req.url ?? '/', 'http://control');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const found = match(path);
    if (!found) throw new HttpError(404, `no route ${path}`);
    const handler = found.route[req.method ?? 'GET'];
    if (!handler) {
      res.setHeader('allow', Object.keys(found.route).join(', '));
      throw new HttpError(405, `${req.method} is not allowed on ${path}`);
    }
    const [status, body] = await handler(req, found.params, url.searchParams);
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    const text = `${JSON.stringify(body, null, 2)}\n`;
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message =
        e instanceof HttpError
          ? e.message
          : `internal error: ${(e as Error)?.message ?? String(e)}`;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const text = `${JSON.stringify({ error: message })}\n`;
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
      });
      res.end(text);
      req.resume();
    });
  });
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${address}:${port}`,
    close() {
      closed ??= new Promise<void>(resolve => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
