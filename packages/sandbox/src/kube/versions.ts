import { KubeObject } from './types';

interface Version {
  revision: number;
  /** Undefined for a deletion. */
  object: KubeObject | undefined;
}

/**
 * The past versions of the store's objects, as etcd keeps them between two
 * compactions, so that a list can be served at an exact resourceVersion
 * (`resourceVersionMatch=Exact`, the pages of a `continue` token).
 *
 * A key has a chain of versions once it is written after the last
 * compaction; a key without one has not changed since and its current
 * object is its version at any revision the log still covers.
 * Compacting at a revision forgets every version that was superseded
 * by then.
 */
export class VersionLog {
  private readonly chains = new Map<string, Version[]>();
  private compacted: number;

  constructor(revision: number) {
    this.compacted = revision;
  }

  /** The oldest revision versions can still be read at. */
  get compactedRevision(): number {
    return this.compacted;
  }

  /**
   * Records a write at `revision`: `previous` is the version it replaces
   * (none for a create), `next` none for a delete.
   */
  record(
    key: string,
    previous: KubeObject | undefined,
    next: KubeObject | undefined,
    revision: number,
  ) {
    let chain = this.chains.get(key);
    if (!chain) {
      chain = previous
        ? [
            {
              revision: Number(previous.metadata.resourceVersion),
              object: previous,
            },
          ]
        : [];
      this.chains.set(key, chain);
    }
    chain.push({ revision, object: next });
  }

  /** The keys written since the last compaction (some may be deleted now). */
  keys(): IterableIterator<string> {
    return this.chains.keys();
  }

  /**
   * The version of `key` at `revision` (at least the compacted revision),
   * given its current object: undefined if it did not exist then.
   */
  at(
    key: string,
    current: KubeObject | undefined,
    revision: number,
  ): KubeObject | undefined {
    const chain = this.chains.get(key);
    if (!chain) return current;
    for (let i = chain.length - 1; i >= 0; i--) {
      if (chain[i].revision <= revision) return chain[i].object;
    }
    return undefined;
  }

  /** Forgets the versions superseded at `revision`. */
  compact(revision: number) {
    if (revision <= this.compacted) return;
    this.compacted = revision;
    for (const [key, chain] of this.chains) {
      let live = -1;
      for (let i = 0; i < chain.length; i++) {
        if (chain[i].revision <= revision) live = i;
      }
      if (live > 0) chain.splice(0, live);
      // Only the current version (or a deletion) left: no chain needed.
      if (chain.length === 1 && chain[0].revision <= revision) {
        this.chains.delete(key);
      }
    }
  }
}
