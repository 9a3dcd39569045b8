import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ServiceFailureException,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { FaultInjector } from '../faults';
import { MotoServer, startMoto } from './moto';
import { AwsProxy, identifyAwsCall, s3Operation, startAwsProxy } from './proxy';

const credentials = { accessKeyId: 'SANDBOXTEST', secretAccessKey: 'test' };
const region = 'us-east-1';

let moto: MotoServer;
let proxy: AwsProxy;
const faults = new FaultInjector();

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startAwsProxy({ target: moto.url, faults });
});

afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
});

beforeEach(async () => {
  faults.clear();
  await moto.reset();
});

function clients(endpoint: string, maxAttempts?: number) {
  const common = { endpoint, region, credentials, maxAttempts };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    iam: new IAMClient(common),
    sts: new STSClient(common),
    sm: new SecretsManagerClient(common),
  };
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('call identification', () => {
  it('names S3 operations from method, path and query', () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(s3Operation('GET', '/', q(''))).toBe('ListBuckets');
    expect(s3Operation('PUT', '/b', q(''))).toBe('CreateBucket');
    expect(s3Operation('HEAD', '/b', q(''))).toBe('HeadBucket');
    expect(s3Operation('DELETE', '/b', q(''))).toBe('DeleteBucket');
    expect(s3Operation('PUT', '/b', q('policy'))).toBe('PutBucketPolicy');
    expect(s3Operation('GET', '/b', q('policy='))).toBe('GetBucketPolicy');
    expect(s3Operation('DELETE', '/b', q('policy'))).toBe('DeleteBucketPolicy');
    expect(s3Operation('PUT', '/b', q('publicAccessBlock'))).toBe(
      'PutPublicAccessBlock',
    );
    expect(s3Operation('GET', '/b', q('encryption'))).toBe(
      'GetBucketEncryption',
    );
    expect(s3Operation('PUT', '/b', q('versioning'))).toBe(
      'PutBucketVersioning',
    );
    expect(s3Operation('PUT', '/b', q('lifecycle'))).toBe(
      'PutBucketLifecycleConfiguration',
    );
    expect(s3Operation('GET', '/b', q('tagging'))).toBe('GetBucketTagging');
    expect(s3Operation('PUT', '/b', q('ownershipControls'))).toBe(
      'PutBucketOwnershipControls',
    );
    expect(s3Operation('GET', '/b', q('location'))).toBe('GetBucketLocation');
    expect(s3Operation('GET', '/b', q('list-type=2&prefix=a'))).toBe(
      'ListObjectsV2',
    );
    expect(s3Operation('PUT', '/b/k/x.txt', q(''))).toBe('PutObject');
    expect(s3Operation('GET', '/b/k', q(''))).toBe('GetObject');
    expect(s3Operation('HEAD', '/b/k', q(''))).toBe('HeadObject');
    expect(s3Operation('DELETE', '/b/k', q(''))).toBe('DeleteObject');
    expect(s3Operation('PUT', '/b/k', q('tagging'))).toBe('PutObjectTagging');
    expect(
      s3Operation('PUT', '/b/k', q(''), { 'x-amz-copy-source': '/b/j' }),
    ).toBe('CopyObject');
    expect(s3Operation('POST', '/b', q('delete'))).toBe('DeleteObjects');
    expect(s3Operation('GET', '/b/k', q('x-id=GetObject'))).toBe('GetObject');
  });

  it('reads the service from the SigV4 scope and the operation from the protocol', () => {
    const auth = (service: string) => ({
      authorization: `AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`,
    });
    expect(
      identifyAwsCall(
        'POST',
        '/',
        {
          ...auth('iam'),
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        },
        Buffer.from('Action=CreateUser&Version=2010-05-08&UserName=u'),
      ),
    ).toEqual({ service: 'iam', operation: 'CreateUser', protocol: 'query' });
    expect(
      identifyAwsCall(
        'POST',
        '/',
        {
          ...auth('secretsmanager'),
          'x-amz-target': 'secretsmanager.GetSecretValue',
        },
        Buffer.from('{}'),
      ),
    ).toEqual({
      service: 'secretsmanager',
      operation: 'GetSecretValue',
      protocol: 'json',
    });
    expect(
      identifyAwsCall('PUT', '/bucket?policy', auth('s3'), Buffer.alloc(0)),
    ).toEqual({
      service: 's3',
      operation: 'PutBucketPolicy',
      protocol: 'restXml',
    });
  });
});

describe('forwarding', () => {
  it('serves real SDK calls through moto and records each call', async () => {
    const { s3, iam, sts, sm } = clients(proxy.url);
    await s3.send(new CreateBucketCommand({ Bucket: 'logs-one' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'logs-one', Key: 'a/b.txt', Body: 'hi' }),
    );
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: 'arn:aws:s3:::logs-one/*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
    await s3.send(
      new PutBucketPolicyCommand({ Bucket: 'logs-one', Policy: policy }),
    );
    const got = await s3.send(
      new GetBucketPolicyCommand({ Bucket: 'logs-one' }),
    );
    expect(JSON.parse(got.Policy!)).toEqual(JSON.parse(policy));
    await iam.send(new CreateUserCommand({ UserName: 'loki' }));
    const key = await iam.send(
      new CreateAccessKeyCommand({ UserName: 'loki' }),
    );
    expect(key.AccessKey?.AccessKeyId).toBeTruthy();
    const me = await sts.send(new GetCallerIdentityCommand({}));
    expect(me.Account).toMatch(/^\d{12}$/);
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));

    expect(faults.calls.aws).toEqual([
      's3:CreateBucket',
      's3:PutObject',
      's3:PutBucketPolicy',
      's3:GetBucketPolicy',
      'iam:CreateUser',
      'iam:CreateAccessKey',
      'sts:GetCallerIdentity',
      'secretsmanager:CreateSecret',
    ]);
  });
});

describe('sts:GetCallerIdentity with an administrator key', () => {
  it('answers the administrator as the account root, an IAM user as moto does, and refuses a key moto did not issue', async () => {
    const admin = await startAwsProxy({
      target: moto.url,
      faults,
      adminAccessKeyId: credentials.accessKeyId,
    });
    try {
      const { iam, sts } = clients(admin.url);
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(
        'arn:aws:iam::123456789012:root',
      );
      await iam.send(new CreateUserCommand({ UserName: 'eso' }));
      const key = (
        await iam.send(new CreateAccessKeyCommand({ UserName: 'eso' }))
      ).AccessKey!;
      const asUser = new STSClient({
        endpoint: admin.url,
        region,
        credentials: {
          accessKeyId: key.AccessKeyId!,
          secretAccessKey: key.SecretAccessKey!,
        },
      });
      expect((await asUser.send(new GetCallerIdentityCommand({}))).Arn).toBe(
        'arn:aws:iam::123456789012:user/eso',
      );
      const unknown = new STSClient({
        endpoint: admin.url,
        region,
        maxAttempts: 1,
        credentials: { accessKeyId: 'AKIANOTISSUED', secretAccessKey: 'x' },
      });
      const error = await failure(
        unknown.send(new GetCallerIdentityCommand({})),
      );
      expect(error.name).toBe('InvalidClientTokenId');
      expect(error.$metadata.httpStatusCode).toBe(403);
    } finally {
      await admin.close();
    }
  });
});

describe('throttling in the wire format of each service', () => {
  it('S3: 503 SlowDown', async () => {
    const { s3 } = clients(proxy.url, 1);
    faults.add({
      target: 'aws',
      match: 's3:ListBuckets',
      action: { type: 'throttle' },
    });
    const err = await failure(s3.send(new ListBucketsCommand({})));
    expect(err.name).toBe('SlowDown');
    expect(err.message).toBe('Please reduce your request rate.');
    expect(err.$metadata.httpStatusCode).toBe(503);
    expect(err.$metadata.requestId).toBeTruthy();
    expect(err.$fault).toBe('server');
  });

  it('IAM and STS: 400 Throttling', async () => {
    const { iam, sts } = clients(proxy.url, 1);
    faults.add({ target: 'aws', match: 'iam:*', action: { type: 'throttle' } });
    faults.add({ target: 'aws', match: 'sts:*', action: { type: 'throttle' } });
    const err = await failure(
      iam.send(new CreateUserCommand({ UserName: 'u' })),
    );
    expect(err.name).toBe('Throttling');
    expect(err.message).toBe('Rate exceeded');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$fault).toBe('client');
    const stsErr = await failure(sts.send(new GetCallerIdentityCommand({})));
    expect(stsErr.name).toBe('Throttling');
    expect(stsErr.$metadata.httpStatusCode).toBe(400);
  });

  it('Secrets Manager: 400 ThrottlingException', async () => {
    const { sm } = clients(proxy.url, 1);
    faults.add({
      target: 'aws',
      match: 'secretsmanager:ListSecrets',
      action: { type: 'throttle' },
    });
    const err = await failure(sm.send(new ListSecretsCommand({})));
    expect(err.name).toBe('ThrottlingException');
    expect(err.message).toBe('Rate exceeded');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('is retried by the SDK: a rule for the next 2 calls is survived with default retries', async () => {
    const { s3, iam, sm } = clients(proxy.url);
    faults.add({
      target: 'aws',
      match: 's3:CreateBucket',
      action: { type: 'throttle' },
      times: 2,
    });
    faults.add({
      target: 'aws',
      match: 'iam:CreateUser',
      action: { type: 'throttle' },
      times: 2,
    });
    faults.add({
      target: 'aws',
      match: 'secretsmanager:CreateSecret',
      action: { type: 'throttle' },
      times: 2,
    });
    const [bucket, user, secret] = await Promise.all([
      s3.send(new CreateBucketCommand({ Bucket: 'retried' })),
      iam.send(new CreateUserCommand({ UserName: 'retried' })),
      sm.send(new CreateSecretCommand({ Name: 'retried', SecretString: 'x' })),
    ]);
    expect(bucket.$metadata.attempts).toBe(3);
    expect(user.User?.UserName).toBe('retried');
    expect(user.$metadata.attempts).toBe(3);
    expect(secret.$metadata.attempts).toBe(3);
    expect(
      faults
        .history()
        .map(h => h.operation)
        .sort(),
    ).toEqual([
      'iam:CreateUser',
      'iam:CreateUser',
      's3:CreateBucket',
      's3:CreateBucket',
      'secretsmanager:CreateSecret',
      'secretsmanager:CreateSecret',
    ]);
  });
});

describe('other faults', () => {
  it('error: the service 5xx', async () => {
    const { s3, iam, sm } = clients(proxy.url, 1);
    faults.add({ target: 'aws', match: '*', action: { type: 'error' } });
    const s3Err = await failure(s3.send(new ListBucketsCommand({})));
    expect(s3Err.name).toBe('InternalError');
    expect(s3Err.$metadata.httpStatusCode).toBe(500);
    const iamErr = await failure(
      iam.send(new CreateUserCommand({ UserName: 'u' })),
    );
    // IAM models its `ServiceFailure` code as ServiceFailureException.
    expect(iamErr).toBeInstanceOf(ServiceFailureException);
    expect(iamErr.name).toBe('ServiceFailureException');
    expect(iamErr.$metadata.httpStatusCode).toBe(500);
    const smErr = await failure(sm.send(new ListSecretsCommand({})));
    expect(smErr.name).toBe('InternalServiceError');
    expect(smErr.$metadata.httpStatusCode).toBe(500);
    expect(smErr.$fault).toBe('server');
  });

  it('error with a status', async () => {
    const { s3 } = clients(proxy.url, 1);
    faults.add({
      target: 'aws',
      match: 's3:*',
      action: { type: 'error', status: 503 },
    });
    const err = await failure(s3.send(new ListBucketsCommand({})));
    expect(err.$metadata.httpStatusCode).toBe(503);
    expect(err.name).toBe('ServiceUnavailable');
  });

  it('drop: a network error, nothing reaches moto', async () => {
    const { s3 } = clients(proxy.url, 1);
    faults.add({
      target: 'aws',
      match: 's3:CreateBucket',
      action: { type: 'drop' },
    });
    const err = await failure(
      s3.send(new CreateBucketCommand({ Bucket: 'dropped' })),
    );
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    // node's ECONNRESET, which the SDK names TimeoutError (jest's realm wraps it).
    expect(String(err.message)).toMatch(/socket hang up|ECONNRESET/);
    const direct = clients(moto.url).s3;
    const buckets = await direct.send(new ListBucketsCommand({}));
    expect(buckets.Buckets ?? []).toEqual([]);
  });

  it('drop is retried by the SDK as a network error', async () => {
    const { s3 } = clients(proxy.url);
    faults.add({
      target: 'aws',
      match: 's3:CreateBucket',
      action: { type: 'drop' },
      times: 1,
    });
    const out = await s3.send(new CreateBucketCommand({ Bucket: 'again' }));
    expect(out.$metadata.attempts).toBe(2);
  });

  it('latency: the call reaches moto only after the delay, then succeeds', async () => {
    const { s3 } = clients(proxy.url, 1);
    const direct = clients(moto.url, 1).s3;
    faults.add({
      target: 'aws',
      match: 's3:CreateBucket',
      action: { type: 'latency', ms: 1500 },
    });
    const pending = s3.send(new CreateBucketCommand({ Bucket: 'slow' }));
    while (!faults.calls.aws.includes('s3:CreateBucket')) {
      await new Promise(r => setTimeout(r, 10));
    }
    // Held by the proxy: moto has not seen it yet.
    const before = await failure(
      direct.send(new HeadBucketCommand({ Bucket: 'slow' })),
    );
    expect(before.$metadata.httpStatusCode).toBe(404);
    await pending;
    await direct.send(new HeadBucketCommand({ Bucket: 'slow' }));
    expect(faults.history()).toEqual([
      expect.objectContaining({
        operation: 's3:CreateBucket',
        action: 'latency',
      }),
    ]);
  });

  it('fraction: applies to the calls the injector random selects', async () => {
    const draws = [0.9, 0.2, 0.7, 0.1];
    const picky = new FaultInjector(() => draws.shift()!);
    const own = await startAwsProxy({ target: moto.url, faults: picky });
    try {
      picky.add({
        target: 'aws',
        match: 's3:ListBuckets',
        action: { type: 'throttle' },
        fraction: 0.5,
      });
      const { s3 } = clients(own.url, 1);
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i++) {
        try {
          await s3.send(new ListBucketsCommand({}));
          outcomes.push('ok');
        } catch (e: any) {
          outcomes.push(e.name);
        }
      }
      expect(outcomes).toEqual(['ok', 'SlowDown', 'ok', 'SlowDown']);
      expect(picky.history()).toHaveLength(2);
    } finally {
      await own.close();
    }
  });
});
