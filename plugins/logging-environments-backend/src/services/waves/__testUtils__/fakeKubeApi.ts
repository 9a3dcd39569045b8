import {
  ClusterInfo,
  ClusterRegistry,
} from '@internal/plugin-logging-environments-node';
import { KubeConfig } from '@kubernetes/client-node';
import { NotFoundError } from '@backstage/errors';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = { metadata?: any } & Record<string, any>;

interface Watcher {
  plural: string;
  selector: Record<string, string>;
  res: ServerResponse;
}

/** One request the fake API served. */
export interface FakeRequest {
  verb: 'list' | 'watch' | 'get';
  plural: string;
}

const KINDS: Record<string, { apiVersion: string; kind: string }> = {
  applications: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
  lokistacks: { apiVersion: 'loki.grafana.com/v1', kind: 'LokiStack' },
  clusterlogforwarders: {
    apiVersion: 'observability.openshift.io/v1',
    kind: 'ClusterLogForwarder',
  },
};

function parseSelector(value: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (value ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    out[k] = v;
  }
  return out;
}

function matches(o: Obj, selector: Record<string, string>): boolean {
  const labels = o.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * A minimal Kubernetes API over plain HTTP for the wave status tests: list,
 * get and watch (from now with the current objects as ADDED events, or
 * resumed from a resourceVersion, `410 Expired` after a compaction) of Applications, LokiStacks and ClusterLogForwarders, plus
 * faults (a status for every watch or list request) and a log of requests.
 * Objects change only through its methods, each a watch event.
 */
export class FakeKubeApi {
  readonly requests: FakeRequest[] = [];
  /** Answer every watch request with this status instead (403, 500...). */
  watchStatus?: number;
  /** Answer every list request with this status instead. */
  listStatus?: number;
  /** List requests are answered once this settles (a slow first list). */
  listGate?: Promise<void>;

  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly history: Array<{
    rv: number;
    plural: string;
    type: string;
    object: Obj;
  }> = [];
  private readonly watchers = new Set<Watcher>();
  private rv = 100;
  /** Watches from a resourceVersion before this one get 410 Expired. */
  private oldestRv = 0;
  private server!: Server;
  private port = 0;

  static async start(): Promise<FakeKubeApi> {
    const api = new FakeKubeApi();
    api.server = createServer((req, res) => api.handle(req, res));
    await new Promise<void>(resolve =>
      api.server.listen(0, '127.0.0.1', resolve),
    );
    api.port = (api.server.address() as AddressInfo).port;
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open watch connections. */
  get openWatches(): number {
    return this.watchers.size;
  }

  count(verb: FakeRequest['verb'], plural?: string): number {
    return this.requests.filter(
      r => r.verb === verb && (!plural || r.plural === plural),
    ).length;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', token: 'token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** Creates or replaces an object (ADDED or MODIFIED). */
  put(plural: string, object: Obj): Obj {
    const store = this.store(plural);
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const type = store.has(key) ? 'MODIFIED' : 'ADDED';
    const stored: Obj = {
      ...KINDS[plural],
      ...structuredClone(object),
      metadata: {
        ...structuredClone(object.metadata),
        resourceVersion: String(++this.rv),
      },
    };
    store.set(key, stored);
    this.emit(plural, type, stored);
    return stored;
  }

  /** Deletes an object (DELETED). */
  remove(plural: string, namespace: string, name: string) {
    const store = this.store(plural);
    const key = `${namespace}/${name}`;
    const existing = store.get(key);
    if (!existing) return;
    store.delete(key);
    const deleted = {
      ...existing,
      metadata: { ...existing.metadata, resourceVersion: String(++this.rv) },
    };
    this.emit(plural, 'DELETED', deleted);
  }

  /**
   * Changes objects without telling the open watches, then expires them:
   * as an API server whose watch cache moved on. Each open watch gets an
   * ERROR 410 event and is closed; resuming from an old resourceVersion
   * gets 410 too, so the client must list again.
   */
  expire(changes: () => void = () => {}) {
    const watchers = [...this.watchers];
    this.watchers.clear();
    changes();
    this.oldestRv = this.rv + 1;
    for (const w of watchers) {
      w.res.end(
        `${JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'Expired',
            code: 410,
            message: 'too old resource version',
          },
        })}\n`,
      );
    }
  }

  /**
   * A round trip to the server that it does not count: once it returns,
   * the server has handled what a client sent before it (for checks that
   * nothing was asked for, which must not rest on a sleep).
   */
  async barrier(): Promise<void> {
    const res = await fetch(`${this.url}/barrier`);
    await res.text();
  }

  /** Ends every open watch normally (as the server's watch timeout does). */
  closeWatches() {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  async close() {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  /** A registry with this API as cluster `name` (and any other clusters given). */
  registry(
    name = 'sandbox',
    others: Array<{ info: ClusterInfo; kubeConfig: () => KubeConfig }> = [],
    argocdUrl = 'https://argocd.example.com',
  ): ClusterRegistry {
    const clusters = [
      {
        info: { name, url: this.url, argocdUrl },
        kubeConfig: () => this.kubeConfig(),
      },
      ...others,
    ];
    const find = (n: string) => {
      const c = clusters.find(x => x.info.name === n);
      if (!c) throw new NotFoundError(`Cluster "${n}" is not configured`);
      return c;
    };
    return {
      list: () => clusters.map(c => c.info),
      get: n => find(n).info,
      kubeConfig: n => find(n).kubeConfig(),
      argocdApi: () => undefined,
    };
  }

  private store(plural: string): Map<string, Obj> {
    let store = this.objects.get(plural);
    if (!store) {
      store = new Map();
      this.objects.set(plural, store);
    }
    return store;
  }

  private emit(plural: string, type: string, object: Obj) {
    this.history.push({ rv: this.rv, plural, type, object });
    for (const w of this.watchers) {
      if (w.plural === plural && matches(object, w.selector)) {
        w.res.write(`${JSON.stringify({ type, object })}\n`);
      }
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    const parts = url.pathname.split('/').filter(Boolean);
    // /apis/<group>/<version>/<plural>
    // /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const status = (code: number, reason: string) =>
      send(code, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason,
        code,
        message: `${reason} (fake)`,
      });
    if (parts[0] !== 'apis') return status(404, 'NotFound');
    if (parts.length === 7 && parts[3] === 'namespaces') {
      const [, , , , namespace, plural, name] = parts;
      this.requests.push({ verb: 'get', plural });
      const o = this.store(plural).get(`${namespace}/${name}`);
      return o ? send(200, o) : status(404, 'NotFound');
    }
    if (parts.length !== 4) return status(404, 'NotFound');
    const plural = parts[3];
    const selector = parseSelector(url.searchParams.get('labelSelector'));
    if (url.searchParams.get('watch') === 'true') {
      this.requests.push({ verb: 'watch', plural });
      if (this.watchStatus) {
        return status(
          this.watchStatus,
          this.watchStatus === 403 ? 'Forbidden' : 'InternalError',
        );
      }
      const rv = url.searchParams.get('resourceVersion');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const watcher: Watcher = { plural, selector, res };
      if (!rv || rv === '0') {
        // As the API server: synthetic ADDED events for the current
        // objects, then only what changes from now on.
        for (const o of this.store(plural).values()) {
          if (matches(o, selector)) {
            res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
          }
        }
        this.watchers.add(watcher);
        req.on('close', () => this.watchers.delete(watcher));
        return undefined;
      }
      const from = Number(rv);
      if (from + 1 < this.oldestRv) {
        res.end(
          `${JSON.stringify({
            type: 'ERROR',
            object: { kind: 'Status', code: 410, reason: 'Expired' },
          })}\n`,
        );
        return undefined;
      }
      for (const e of this.history) {
        if (e.rv > from && e.plural === plural && matches(e.object, selector)) {
          res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
        }
      }
      this.watchers.add(watcher);
      req.on('close', () => this.watchers.delete(watcher));
      return undefined;
    }
    this.requests.push({ verb: 'list', plural });
    const list = () => {
      if (this.listStatus) return status(this.listStatus, 'InternalError');
      return send(200, {
        apiVersion: KINDS[plural]?.apiVersion ?? 'v1',
        kind: `${KINDS[plural]?.kind ?? 'Object'}List`,
        metadata: { resourceVersion: String(this.rv) },
        items: [...this.store(plural).values()].filter(o =>
          matches(o, selector),
        ),
      });
    };
    if (this.listGate) {
      this.listGate.then(list);
      return undefined;
    }
    return list();
  }
}
