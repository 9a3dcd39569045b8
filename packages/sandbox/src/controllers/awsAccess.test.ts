import {
  DeleteAccessKeyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { MotoServer } from '../aws/moto';
import { startAwsProxy } from '../aws/proxy';
import { FaultInjector } from '../faults';
import {
  AwsAccess,
  AwsError,
  PolicyDocument,
  evaluatePolicies,
  parsePolicyDocument,
} from './awsAccess';
import {
  TEST_ADMIN,
  adminClients,
  createIamUser,
  startTestMoto,
} from './__testUtils__/operators';

describe('evaluatePolicies', () => {
  const allowPut: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' },
    ],
  };

  it('needs an Allow, and an explicit Deny wins', () => {
    expect(
      evaluatePolicies([allowPut], 's3:PutObject', 'arn:aws:s3:::b/k'),
    ).toBe('Allow');
    expect(
      evaluatePolicies([allowPut], 's3:putobject', 'arn:aws:s3:::b/k'),
    ).toBe('Allow');
    expect(
      evaluatePolicies([allowPut], 's3:GetObject', 'arn:aws:s3:::b/k'),
    ).toBe('ImplicitDeny');
    expect(
      evaluatePolicies([allowPut], 's3:PutObject', 'arn:aws:s3:::other/k'),
    ).toBe('ImplicitDeny');
    const deny: PolicyDocument = {
      Statement: { Effect: 'Deny', Action: 's3:*', Resource: '*' },
    };
    expect(
      evaluatePolicies([allowPut, deny], 's3:PutObject', 'arn:aws:s3:::b/k'),
    ).toBe('ExplicitDeny');
  });

  it('handles NotAction, NotResource, ? wildcards and ${aws:username}', () => {
    const doc: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          NotAction: 'iam:*',
          Resource: 'arn:aws:s3:::b?/${aws:username}/*',
        },
        {
          Effect: 'Deny',
          Action: 's3:DeleteObject',
          NotResource: 'arn:aws:s3:::b1/*',
        },
      ],
    };
    const opts = { userName: 'loki' };
    expect(
      evaluatePolicies([doc], 's3:PutObject', 'arn:aws:s3:::b1/loki/x', opts),
    ).toBe('Allow');
    expect(
      evaluatePolicies([doc], 's3:PutObject', 'arn:aws:s3:::b1/other/x', opts),
    ).toBe('ImplicitDeny');
    expect(
      evaluatePolicies([doc], 'iam:ListUsers', 'arn:aws:s3:::b1/loki/x', opts),
    ).toBe('ImplicitDeny');
    expect(
      evaluatePolicies(
        [doc],
        's3:DeleteObject',
        'arn:aws:s3:::b2/loki/x',
        opts,
      ),
    ).toBe('ExplicitDeny');
  });

  it('disregards statements with a Condition, and matches resource-policy principals', () => {
    const conditional: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'true' } },
        },
      ],
    };
    expect(
      evaluatePolicies([conditional], 's3:PutObject', 'arn:aws:s3:::b/k'),
    ).toBe('ImplicitDeny');
    const bucketPolicy: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::123456789012:user/loki'] },
          Action: 's3:*',
          Resource: 'arn:aws:s3:::b/*',
        },
      ],
    };
    const as = (arn: string) => ({ principalArns: [arn] });
    expect(
      evaluatePolicies(
        [bucketPolicy],
        's3:PutObject',
        'arn:aws:s3:::b/k',
        as('arn:aws:iam::123456789012:user/loki'),
      ),
    ).toBe('Allow');
    expect(
      evaluatePolicies(
        [bucketPolicy],
        's3:PutObject',
        'arn:aws:s3:::b/k',
        as('arn:aws:iam::123456789012:user/x'),
      ),
    ).toBe('ImplicitDeny');
  });

  it('parses URL-encoded inline policy documents', () => {
    expect(
      parsePolicyDocument(encodeURIComponent(JSON.stringify(allowPut))),
    ).toEqual(allowPut);
    expect(parsePolicyDocument('not json')).toEqual({});
  });
});

describe('AwsAccess against moto', () => {
  let moto: MotoServer;
  let access: AwsAccess;
  let clients: ReturnType<typeof adminClients>;

  beforeAll(async () => {
    moto = await startTestMoto();
    clients = adminClients(moto.url);
    access = new AwsAccess({
      url: moto.url,
      region: 'us-east-1',
      adminAccessKeyId: TEST_ADMIN.accessKeyId,
      adminSecretAccessKey: TEST_ADMIN.secretAccessKey,
    });
  });
  afterAll(async () => {
    await moto?.stop();
  });

  const errorOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e as AwsError;
    }
    throw new Error('expected an error');
  };

  it('accepts the admin key only with its secret', async () => {
    await expect(access.authenticate(TEST_ADMIN, 'sts')).resolves.toMatchObject(
      {
        kind: 'admin',
      },
    );
    const e = await errorOf(
      access.authenticate(
        { ...TEST_ADMIN, secretAccessKey: 'x' },
        'secretsmanager',
      ),
    );
    expect(e.code).toBe('InvalidSignatureException');
  });

  it("accepts an active IAM user's key with its secret, and nothing else", async () => {
    const key = await createIamUser(clients.iam, 'access-test');
    await expect(access.authenticate(key, 's3')).resolves.toEqual({
      kind: 'user',
      userName: 'access-test',
      arn: 'arn:aws:iam::123456789012:user/access-test',
      accountId: '123456789012',
    });
    const wrong = await errorOf(
      access.authenticate({ ...key, secretAccessKey: 'nope' }, 's3'),
    );
    expect(wrong.toString()).toBe(
      'SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
    expect(wrong.message).not.toContain('nope');
    const unknown = await errorOf(
      access.authenticate(
        { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
        'sts',
      ),
    );
    expect(unknown.code).toBe('InvalidClientTokenId');

    await clients.iam.send(
      new UpdateAccessKeyCommand({
        UserName: 'access-test',
        AccessKeyId: key.accessKeyId,
        Status: 'Inactive',
      }),
    );
    expect((await errorOf(access.authenticate(key, 's3'))).code).toBe(
      'InvalidAccessKeyId',
    );
    await clients.iam.send(
      new DeleteAccessKeyCommand({
        UserName: 'access-test',
        AccessKeyId: key.accessKeyId,
      }),
    );
    expect((await errorOf(access.authenticate(key, 'sts'))).code).toBe(
      'InvalidClientTokenId',
    );
  });

  it("authorizes from a user's inline and managed policies", async () => {
    const key = await createIamUser(clients.iam, 'policy-test', {
      inline: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: 'arn:aws:s3:::b/*',
          },
        ],
      },
      managed: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Action: 's3:PutObject',
            Resource: 'arn:aws:s3:::b/secret/*',
          },
        ],
      },
    });
    const principal = await access.authenticate(key, 's3');
    await expect(
      access.decide(principal, 's3:PutObject', 'arn:aws:s3:::b/k'),
    ).resolves.toBe('Allow');
    const denied = await errorOf(
      access.authorize(
        principal,
        's3',
        's3:PutObject',
        'arn:aws:s3:::b/secret/k',
      ),
    );
    expect(denied.toString()).toBe(
      'AccessDenied: User: arn:aws:iam::123456789012:user/policy-test is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/secret/k" with an explicit deny in an identity-based policy',
    );
  });
});

describe('AwsAccess through the AWS proxy', () => {
  it('refuses a key moto did not issue with InvalidClientTokenId, as against AWS', async () => {
    const moto = await startTestMoto();
    const proxy = await startAwsProxy({
      target: moto.url,
      faults: new FaultInjector(),
      adminAccessKeyId: TEST_ADMIN.accessKeyId,
    });
    try {
      const access = new AwsAccess({
        url: proxy.url,
        region: 'us-east-1',
        adminAccessKeyId: TEST_ADMIN.accessKeyId,
        adminSecretAccessKey: TEST_ADMIN.secretAccessKey,
      });
      let error: any;
      try {
        await access.authenticate(
          { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
          'secretsmanager',
        );
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AwsError);
      expect(error.code).toBe('UnrecognizedClientException');
    } finally {
      await proxy.close();
      await moto.stop();
    }
  });
});
