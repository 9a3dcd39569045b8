import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto } from './aws/moto';
import { startAwsProxy } from './aws/proxy';
import { FaultInjector } from './faults';
import { BUILTIN_TYPES } from './kube/builtins';
import { MemoryObjectStore } from './kube/store';
import {
  AwsStateJournal,
  STATE_FILES,
  generateIdentity,
  loadKubeState,
  loadOrCreateIdentity,
  persistKubeStore,
  writeFileAtomic,
} from './state';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-state-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined) {
  for (let i = 0; i < 500; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise(r => setTimeout(r, 20));
  }
  throw new Error('condition not met');
}

describe('identity', () => {
  it('generates fake-looking credentials', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    expect(a.awsAccessKeyId).toMatch(/^SANDBOX[A-Z0-9]{13}$/);
    expect(a.awsAccessKeyId).not.toMatch(/^AKIA/);
    expect(a.awsSecretAccessKey).toHaveLength(40);
    expect(a.token).not.toBe(b.token);
    expect(a.awsSecretAccessKey).not.toBe(b.awsSecretAccessKey);
  });

  it('is created once per state dir (mode 0600) and then kept', async () => {
    const first = await loadOrCreateIdentity(join(dir, 'state'));
    expect(first.loaded).toBe(false);
    expect(await mode(join(dir, 'state'))).toBe(0o700);
    expect(await mode(join(dir, 'state', STATE_FILES.identity))).toBe(0o600);
    const second = await loadOrCreateIdentity(join(dir, 'state'));
    expect(second).toEqual({ identity: first.identity, loaded: true });
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file with the given mode and leaves no temporary file', async () => {
    const path = join(dir, 'f.json');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await mode(path)).toBe(0o600);
    expect(await readdir(dir)).toEqual(['f.json']);
  });
});

describe('Kubernetes state', () => {
  const ns = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });

  it('saves after changes and loads into a new store with the same resourceVersions', async () => {
    const store = new MemoryObjectStore(BUILTIN_TYPES);
    store.create(ns('default'));
    const persistence = persistKubeStore(store, dir, { debounceMs: 20 });
    const cm = store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
      data: { a: '1' },
    });
    const saved = await waitFor(async () => {
      const s = await loadKubeState(dir);
      return s?.objects.length === 2 ? s : undefined;
    });
    expect(saved.revision).toBe(Number(store.currentRevision()));
    expect(await mode(join(dir, STATE_FILES.kube))).toBe(0o600);

    store.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'default',
      name: 'c',
    });
    store.create(ns('other'));
    await persistence.stop();
    const final = (await loadKubeState(dir))!;
    expect(final.objects.map(o => o.metadata.name).sort()).toEqual([
      'default',
      'other',
    ]);

    const restored = new MemoryObjectStore(BUILTIN_TYPES);
    restored.load(final.objects, final.revision);
    expect(restored.currentRevision()).toBe(store.currentRevision());
    // The next write continues after the saved revision.
    const next = restored.create({
      ...cm,
      metadata: { name: 'd', namespace: 'default' },
    });
    expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(
      final.revision,
    );
  });

  it('tells what to do with a broken state file', async () => {
    await writeFile(join(dir, STATE_FILES.kube), '{"objects": ');
    await expect(loadKubeState(dir)).rejects.toThrow(/--reset/);
  });
});

describe('AWS journal', () => {
  it('drops a torn last line', async () => {
    const file = join(dir, STATE_FILES.aws);
    const line = JSON.stringify({
      headers: {},
      method: 'PUT',
      url: 'http://sandbox/b',
      body: '',
      body_encoded: false,
    });
    const seed = JSON.stringify({
      headers: {},
      method: 'POST',
      url: 'http://sandbox/moto-api/seed?a=1',
      body: '',
      body_encoded: false,
    });
    await writeFile(file, `${seed}\n${line}\n{"headers": {"x`);
    const journal = await AwsStateJournal.open({
      stateDir: dir,
      seed: async () => {},
    });
    expect(journal.recorded).toBe(1);
    expect(await readFile(file, 'utf8')).toBe(`${seed}\n${line}\n`);
    expect(await mode(file)).toBe(0o600);
  });

  it('drops S3 calls that later calls make moot', async () => {
    const seeds: number[] = [];
    const journal = await AwsStateJournal.open({
      stateDir: dir,
      seed: async v => {
        seeds.push(v);
      },
    });
    const call = async (
      method: string,
      url: string,
      headers: Record<string, string> = {},
    ) => {
      await journal.beforeWrite();
      await journal.record({ method, url, headers, body: Buffer.from('b') });
    };
    const urls = async () =>
      (await readFile(join(dir, STATE_FILES.aws), 'utf8'))
        .split('\n')
        .filter(l => l && !l.includes('/moto-api/seed'))
        .map(
          l =>
            `${JSON.parse(l).method} ${new URL(JSON.parse(l).url).pathname}${
              new URL(JSON.parse(l).url).search
            }`,
        );

    await call('PUT', '/logs');
    await call('PUT', '/logs?tagging');
    await call('PUT', '/logs?policy');
    await call('PUT', '/logs?tagging');
    await call('POST', '/', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    // The Loki operator's storage probe, twice.
    for (let i = 0; i < 2; i++) {
      await call('PUT', '/logs/probe?x-id=PutObject');
      await call('DELETE', '/logs/probe?x-id=DeleteObject');
    }
    await call('PUT', '/logs/kept.txt?x-id=PutObject');
    await call('PUT', '/logs/kept.txt?x-id=PutObject');
    await call('PUT', '/logs/source.txt');
    await call('PUT', '/logs/copy.txt', {
      'x-amz-copy-source': 'logs/source.txt',
    });
    await call('DELETE', '/logs/source.txt');
    expect(await urls()).toEqual([
      'PUT /logs',
      'PUT /logs?policy',
      'PUT /logs?tagging',
      'POST /',
      'PUT /logs/kept.txt?x-id=PutObject',
      'PUT /logs/source.txt',
      'PUT /logs/copy.txt',
      'DELETE /logs/source.txt',
    ]);
    // Every call had its own seed.
    expect(new Set(seeds).size).toBe(seeds.length);

    await call('PUT', '/other');
    await call('PUT', '/other/a');
    await call('DELETE', '/other/a');
    await call('DELETE', '/other');
    expect(await urls()).toHaveLength(8);
    const reopened = await AwsStateJournal.open({
      stateDir: dir,
      seed: async () => {},
    });
    expect(reopened.recorded).toBe(8);
  });

  it('restores moto from the recorded calls, with the same access keys and version ids', async () => {
    const faults = new FaultInjector();
    const creds = { accessKeyId: 'SANDBOXTEST', secretAccessKey: 'x' };
    const clients = (endpoint: string) => ({
      s3: new S3Client({
        endpoint,
        region: 'us-east-1',
        credentials: creds,
        forcePathStyle: true,
      }),
      iam: new IAMClient({ endpoint, region: 'us-east-1', credentials: creds }),
      sm: new SecretsManagerClient({
        endpoint,
        region: 'us-east-1',
        credentials: creds,
      }),
    });
    const secretOf = async (motoUrl: string, id: string) => {
      const data: any = await (
        await fetch(`${motoUrl}/moto-api/data.json`)
      ).json();
      return data.iam.AccessKey.find((k: any) => k.access_key_id === id)
        ?.secret_access_key;
    };

    const recordingFile = join(dir, STATE_FILES.aws);
    let moto = await startMoto({ recordingFile });
    const journal = await AwsStateJournal.open({
      stateDir: dir,
      seed: v => moto.seed(v),
    });
    const proxy = await startAwsProxy({ target: moto.url, faults, journal });
    let keyId: string;
    let keySecret: string;
    let versionId: string;
    try {
      const { s3, iam, sm } = clients(proxy.url);
      await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
      await s3.send(
        new PutBucketTaggingCommand({
          Bucket: 'kept',
          Tagging: { TagSet: [{ Key: 'env', Value: 'old' }] },
        }),
      );
      // Calls the journal drops as moot must not change what is restored.
      await s3.send(
        new PutBucketTaggingCommand({
          Bucket: 'kept',
          Tagging: { TagSet: [{ Key: 'env', Value: 'dev' }] },
        }),
      );
      await s3.send(
        new PutObjectCommand({ Bucket: 'kept', Key: 'probe', Body: 'p' }),
      );
      await s3.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'probe' }));
      await s3.send(
        new PutObjectCommand({ Bucket: 'kept', Key: 'a.txt', Body: 'hello' }),
      );
      await iam.send(new CreateUserCommand({ UserName: 'loki' }));
      // Reads and writes in parallel: the journal still reproduces the ids.
      const [key] = await Promise.all([
        iam.send(new CreateAccessKeyCommand({ UserName: 'loki' })),
        iam.send(new ListUsersCommand({})),
        s3.send(new ListBucketsCommand({})),
        iam.send(new CreateUserCommand({ UserName: 'other' })),
        iam
          .send(new CreateAccessKeyCommand({ UserName: 'other' }))
          .catch(() => undefined),
      ]);
      keyId = key.AccessKey!.AccessKeyId!;
      keySecret = key.AccessKey!.SecretAccessKey!;
      expect(await secretOf(moto.url, keyId)).toBe(keySecret);
      const secret = await sm.send(
        new CreateSecretCommand({ Name: 'loki-s3', SecretString: 'value-1' }),
      );
      versionId = secret.VersionId!;
      // A refused call is not recorded.
      await expect(
        iam.send(new CreateUserCommand({ UserName: 'loki' })),
      ).rejects.toThrow();
    } finally {
      await proxy.close();
      await moto.stop();
    }
    const recorded = await readFile(recordingFile, 'utf8');
    expect(recorded).not.toContain('ListUsers');
    expect(recorded).not.toContain('EntityAlreadyExists');

    moto = await startMoto({ recordingFile });
    try {
      const reopened = await AwsStateJournal.open({
        stateDir: dir,
        seed: v => moto.seed(v),
      });
      expect(reopened.recorded).toBeGreaterThanOrEqual(7);
      await moto.replayRecording();
      const { s3, iam, sm } = clients(moto.url);
      const keys = await iam.send(
        new ListAccessKeysCommand({ UserName: 'loki' }),
      );
      expect(keys.AccessKeyMetadata?.map(k => k.AccessKeyId)).toEqual([keyId]);
      expect(await secretOf(moto.url, keyId)).toBe(keySecret);
      const tags = await s3.send(
        new GetBucketTaggingCommand({ Bucket: 'kept' }),
      );
      expect(tags.TagSet).toEqual([{ Key: 'env', Value: 'dev' }]);
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: 'kept' }),
      );
      expect(listed.Contents?.map(o => o.Key)).toEqual(['a.txt']);
      const object = await s3.send(
        new GetObjectCommand({ Bucket: 'kept', Key: 'a.txt' }),
      );
      expect(await object.Body!.transformToString()).toBe('hello');
      const described = await sm.send(
        new DescribeSecretCommand({ SecretId: 'loki-s3' }),
      );
      expect(Object.keys(described.VersionIdsToStages ?? {})).toEqual([
        versionId,
      ]);
      const value = await sm.send(
        new GetSecretValueCommand({ SecretId: 'loki-s3' }),
      );
      expect(value.SecretString).toBe('value-1');
    } finally {
      await moto.stop();
    }
  });
});
