import { LoggerService } from '@backstage/backend-plugin-api';
import { ArgoCdApiClient } from '@internal/plugin-logging-environments-node';
import { ArgoApplicationTree } from './resourceHealth';

/** Identifies an Application on a cluster. */
export interface TreeKey {
  cluster: string;
  namespace: string;
  name: string;
}

/** Options of {@link ResourceTreeCache}. */
export interface ResourceTreeCacheOptions {
  /** The Argo CD API of a cluster, when one is configured (URL and token). */
  apiOf(cluster: string): { url: string; token: string } | undefined;
  logger: LoggerService;
  /** Called when an Application's tree, as far as health goes, changed. */
  onChange(key: TreeKey): void;
  /**
   * After a refresh asked for because something changed, read once more
   * this much later (default 2 s): Argo CD's controller updates its tree a
   * moment after the change the watch saw.
   */
  followUpMs?: number;
  /** For tests: the fetch the API client uses. */
  fetch?: typeof fetch;
}

const keyOf = (k: TreeKey) => `${k.cluster}/${k.namespace}/${k.name}`;

/** What of a tree matters here: each node's identity, existence and health. */
function fingerprint(tree: ArgoApplicationTree): string {
  return JSON.stringify(
    (tree.nodes ?? [])
      .map(n => [
        n.group ?? '',
        n.kind,
        n.namespace ?? '',
        n.name,
        Boolean(n.uid || n.resourceVersion || n.createdAt),
        n.health?.status ?? '',
        n.health?.message ?? '',
      ])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
}

/**
 * The resource trees of the Applications whose per-resource health lives
 * there (Argo CD 3.x, `resourceHealthSource: appTree`), read from the Argo
 * CD API of clusters that configure one (`argocdUrl`, `argocdToken`) and
 * kept in memory: reads are served from memory; a refresh is asked for
 * when the Application or a resource it tracks changes, one read at a time
 * per Application (a refresh asked for during a read reads again after it).
 * A failed read drops the Application's tree (its health is then evaluated
 * without it) and is logged.
 */
export class ResourceTreeCache {
  private readonly trees = new Map<
    string,
    { tree: ArgoApplicationTree; fingerprint: string }
  >();
  private readonly reading = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: ResourceTreeCacheOptions) {}

  /** The tree last read, if any. */
  get(key: TreeKey): ArgoApplicationTree | undefined {
    return this.trees.get(keyOf(key))?.tree;
  }

  /** Whether the cluster has an Argo CD API to read trees from. */
  canRead(cluster: string): boolean {
    try {
      return Boolean(this.options.apiOf(cluster));
    } catch {
      return false;
    }
  }

  /** Reads the tree now (and once more after `followUpMs` when `followUp`). */
  refresh(key: TreeKey, followUp = false): void {
    if (this.stopped || !this.canRead(key.cluster)) return;
    void this.read(key);
    if (followUp) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.read(key);
      }, this.options.followUpMs ?? 2_000);
      timer.unref();
      this.timers.add(timer);
    }
  }

  /** Forgets an Application's tree (it was deleted). */
  forget(key: TreeKey): void {
    this.trees.delete(keyOf(key));
  }

  /** Stops the follow-up timers and waits for reads under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.reading.values()]);
  }

  /** Resumes after {@link ResourceTreeCache.stop}. */
  start(): void {
    this.stopped = false;
  }

  private read(key: TreeKey): Promise<void> {
    const id = keyOf(key);
    const running = this.reading.get(id);
    if (running) {
      this.again.add(id);
      return running;
    }
    const attempt = this.readOnce(key).finally(() => {
      this.reading.delete(id);
      if (this.again.delete(id) && !this.stopped) void this.read(key);
    });
    this.reading.set(id, attempt);
    return attempt;
  }

  private async readOnce(key: TreeKey): Promise<void> {
    const id = keyOf(key);
    const api = this.options.apiOf(key.cluster);
    if (!api) return;
    let tree: ArgoApplicationTree;
    try {
      tree = (await new ArgoCdApiClient({
        ...api,
        fetch: this.options.fetch,
      }).resourceTree(key.name, key.namespace)) as ArgoApplicationTree;
    } catch (e) {
      if (this.stopped) return;
      this.options.logger.warn(
        `Cannot read the resource tree of Application ${key.namespace}/${
          key.name
        } on cluster "${key.cluster}": ${(e as Error).message}`,
        { cluster: key.cluster, application: `${key.namespace}/${key.name}` },
      );
      if (this.trees.delete(id)) this.options.onChange(key);
      return;
    }
    if (this.stopped) return;
    const next = fingerprint(tree ?? {});
    const before = this.trees.get(id)?.fingerprint;
    this.trees.set(id, { tree: tree ?? {}, fingerprint: next });
    if (before !== next) this.options.onChange(key);
  }
}
