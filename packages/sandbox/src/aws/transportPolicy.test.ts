import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { FaultInjector } from '../faults';
import { TlsCertificate, selfSignedCertificate } from '../kube/tls';
import { AwsStateJournal, STATE_FILES } from '../state';
import { awsInventory } from './index';
import { MotoServer, startMoto } from './moto';
import { AwsProxy, startAwsProxy } from './proxy';
import {
  CLIENT_POLICY_KEY,
  clientPolicyText,
  motoPolicyView,
  objectRequest,
  transportDenial,
} from './transportPolicy';

const credentials = { accessKeyId: 'SANDBOXTEST', secretAccessKey: 'test' };
const region = 'us-east-1';

/** The product's TLS-only statement (logging-environments-node bucket.ts). */
function tlsOnlyPolicy(bucket: string, extra: object[] = []): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      ...extra,
    ],
  });
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('policy views', () => {
  it('takes the transport statements out for moto and keeps the client text', () => {
    const text = tlsOnlyPolicy('b', [
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::b/public/*',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { StringNotEquals: { 's3:x-amz-acl': 'private' } },
      },
    ]);
    const view = motoPolicyView(text)!;
    const parsed = JSON.parse(view);
    expect(parsed[CLIENT_POLICY_KEY]).toBe(text);
    expect(parsed.Version).toBe('2012-10-17');
    expect(parsed.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::b/public/*',
      },
      // Other conditions stay moto's (it cannot evaluate them either).
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { StringNotEquals: { 's3:x-amz-acl': 'private' } },
      },
    ]);
    expect(clientPolicyText(view)).toBe(text);
    const plain = JSON.stringify({
      Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }],
    });
    expect(motoPolicyView(plain)).toBeUndefined();
    expect(motoPolicyView('not json')).toBeUndefined();
    expect(clientPolicyText(plain)).toBe(plain);
  });

  it('denies by transport, action and resource', () => {
    const view = motoPolicyView(tlsOnlyPolicy('b'))!;
    const put = objectRequest('PutObject', '/b/dir/k%20ey.txt?x-id=PutObject')!;
    expect(put).toEqual({
      bucket: 'b',
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::b/dir/k ey.txt',
    });
    expect(transportDenial(view, { ...put, secure: false })).toBe(true);
    expect(transportDenial(view, { ...put, secure: true })).toBe(false);
    expect(objectRequest('ListObjectsV2', '/b?list-type=2')).toBeUndefined();
    expect(objectRequest('GetObject', '/b/k?versionId=1')?.action).toBe(
      's3:GetObjectVersion',
    );

    const narrow = motoPolicyView(
      JSON.stringify({
        Statement: {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['s3:PutObject'],
          Resource: 'arn:aws:s3:::b/logs/*',
          Condition: { BoolIfExists: { 'aws:SecureTransport': ['false'] } },
        },
      }),
    )!;
    const at = (key: string, op = 'PutObject') => ({
      ...objectRequest(op, `/b/${key}`)!,
      secure: false,
    });
    expect(transportDenial(narrow, at('logs/x'))).toBe(true);
    expect(transportDenial(narrow, at('other/x'))).toBe(false);
    expect(transportDenial(narrow, at('logs/x', 'GetObject'))).toBe(false);
  });
});

describe('the AWS proxy with a TLS-only bucket', () => {
  let moto: MotoServer;
  let proxy: AwsProxy;
  let tls: TlsCertificate;
  const faults = new FaultInjector();
  const agents: HttpsAgent[] = [];

  const s3At = (endpoint: string) => {
    const agent = new HttpsAgent({ ca: tls.cert });
    agents.push(agent);
    return new S3Client({
      endpoint,
      region,
      credentials,
      forcePathStyle: true,
      maxAttempts: 1,
      requestHandler: { httpsAgent: agent },
    });
  };

  beforeAll(async () => {
    tls = selfSignedCertificate();
    moto = await startMoto({ startTimeoutMs: 30_000 });
    proxy = await startAwsProxy({ target: moto.url, faults, tls });
  });
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
    for (const a of agents) a.destroy();
  });
  beforeEach(() => moto.reset());

  it('serves plain HTTP and HTTPS on one port', () => {
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(proxy.httpsUrl).toBe(proxy.url.replace('http:', 'https:'));
  });

  it('returns the policy as put, refuses plain-HTTP object calls and serves HTTPS ones', async () => {
    const plain = s3At(proxy.url);
    const secure = s3At(proxy.httpsUrl!);
    const Bucket = 'hardened';
    await plain.send(new CreateBucketCommand({ Bucket }));
    await plain.send(
      new PutObjectCommand({ Bucket, Key: 'before.txt', Body: 'b' }),
    );
    const policy = tlsOnlyPolicy(Bucket);
    await plain.send(new PutBucketPolicyCommand({ Bucket, Policy: policy }));

    // GetBucketPolicy: exactly what was put, over either transport.
    for (const client of [plain, secure]) {
      const got = await client.send(new GetBucketPolicyCommand({ Bucket }));
      expect(got.Policy).toBe(policy);
    }
    // moto holds the proxy's view; the inventory shows the client's policy.
    const held = await (await fetch(`${moto.url}/${Bucket}?policy`)).text();
    expect(JSON.parse(held)[CLIENT_POLICY_KEY]).toBe(policy);
    const inventory = await awsInventory({
      url: moto.url,
      region,
      ...credentials,
    });
    expect(inventory.buckets[0].policy).toEqual(JSON.parse(policy));

    // Plain HTTP: object calls refused with S3's AccessDenied.
    const denied = await failure(
      plain.send(new PutObjectCommand({ Bucket, Key: 'k.txt', Body: 'x' })),
    );
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toBe('Access Denied');
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect(denied.$metadata.requestId).toBeTruthy();
    for (const call of [
      new GetObjectCommand({ Bucket, Key: 'before.txt' }),
      new DeleteObjectCommand({ Bucket, Key: 'before.txt' }),
    ]) {
      const err = await failure(plain.send(call as any));
      expect([err.name, err.$metadata.httpStatusCode]).toEqual([
        'AccessDenied',
        403,
      ]);
    }
    const head = await failure(
      plain.send(new HeadObjectCommand({ Bucket, Key: 'before.txt' })),
    );
    expect(head.$metadata.httpStatusCode).toBe(403);
    // Bucket-level calls are not refused (see the README's Limits).
    const listed = await plain.send(new ListObjectsV2Command({ Bucket }));
    expect(listed.Contents?.map(o => o.Key)).toEqual(['before.txt']);

    // HTTPS: as on S3, the statement does not apply.
    await secure.send(
      new PutObjectCommand({ Bucket, Key: 'k.txt', Body: 'over tls' }),
    );
    const object = await secure.send(
      new GetObjectCommand({ Bucket, Key: 'k.txt' }),
    );
    expect(await object.Body!.transformToString()).toBe('over tls');
    await secure.send(new HeadObjectCommand({ Bucket, Key: 'k.txt' }));
    await secure.send(new DeleteObjectCommand({ Bucket, Key: 'k.txt' }));

    // DeleteBucketPolicy clears it: plain HTTP works again.
    await plain.send(new DeleteBucketPolicyCommand({ Bucket }));
    const gone = await failure(
      plain.send(new GetBucketPolicyCommand({ Bucket })),
    );
    expect(gone.name).toBe('NoSuchBucketPolicy');
    await plain.send(new PutObjectCommand({ Bucket, Key: 'k.txt', Body: 'x' }));
  });

  it('leaves policies without transport conditions to moto', async () => {
    const s3 = s3At(proxy.url);
    const Bucket = 'other';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${Bucket}/locked/*`,
        },
      ],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: policy }));
    expect(await (await fetch(`${moto.url}/${Bucket}?policy`)).text()).toBe(
      policy,
    );
    await s3.send(new PutObjectCommand({ Bucket, Key: 'open/a', Body: 'a' }));
    const err = await failure(
      s3At(proxy.httpsUrl!).send(
        new PutObjectCommand({ Bucket, Key: 'locked/a', Body: 'a' }),
      ),
    );
    expect(err.$metadata.httpStatusCode).toBe(403);
  });
});

describe('a TLS-only bucket across restarts', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-tls-policy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A sandbox's AWS side: moto replaying the journal, the proxy in front.
  async function start(tls: TlsCertificate) {
    const moto = await startMoto({
      recordingFile: join(dir, STATE_FILES.aws),
      startTimeoutMs: 30_000,
    });
    const journal = await AwsStateJournal.open({
      stateDir: dir,
      seed: v => moto.seed(v),
    });
    if (journal.recorded > 0) await moto.replayRecording();
    const proxy = await startAwsProxy({
      target: moto.url,
      faults: new FaultInjector(),
      journal,
      tls,
    });
    const client = (endpoint: string) =>
      new S3Client({
        endpoint,
        region,
        credentials,
        forcePathStyle: true,
        maxAttempts: 1,
        requestHandler: { httpsAgent: new HttpsAgent({ ca: tls.cert }) },
      });
    const plain = client(proxy.url);
    const secure = client(proxy.httpsUrl!);
    return {
      plain,
      secure,
      async stop() {
        plain.destroy();
        secure.destroy();
        await proxy.close();
        await moto.stop();
      },
    };
  }

  it('keeps the policy and its effect after replay, and forgets it once deleted', async () => {
    const tls = selfSignedCertificate();
    const Bucket = 'kept-hardened';
    const policy = tlsOnlyPolicy(Bucket);
    let aws = await start(tls);
    try {
      await aws.plain.send(new CreateBucketCommand({ Bucket }));
      await aws.secure.send(
        new PutBucketPolicyCommand({ Bucket, Policy: policy }),
      );
    } finally {
      await aws.stop();
    }
    // The journal holds the view moto got (replayed straight into moto).
    const recorded = await readFile(join(dir, STATE_FILES.aws), 'utf8');
    const put = recorded
      .split('\n')
      .filter(Boolean)
      .map(line => JSON.parse(line))
      .find(e => e.method === 'PUT' && /[?&]policy\b/.test(e.url));
    expect(
      JSON.parse(Buffer.from(put.body, 'base64').toString('utf8'))[
        CLIENT_POLICY_KEY
      ],
    ).toBe(policy);

    aws = await start(tls);
    try {
      const got = await aws.plain.send(new GetBucketPolicyCommand({ Bucket }));
      expect(got.Policy).toBe(policy);
      const denied = await failure(
        aws.plain.send(new PutObjectCommand({ Bucket, Key: 'a', Body: 'a' })),
      );
      expect(denied.name).toBe('AccessDenied');
      await aws.secure.send(
        new PutObjectCommand({ Bucket, Key: 'a', Body: 'a' }),
      );
      await aws.secure.send(new DeleteBucketPolicyCommand({ Bucket }));
    } finally {
      await aws.stop();
    }

    aws = await start(tls);
    try {
      const gone = await failure(
        aws.plain.send(new GetBucketPolicyCommand({ Bucket })),
      );
      expect(gone.name).toBe('NoSuchBucketPolicy');
      await aws.plain.send(
        new PutObjectCommand({ Bucket, Key: 'b', Body: 'b' }),
      );
    } finally {
      await aws.stop();
    }
  });
});
