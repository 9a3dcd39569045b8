/**
 * Persistence of a sandbox across restarts (`yarn sandbox` keeps its state
 * in `<repo>/.sandbox/state`):
 *
 * - `identity.json`: the bearer token and the admin AWS credentials, so the
 *   files the portal reads stay valid across restarts.
 * - `tls.json`: the Kubernetes API server's self-signed certificate and key
 *   (renewed when it expires within a day), for the same reason.
 * - `kube.json`: every Kubernetes object and the resourceVersion counter,
 *   written (atomically, at most every `debounceMs`) after changes.
 * - `aws-requests.jsonl`: the state-changing AWS calls moto accepted, in
 *   moto's recorder format, each preceded by a `/moto-api/seed` call; on
 *   start moto replays the file (`/moto-api/recorder/replay-recording`).
 *
 * Why not moto's own recorder (`start-recording`)? It records every call,
 * reads included, so the file grows without bound while the simulated
 * operators poll; and moto draws random ids (IAM access key ids and secret
 * keys, request ids) from one generator shared by concurrent calls, so a
 * replay would not reproduce the same access keys. Here, the proxy forwards
 * each state-changing call alone, right after re-seeding moto's generator
 * with a per-call seed that is recorded with it: replaying the file yields
 * the same ids.
 *
 * Every file is mode 0600 in a 0700 directory: they hold the token, the
 * admin AWS secret key and (in the AWS request bodies) secret values.
 */
import { X509Certificate, randomBytes, randomInt } from 'node:crypto';
import {
  appendFile,
  chmod,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { AwsJournal, RecordedAwsRequest } from './aws/proxy';
import { MemoryObjectStore } from './kube/store';
import { KubeObject, apiVersionOf } from './kube/types';

/** File names inside a state directory. */
export const STATE_FILES = {
  identity: 'identity.json',
  tls: 'tls.json',
  kube: 'kube.json',
  aws: 'aws-requests.jsonl',
} as const;

/** Credentials that stay the same across restarts of one state directory. */
export interface SandboxIdentity {
  /** Bearer token of the Kubernetes API, Argo CD API, git server and control API. */
  token: string;
  /** The sandbox's admin AWS identity (any credentials work with moto). */
  awsAccessKeyId: string;
  awsSecretAccessKey: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * Fresh random credentials. The access key id starts with `SANDBOX` so it
 * can never be mistaken for (or by scanners, flagged as) a real `AKIA` key.
 */
export function generateIdentity(): SandboxIdentity {
  let suffix = '';
  for (let i = 0; i < 13; i++) suffix += ALNUM[randomInt(ALNUM.length)];
  return {
    token: `sandbox-${randomBytes(24).toString('base64url')}`,
    awsAccessKeyId: `SANDBOX${suffix}`,
    awsSecretAccessKey: randomBytes(30).toString('base64'),
  };
}

/** Creates `dir` (and parents) with mode 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Writes a file atomically with the given mode: a temporary file in the same
 * directory, flushed to disk, then renamed over the target.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  mode = 0o600,
): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e: any) {
    if (e?.code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(
      `${path} is not valid JSON; delete it or start with --reset`,
    );
  }
}

/**
 * The identity of a state directory: loaded if it has one (`loaded: true`),
 * otherwise generated and saved. Without a directory, a fresh one.
 */
export async function loadOrCreateIdentity(
  stateDir?: string,
): Promise<{ identity: SandboxIdentity; loaded: boolean }> {
  if (!stateDir) return { identity: generateIdentity(), loaded: false };
  await ensurePrivateDir(stateDir);
  const path = join(stateDir, STATE_FILES.identity);
  const stored = (await readJson(path)) as Partial<SandboxIdentity> | undefined;
  if (
    stored &&
    typeof stored.token === 'string' &&
    typeof stored.awsAccessKeyId === 'string' &&
    typeof stored.awsSecretAccessKey === 'string'
  ) {
    return {
      identity: {
        token: stored.token,
        awsAccessKeyId: stored.awsAccessKeyId,
        awsSecretAccessKey: stored.awsSecretAccessKey,
      },
      loaded: true,
    };
  }
  const identity = generateIdentity();
  await saveIdentity(stateDir, identity);
  return { identity, loaded: false };
}

/** Saves an identity (mode 0600). */
export async function saveIdentity(
  stateDir: string,
  identity: SandboxIdentity,
): Promise<void> {
  await writeFileAtomic(
    join(stateDir, STATE_FILES.identity),
    `${JSON.stringify(identity, null, 2)}\n`,
  );
}

/** A PEM certificate and key (as `src/kube/tls.ts` makes them). */
export interface StoredCertificate {
  cert: string;
  key: string;
}

/**
 * The certificate of a state directory, or a new one from `create` (saved,
 * mode 0600) when there is none or it expires within a day.
 */
export async function loadOrCreateCertificate(
  stateDir: string,
  create: () => StoredCertificate,
): Promise<StoredCertificate> {
  const path = join(stateDir, STATE_FILES.tls);
  const stored = (await readJson(path)) as
    | Partial<StoredCertificate>
    | undefined;
  if (typeof stored?.cert === 'string' && typeof stored?.key === 'string') {
    try {
      const validTo = Date.parse(new X509Certificate(stored.cert).validTo);
      if (validTo > Date.now() + 86_400_000) {
        return { cert: stored.cert, key: stored.key };
      }
    } catch {
      // unreadable: make a new one
    }
  }
  const created = create();
  await writeFileAtomic(
    path,
    `${JSON.stringify({ cert: created.cert, key: created.key }, null, 2)}\n`,
  );
  return created;
}

/** The saved Kubernetes state. */
export interface KubeState {
  revision: number;
  objects: KubeObject[];
}

/** Reads `kube.json`; undefined when there is none. */
export async function loadKubeState(
  stateDir: string,
): Promise<KubeState | undefined> {
  const path = join(stateDir, STATE_FILES.kube);
  const data = (await readJson(path)) as Partial<KubeState> | undefined;
  if (!data) return undefined;
  if (!Array.isArray(data.objects) || typeof data.revision !== 'number') {
    throw new Error(
      `${path} is not a sandbox state file; delete it or start with --reset`,
    );
  }
  return { revision: data.revision, objects: data.objects };
}

/** Saves the Kubernetes state of a store. */
export interface KubePersistence {
  /** Writes now if anything changed since the last write. */
  flush(): Promise<void>;
  /** Stops watching and writes what is pending. */
  stop(): Promise<void>;
}

/**
 * Keeps `kube.json` up to date with a store: any committed write schedules a
 * save `debounceMs` later (writes in between share it); saves are atomic
 * and never overlap.
 */
export function persistKubeStore(
  store: MemoryObjectStore,
  stateDir: string,
  options: { debounceMs?: number; log?: (line: string) => void } = {},
): KubePersistence {
  const path = join(stateDir, STATE_FILES.kube);
  const debounceMs = options.debounceMs ?? 500;
  let savedRevision = store.currentRevision();
  let timer: NodeJS.Timeout | undefined;
  let saving: Promise<void> = Promise.resolve();

  const save = () => {
    saving = saving.then(async () => {
      const revision = store.currentRevision();
      if (revision === savedRevision) return;
      const state: KubeState = {
        revision: Number(revision),
        objects: store.dump(),
      };
      try {
        await writeFileAtomic(path, JSON.stringify(state));
        savedRevision = revision;
      } catch (e: any) {
        options.log?.(`state: could not save ${path}: ${e?.message ?? e}`);
      }
    });
    return saving;
  };

  const schedule = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      save();
    }, debounceMs);
  };

  const seen = new Set<string>();
  const unsubscribe: Array<() => void> = [];
  for (const type of store.types()) {
    const key = `${type.group}/${type.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unsubscribe.push(store.watch(apiVersionOf(type), type.kind, schedule));
  }

  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    return save();
  };
  return {
    flush,
    async stop() {
      for (const u of unsubscribe) u();
      await flush();
    },
  };
}

/** One line of moto's recorder file. */
interface RecorderEntry {
  headers: Record<string, string>;
  method: string;
  url: string;
  body: string;
  body_encoded: boolean;
}

/** One recorded call: its seed line, its request line, what it touched. */
interface JournalEntry {
  lines: string;
  method: string;
  /** Path of the request (S3: `/bucket` or `/bucket/key`). */
  path: string;
  /** Query keys, without the SDK's `x-id`. */
  query: string[];
  /** S3 CopyObject / UploadPartCopy source, as `/bucket/key`. */
  copySource?: string;
}

// S3 bucket configurations a PUT replaces as a whole.
const BUCKET_CONFIGS = new Set([
  'tagging',
  'policy',
  'encryption',
  'versioning',
  'publicAccessBlock',
  'lifecycle',
  'ownershipControls',
  'acl',
  'cors',
  'logging',
  'notification',
  'website',
  'replication',
  'accelerate',
  'requestPayment',
  'object-lock',
]);

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function describeEntry(
  request: RecorderEntry,
  lines: string,
): JournalEntry | undefined {
  if (request.url.includes('/moto-api/')) return undefined;
  const url = new URL(request.url);
  const copy = Object.entries(request.headers).find(
    ([k]) => k.toLowerCase() === 'x-amz-copy-source',
  )?.[1];
  return {
    lines,
    method: request.method.toUpperCase(),
    path: safeDecode(url.pathname),
    query: [...url.searchParams.keys()].filter(k => k !== 'x-id'),
    copySource: copy
      ? `/${safeDecode(copy.split('?')[0]).replace(/^\/+/, '')}`
      : undefined,
  };
}

/**
 * The AWS journal of a state directory (see the top of this file): the
 * proxy calls `beforeWrite` and `record` around each state-changing call.
 *
 * S3 calls that later calls make moot are dropped, so that periodic writes
 * (the Loki operator's storage probe puts and deletes an object; clients
 * re-apply bucket settings) do not grow the file: a bucket setting's PUT
 * replaces the earlier PUTs of that setting; a PutObject replaces the
 * earlier PutObjects of that key; a DeleteObject drops every call on the
 * key and itself; a DeleteBucket every call on the bucket and itself. Keys
 * (and buckets) ever used as a copy source are left alone. Each call keeps
 * its own seed, so dropping calls does not change the ids others replay to.
 */
export class AwsStateJournal implements AwsJournal {
  private nextSeed = 0;

  private constructor(
    /** Path of the recording file. */
    readonly file: string,
    private entries: JournalEntry[],
    private readonly seed: (value: number) => Promise<void>,
    private readonly log: (line: string) => void,
  ) {}

  /** Recorded calls. */
  get recorded(): number {
    return this.entries.length;
  }

  /**
   * Opens (creating, mode 0600) the recording file of a state directory.
   * A torn last line, left by a crash mid-write, is dropped.
   */
  static async open(options: {
    stateDir: string;
    /** Seeds moto's random generator (`MotoServer.seed`). */
    seed: (value: number) => Promise<void>;
    log?: (line: string) => void;
  }): Promise<AwsStateJournal> {
    const file = join(options.stateDir, STATE_FILES.aws);
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (e: any) {
      if (e?.code !== 'ENOENT') throw e;
    }
    const entries: JournalEntry[] = [];
    let pendingSeed = '';
    let torn = false;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let parsed: RecorderEntry;
      try {
        parsed = JSON.parse(line);
      } catch {
        torn = true;
        continue;
      }
      if (parsed.url.includes('/moto-api/seed?')) {
        pendingSeed = `${line}\n`;
        continue;
      }
      const entry = describeEntry(parsed, `${pendingSeed}${line}\n`);
      pendingSeed = '';
      if (entry) entries.push(entry);
    }
    const journal = new AwsStateJournal(
      file,
      entries,
      options.seed,
      options.log ?? (() => {}),
    );
    if (torn || pendingSeed || !text) await journal.rewrite();
    else await chmod(file, 0o600);
    return journal;
  }

  async beforeWrite(): Promise<void> {
    // A seed per call: replaying a call with its seed reproduces its ids.
    this.nextSeed = randomInt(1, 2_147_483_647);
    await this.seed(this.nextSeed);
  }

  async record(request: RecordedAwsRequest): Promise<void> {
    const seed: RecorderEntry = {
      headers: {},
      method: 'POST',
      url: `http://sandbox/moto-api/seed?a=${this.nextSeed}`,
      body: '',
      body_encoded: false,
    };
    const headers = { ...request.headers };
    delete headers['content-length'];
    const call: RecorderEntry = {
      headers,
      method: request.method,
      url: `http://sandbox${request.url}`,
      body: request.body.length ? request.body.toString('base64') : '',
      body_encoded: request.body.length > 0,
    };
    const entry = describeEntry(
      call,
      `${JSON.stringify(seed)}\n${JSON.stringify(call)}\n`,
    );
    if (!entry) return;
    try {
      const { drop, keep } = this.compaction(entry);
      if (drop.size === 0) {
        if (keep) {
          this.entries.push(entry);
          await appendFile(this.file, entry.lines, { mode: 0o600 });
        }
        return;
      }
      this.entries = this.entries.filter(e => !drop.has(e));
      if (keep) this.entries.push(entry);
      await this.rewrite();
    } catch (e: any) {
      this.log(
        `state: could not record an AWS call to ${this.file}: ${
          e?.message ?? e
        }`,
      );
    }
  }

  /** Which recorded calls `entry` makes moot, and whether to keep it. */
  private compaction(entry: JournalEntry): {
    drop: Set<JournalEntry>;
    keep: boolean;
  } {
    const none = { drop: new Set<JournalEntry>(), keep: true };
    const { method, path, query } = entry;
    const segments = path.split('/').filter(Boolean);
    if (segments.length === 0 || (method !== 'PUT' && method !== 'DELETE')) {
      return none;
    }
    const bucket = `/${segments[0]}`;
    const copied = (p: string) =>
      this.entries.some(
        e =>
          e.copySource !== undefined &&
          (e.copySource === p || e.copySource.startsWith(`${p}/`)),
      );
    const where = (f: (e: JournalEntry) => boolean) => ({
      drop: new Set(this.entries.filter(f)),
      keep: true,
    });
    if (segments.length === 1) {
      if (query.length === 1 && BUCKET_CONFIGS.has(query[0])) {
        // A bucket setting: the earlier PUTs of it are moot.
        const sub = query[0];
        return where(
          e =>
            e.method === 'PUT' &&
            e.path === path &&
            e.query.length === 1 &&
            e.query[0] === sub,
        );
      }
      if (method === 'DELETE' && query.length === 0 && !copied(bucket)) {
        const plan = where(
          e => e.path === bucket || e.path.startsWith(`${bucket}/`),
        );
        return { drop: plan.drop, keep: false };
      }
      return none;
    }
    if (query.length > 0 || copied(path)) return none;
    if (method === 'PUT' && !entry.copySource) {
      return where(
        e => e.method === 'PUT' && e.path === path && e.query.length === 0,
      );
    }
    if (method === 'DELETE') {
      return { drop: where(e => e.path === path).drop, keep: false };
    }
    return none;
  }

  private async rewrite() {
    await writeFileAtomic(this.file, this.entries.map(e => e.lines).join(''));
  }

  /** Forgets every recorded call (after moto was reset). */
  async clear(): Promise<void> {
    this.entries = [];
    await writeFile(this.file, '', { mode: 0o600 });
  }
}

/** Deletes a state directory (`yarn sandbox --reset`). */
export async function clearState(stateDir: string): Promise<void> {
  await rm(stateDir, { recursive: true, force: true });
}
