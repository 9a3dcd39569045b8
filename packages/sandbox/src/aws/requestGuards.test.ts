import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  ServerSideEncryption,
} from '@aws-sdk/client-s3';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  LimitExceededException,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { FaultInjector } from '../faults';
import { accessKeyIdOf } from './requestGuards';
import { MotoServer, startMoto } from './moto';
import { AwsProxy, startAwsProxy } from './proxy';

const root = { accessKeyId: 'SANDBOXTEST', secretAccessKey: 'test' };
const region = 'us-east-1';

let moto: MotoServer;
let proxy: AwsProxy;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startAwsProxy({
    target: moto.url,
    faults: new FaultInjector(),
  });
});

afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
});

beforeEach(() => moto.reset());

function s3(credentials = root) {
  return new S3Client({
    endpoint: proxy.url,
    region,
    credentials,
    forcePathStyle: true,
    maxAttempts: 1,
  });
}

function iam() {
  return new IAMClient({
    endpoint: proxy.url,
    region,
    credentials: root,
    maxAttempts: 1,
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

/** The product's TLS-only statement (logging-environments-node bucket.ts). */
const tlsOnly = (bucket: string) =>
  JSON.stringify({
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
    ],
  });

const publicRead = (bucket: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublicRead',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  });

/** The Loki user's policy (logging-environments-node iam.ts). */
const lokiPolicy = (bucket: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ListLokiBucket',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [`arn:aws:s3:::${bucket}`],
    },
    {
      Sid: 'ReadWriteLokiObjects',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: [`arn:aws:s3:::${bucket}/*`],
    },
  ],
});

describe('S3 request rules', () => {
  it('refuses a public bucket policy under BlockPublicPolicy with 403 AccessDenied, keeping the policy in place', async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: 'logs-blocked' }));
    await client.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'logs-blocked',
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    // The TLS-only policy denies; it is not public.
    await client.send(
      new PutBucketPolicyCommand({
        Bucket: 'logs-blocked',
        Policy: tlsOnly('logs-blocked'),
      }),
    );

    const err = await failure(
      client.send(
        new PutBucketPolicyCommand({
          Bucket: 'logs-blocked',
          Policy: publicRead('logs-blocked'),
        }),
      ),
    );
    expect(err.name).toBe('AccessDenied');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toBe(
      'User: arn:aws:iam::123456789012:root is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::logs-blocked" because public policies are blocked by the BlockPublicPolicy block public access setting.',
    );
    const kept = await client.send(
      new GetBucketPolicyCommand({ Bucket: 'logs-blocked' }),
    );
    expect(JSON.parse(kept.Policy!)).toEqual(
      JSON.parse(tlsOnly('logs-blocked')),
    );

    // Without the block, the same policy is accepted.
    await client.send(new CreateBucketCommand({ Bucket: 'logs-open' }));
    await client.send(
      new PutBucketPolicyCommand({
        Bucket: 'logs-open',
        Policy: publicRead('logs-open'),
      }),
    );
  });

  it("refuses malformed bucket policies with 400 MalformedPolicy and S3's messages", async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: 'logs-malformed' }));
    const put = (Policy: string) =>
      failure(
        client.send(
          new PutBucketPolicyCommand({ Bucket: 'logs-malformed', Policy }),
        ),
      );

    const notJson = await put('policy.json');
    expect(notJson.name).toBe('MalformedPolicy');
    expect(notJson.$metadata.httpStatusCode).toBe(400);
    expect(notJson.message).toBe(
      "Policies must be valid JSON and the first byte must be '{'",
    );
    const broken = await put('{"Version": "2012-10-17", "Statement": [');
    expect(broken.name).toBe('MalformedPolicy');
    expect(broken.message).toBe('This policy contains invalid Json');
    const noStatement = await put('{"Version": "2012-10-17"}');
    expect(noStatement.name).toBe('MalformedPolicy');
    expect(noStatement.$metadata.httpStatusCode).toBe(400);
    expect(noStatement.message).toBe('Missing required field Statement');

    const none = await failure(
      client.send(new GetBucketPolicyCommand({ Bucket: 'logs-malformed' })),
    );
    expect(none.name).toBe('NoSuchBucketPolicy');
  });

  it('refuses an unknown default encryption algorithm with 400 MalformedXML', async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: 'logs-sse' }));
    const put = (SSEAlgorithm: string) =>
      client.send(
        new PutBucketEncryptionCommand({
          Bucket: 'logs-sse',
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: {
                  SSEAlgorithm: SSEAlgorithm as ServerSideEncryption,
                },
              },
            ],
          },
        }),
      );

    const err = await failure(put('SSE-KMS'));
    expect(err.name).toBe('MalformedXML');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toBe(
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
    const none = await failure(
      client.send(new GetBucketEncryptionCommand({ Bucket: 'logs-sse' })),
    );
    expect(none.name).toBe('ServerSideEncryptionConfigurationNotFoundError');

    for (const valid of ['AES256', 'aws:kms', 'aws:kms:dsse']) {
      await put(valid);
    }
  });

  it('refuses invalid bucket names with 400 InvalidBucketName', async () => {
    const client = s3();
    for (const Bucket of [
      'Upper-case',
      'under_score',
      'ab',
      'a'.repeat(64),
      '192.168.5.4',
      'ends-with-hyphen-',
      '.starts-with-dot',
      'xn--punycode',
      'access-point-s3alias',
      'two..dots',
    ]) {
      const err = await failure(
        client.send(new CreateBucketCommand({ Bucket })),
      );
      expect({
        Bucket,
        name: err.name,
        status: err.$metadata.httpStatusCode,
      }).toEqual({
        Bucket,
        name: 'InvalidBucketName',
        status: 400,
      });
      expect(err.message).toBe('The specified bucket is not valid.');
    }
    const listed = await client.send(new ListBucketsCommand({}));
    expect(listed.Buckets ?? []).toEqual([]);
    await client.send(new CreateBucketCommand({ Bucket: 'logging-acme-prod' }));
  });
});

describe('IAM request rules', () => {
  it('refuses inline user policies beyond 2,048 non-whitespace characters in all with 409 LimitExceeded', async () => {
    const client = iam();
    await client.send(new CreateUserCommand({ UserName: 'loki-big' }));
    // ~1,200 and ~1,100 characters: each fits, both do not.
    const statements = (bucket: string, n: number) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: Array.from({ length: n }, (_, i) => ({
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/prefix-${i}/*`,
        })),
      });
    const first = statements('first', 15);
    const second = statements('second', 13);
    expect(first.length + second.length).toBeGreaterThan(2048);
    expect(first.length).toBeLessThan(2048);
    await client.send(
      new PutUserPolicyCommand({
        UserName: 'loki-big',
        PolicyName: 'first',
        PolicyDocument: first,
      }),
    );

    const err = await failure(
      client.send(
        new PutUserPolicyCommand({
          UserName: 'loki-big',
          PolicyName: 'second',
          PolicyDocument: second,
        }),
      ),
    );
    expect(err).toBeInstanceOf(LimitExceededException);
    expect(err.$metadata.httpStatusCode).toBe(409);
    expect(err.message).toBe(
      'Maximum policy size of 2048 bytes exceeded for user loki-big',
    );
    const names = await client.send(
      new ListUserPoliciesCommand({ UserName: 'loki-big' }),
    );
    expect(names.PolicyNames).toEqual(['first']);

    // Replacing a policy counts it once; white space is not counted.
    const pretty = JSON.stringify(JSON.parse(first), null, 8);
    expect(pretty.length).toBeGreaterThan(2048);
    await client.send(
      new PutUserPolicyCommand({
        UserName: 'loki-big',
        PolicyName: 'first',
        PolicyDocument: pretty,
      }),
    );
    const stored = await client.send(
      new GetUserPolicyCommand({ UserName: 'loki-big', PolicyName: 'first' }),
    );
    expect(JSON.parse(decodeURIComponent(stored.PolicyDocument!))).toEqual(
      JSON.parse(first),
    );
  });
});

describe('S3 calls signed with a key the sandbox issued', () => {
  async function lokiKey(bucket: string) {
    const client = iam();
    await client.send(new CreateUserCommand({ UserName: 'loki-acme' }));
    await client.send(
      new PutUserPolicyCommand({
        UserName: 'loki-acme',
        PolicyName: 'loki',
        PolicyDocument: JSON.stringify(lokiPolicy(bucket)),
      }),
    );
    const key = await client.send(
      new CreateAccessKeyCommand({ UserName: 'loki-acme' }),
    );
    return {
      accessKeyId: key.AccessKey!.AccessKeyId!,
      secretAccessKey: key.AccessKey!.SecretAccessKey!,
    };
  }

  it("are allowed only what the key's user's policies allow (403 AccessDenied otherwise); other keys stay unrestricted", async () => {
    const admin = s3();
    await admin.send(new CreateBucketCommand({ Bucket: 'loki-acme' }));
    await admin.send(new CreateBucketCommand({ Bucket: 'other-team' }));
    const key = await lokiKey('loki-acme');
    const loki = s3(key);

    await loki.send(
      new PutObjectCommand({ Bucket: 'loki-acme', Key: 'chunks/a', Body: 'x' }),
    );
    const got = await loki.send(
      new GetObjectCommand({ Bucket: 'loki-acme', Key: 'chunks/a' }),
    );
    expect(await got.Body!.transformToString()).toBe('x');
    const listed = await loki.send(
      new ListObjectsV2Command({ Bucket: 'loki-acme' }),
    );
    expect(listed.Contents?.map(o => o.Key)).toEqual(['chunks/a']);
    await loki.send(new HeadBucketCommand({ Bucket: 'loki-acme' }));

    const otherBucket = await failure(
      loki.send(
        new PutObjectCommand({ Bucket: 'other-team', Key: 'a', Body: 'x' }),
      ),
    );
    expect(otherBucket.name).toBe('AccessDenied');
    expect(otherBucket.$metadata.httpStatusCode).toBe(403);
    expect(otherBucket.message).toBe(
      'User: arn:aws:iam::123456789012:user/loki-acme is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::other-team/a" because no identity-based policy allows the s3:PutObject action',
    );
    const deleteBucket = await failure(
      loki.send(new DeleteBucketCommand({ Bucket: 'loki-acme' })),
    );
    expect(deleteBucket.name).toBe('AccessDenied');
    expect(deleteBucket.$metadata.httpStatusCode).toBe(403);
    expect(deleteBucket.message).toMatch(
      /perform: s3:DeleteBucket on resource: "arn:aws:s3:::loki-acme" because no identity-based policy allows the s3:DeleteBucket action$/,
    );
    const listBuckets = await failure(loki.send(new ListBucketsCommand({})));
    expect(listBuckets.message).toBe(
      'User: arn:aws:iam::123456789012:user/loki-acme is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action',
    );
    // Nothing reached moto.
    await admin.send(new HeadBucketCommand({ Bucket: 'loki-acme' }));
    const others = await admin.send(
      new ListObjectsV2Command({ Bucket: 'other-team' }),
    );
    expect(others.KeyCount).toBe(0);

    // Root credentials (not issued by the sandbox) may do anything.
    await admin.send(
      new PutObjectCommand({ Bucket: 'other-team', Key: 'a', Body: 'x' }),
    );
    await admin.send(
      new DeleteObjectsCommand({
        Bucket: 'other-team',
        Delete: { Objects: [{ Key: 'a' }] },
      }),
    );
    await admin.send(new DeleteBucketCommand({ Bucket: 'other-team' }));
  });

  it('count a grant of the bucket policy, refuse an inactive key, and delete only the allowed keys of a DeleteObjects', async () => {
    const admin = s3();
    await admin.send(new CreateBucketCommand({ Bucket: 'loki-acme' }));
    await admin.send(new CreateBucketCommand({ Bucket: 'shared' }));
    const key = await lokiKey('loki-acme');
    const loki = s3(key);
    for (const Key of ['mine/a', 'theirs/b']) {
      await admin.send(
        new PutObjectCommand({ Bucket: 'shared', Key, Body: 'x' }),
      );
    }
    await admin.send(
      new PutBucketPolicyCommand({
        Bucket: 'shared',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: {
                AWS: 'arn:aws:iam::123456789012:user/loki-acme',
              },
              Action: 's3:DeleteObject',
              Resource: 'arn:aws:s3:::shared/mine/*',
            },
          ],
        }),
      }),
    );

    const deleted = await loki.send(
      new DeleteObjectsCommand({
        Bucket: 'shared',
        Delete: { Objects: [{ Key: 'mine/a' }, { Key: 'theirs/b' }] },
      }),
    );
    expect(deleted.Deleted?.map(d => d.Key)).toEqual(['mine/a']);
    expect(deleted.Errors).toEqual([
      { Key: 'theirs/b', Code: 'AccessDenied', Message: 'Access Denied' },
    ]);
    const left = await admin.send(
      new ListObjectsV2Command({ Bucket: 'shared' }),
    );
    expect(left.Contents?.map(o => o.Key)).toEqual(['theirs/b']);

    await iam().send(
      new UpdateAccessKeyCommand({
        UserName: 'loki-acme',
        AccessKeyId: key.accessKeyId,
        Status: 'Inactive',
      }),
    );
    const inactive = await failure(
      loki.send(new ListObjectsV2Command({ Bucket: 'loki-acme' })),
    );
    expect(inactive.name).toBe('InvalidAccessKeyId');
    expect(inactive.$metadata.httpStatusCode).toBe(403);
  });
});

describe('accessKeyIdOf', () => {
  it('reads SigV4 headers, presigned URLs and SigV2 headers', () => {
    expect(
      accessKeyIdOf(
        {
          authorization:
            'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x',
        },
        '/b/k',
      ),
    ).toBe('AKIAEXAMPLE');
    expect(
      accessKeyIdOf(
        {},
        '/b/k?X-Amz-Credential=AKIAPRESIGNED%2F20250101%2Fus-east-1%2Fs3%2Faws4_request',
      ),
    ).toBe('AKIAPRESIGNED');
    expect(accessKeyIdOf({ authorization: 'AWS AKIAV2:sig' }, '/b')).toBe(
      'AKIAV2',
    );
    expect(accessKeyIdOf({}, '/b')).toBeUndefined();
  });
});
