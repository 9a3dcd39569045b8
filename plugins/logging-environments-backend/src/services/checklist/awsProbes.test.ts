/**
 * The AWS probes with the real AWS client code against moto: the real -node
 * ensure functions create good resources, then each is broken the way
 * people break them and its probe must fail for that reason.
 */
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  DeleteAccessKeyCommand,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import {
  DeleteSecretCommand,
  GetSecretValueCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AwsClientFactory,
  AwsClients,
  ConfigClusterRegistry,
  TAG_ACCESS_KEY_ID,
  ensureLokiBucket,
  ensureLokiIamUser,
  ensureLokiSecret,
} from '@internal/plugin-logging-environments-node';
import { startMoto } from '@internal/plugin-logging-environments-node/testUtils';
import { createTestStore } from '../../database/__testUtils__/createTestStore';
import { testEnvironment } from '../__testUtils__/environment';
import { registryClusterClients } from '../revision';
import { Environment } from '../types';
import { bucketProbe, iamPolicyProbe, secretProbe } from './awsProbes';
import {
  AwsClientSource,
  DEFAULT_PROBES,
  DefaultChecklistService,
} from './DefaultChecklistService';
import { ChecklistProbe } from './types';

const REGION = 'us-east-1';

describe('AWS probes against moto', () => {
  jest.setTimeout(60_000);
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let clients: AwsClients;
  const noClusters = registryClusterClients(
    ConfigClusterRegistry.fromConfig(new ConfigReader({})),
  );

  beforeAll(async () => {
    moto = await startMoto();
    clients = await moto.factory.clients(REGION);
  });
  afterAll(() => moto?.stop());

  /** What the bootstrap's AWS steps create for an environment. */
  async function bootstrap(name: string): Promise<Environment> {
    const environment = testEnvironment({ name, region: REGION });
    const bucket = environment.bucket!;
    const secretName = environment.secret!;
    await ensureLokiBucket(clients, { bucket, environment: name });
    await ensureLokiIamUser(clients, { environment: name, bucket, secretName });
    await ensureLokiSecret(clients, {
      name: secretName,
      environment: name,
      bucket,
    });
    return environment;
  }

  async function checklist(
    probes: readonly ChecklistProbe[] = [
      bucketProbe,
      iamPolicyProbe,
      secretProbe,
    ],
    aws: AwsClientSource = moto.factory,
  ) {
    const { store, knex } = await createTestStore();
    const logger = mockServices.logger.mock();
    const service = new DefaultChecklistService({
      store,
      logger,
      aws,
      clusters: noClusters,
      probes,
    });
    return { service, knex, logger };
  }

  async function run(environment: Environment) {
    const result = await (
      await checklist()
    ).service.run(environment, 'user:default/alice');
    return Object.fromEntries(result.items.map(i => [i.id, i]));
  }

  it('passes for what the bootstrap creates, with evidence and no secret value', async () => {
    const environment = await bootstrap('good');
    const { service, knex, logger } = await checklist();
    const result = await service.run(environment, 'user:default/alice');
    const items = Object.fromEntries(result.items.map(i => [i.id, i]));
    expect(result.status).toBe('pass');
    expect(items.bucket).toMatchObject({
      status: 'pass',
      evidence: {
        bucket: 'good-loki',
        environmentTag: 'good',
        versioning: 'Enabled',
        encryption: 'AES256',
        publicAccessBlock: 'all four settings on',
        objectOwnership: 'BucketOwnerEnforced',
        lifecycleRuleIds:
          'logging-environments-expire-noncurrent-versions, logging-environments-abort-incomplete-multipart-uploads',
        policyTlsOnly: true,
      },
    });
    expect(items['iam-policy']).toMatchObject({
      status: 'pass',
      message:
        'IAM user "loki-good" has exactly the Loki policy and one active access key',
      evidence: {
        user: 'loki-good',
        inlinePolicies: 'loki-object-storage',
        lokiPolicyMatches: true,
        attachedPolicies: '(none)',
        groups: '(none)',
        accessKeys: 1,
        activeAccessKeys: 1,
      },
    });
    expect(items.secret).toMatchObject({
      status: 'pass',
      evidence: {
        secret: 'logging/good/loki-s3',
        environmentTag: 'good',
        accessKeyTag: 'present',
        accessKeyIdMatchesIamUser: true,
        kmsKey: 'aws/secretsmanager (AWS managed key)',
      },
    });
    expect(items.secret.evidence.versions).toBeGreaterThanOrEqual(1);
    expect(Date.parse(String(items.secret.evidence.lastChanged))).not.toBeNaN();

    // The access key (id and secret) lives only in Secrets Manager.
    const value = JSON.parse(
      (
        await clients.secretsManager.send(
          new GetSecretValueCommand({ SecretId: 'logging/good/loki-s3' }),
        )
      ).SecretString!,
    );
    expect(value.access_key_id).toMatch(/^AKIA/);
    const shown = JSON.stringify([
      result,
      await knex('history'),
      (logger.info as jest.Mock).mock.calls,
      (logger.debug as jest.Mock).mock.calls,
    ]);
    expect(shown).not.toContain(value.access_key_id);
    expect(shown).not.toContain(value.access_key_secret);
  });

  it('fails the bucket probe for suspended versioning, a missing TLS policy, another tag, or no bucket', async () => {
    const environment = await bootstrap('bucket-broken');
    await clients.s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'bucket-broken-loki',
        VersioningConfiguration: { Status: 'Suspended' },
      }),
    );
    let items = await run(environment);
    expect(items.bucket.status).toBe('fail');
    expect(items.bucket.message).toBe(
      'S3 bucket "bucket-broken-loki" lacks the bootstrap\'s hardening: enable versioning',
    );
    expect(items.bucket.evidence.versioning).toBe('Suspended');

    await clients.s3.send(
      new DeleteBucketPolicyCommand({ Bucket: 'bucket-broken-loki' }),
    );
    items = await run(environment);
    expect(items.bucket.message).toContain(
      'bucket policy: deny requests without TLS (aws:SecureTransport)',
    );
    expect(items.bucket.evidence.policyTlsOnly).toBe(false);

    await clients.s3.send(
      new PutBucketTaggingCommand({
        Bucket: 'bucket-broken-loki',
        Tagging: {
          TagSet: [
            { Key: 'logging-environments.io/environment', Value: 'other' },
          ],
        },
      }),
    );
    items = await run(environment);
    expect(items.bucket.message).toBe(
      'S3 bucket "bucket-broken-loki" belongs to logging environment "other", not "bucket-broken"',
    );

    items = await run({ ...environment, bucket: 'no-such-bucket-loki' });
    expect(items.bucket).toMatchObject({
      status: 'fail',
      message: 'S3 bucket "no-such-bucket-loki" does not exist',
    });
  });

  it('fails the IAM probe for an extra inline policy, a managed policy, a group or a second key', async () => {
    const environment = await bootstrap('iam-broken');
    const UserName = 'loki-iam-broken';
    await clients.iam.send(
      new PutUserPolicyCommand({
        UserName,
        PolicyName: 'extra',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
        }),
      }),
    );
    let items = await run(environment);
    expect(items['iam-policy']).toMatchObject({
      status: 'fail',
      message: 'IAM user "loki-iam-broken": extra inline policies: extra',
      evidence: { inlinePolicies: 'loki-object-storage, extra' },
    });

    const policy = await clients.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'broad',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    await clients.iam.send(
      new AttachUserPolicyCommand({ UserName, PolicyArn: policy.Policy!.Arn }),
    );
    await clients.iam.send(new CreateGroupCommand({ GroupName: 'admins' }));
    await clients.iam.send(
      new AddUserToGroupCommand({ UserName, GroupName: 'admins' }),
    );
    const second = await clients.iam.send(
      new CreateAccessKeyCommand({ UserName }),
    );
    items = await run(environment);
    const message = items['iam-policy'].message;
    expect(message).toContain('extra inline policies: extra');
    expect(message).toContain(
      `attached managed policies: ${policy.Policy!.Arn}`,
    );
    expect(message).toContain('member of groups: admins');
    expect(message).toContain(
      '2 access key(s), 2 active (exactly one active key expected)',
    );
    expect(items['iam-policy'].evidence.accessKeys).toBe(2);
    // Evidence counts keys, never names them.
    expect(JSON.stringify(items)).not.toContain(second.AccessKey!.AccessKeyId);
    expect(JSON.stringify(items)).not.toContain(
      second.AccessKey!.SecretAccessKey,
    );
  });

  it('fails the IAM probe for a changed Loki policy and a missing user', async () => {
    const environment = await bootstrap('iam-policy-changed');
    await clients.iam.send(
      new PutUserPolicyCommand({
        UserName: 'loki-iam-policy-changed',
        PolicyName: 'loki-object-storage',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
        }),
      }),
    );
    const items = await run(environment);
    expect(items['iam-policy'].message).toContain(
      'inline policy loki-object-storage differs from the Loki policy',
    );
    expect(items['iam-policy'].evidence.lokiPolicyMatches).toBe(false);

    const missing = await run(
      testEnvironment({ name: 'nobody', region: REGION }),
    );
    expect(missing['iam-policy']).toMatchObject({
      status: 'fail',
      message: 'IAM user "loki-nobody" does not exist',
    });
    expect(missing.secret.message).toBe(
      'Secrets Manager secret "logging/nobody/loki-s3" does not exist',
    );
  });

  it('fails the secret probe when its key is not the active one, untagged, or scheduled for deletion', async () => {
    const environment = await bootstrap('secret-broken');
    const UserName = 'loki-secret-broken';
    // A rotation outside the bootstrap: a new key, the old one deleted.
    const [old] =
      (await clients.iam.send(new ListAccessKeysCommand({ UserName })))
        .AccessKeyMetadata ?? [];
    const fresh = await clients.iam.send(
      new CreateAccessKeyCommand({ UserName }),
    );
    await clients.iam.send(
      new DeleteAccessKeyCommand({ UserName, AccessKeyId: old.AccessKeyId }),
    );
    let items = await run(environment);
    expect(items['iam-policy'].status).toBe('pass');
    expect(items.secret).toMatchObject({
      status: 'fail',
      message:
        'Secrets Manager secret "logging/secret-broken/loki-s3" holds an access key that is not the active key of IAM user "loki-secret-broken" (rotated or deleted outside the bootstrap?)',
      evidence: { accessKeyIdMatchesIamUser: false },
    });
    const shown = JSON.stringify(items);
    expect(shown).not.toContain(old.AccessKeyId);
    expect(shown).not.toContain(fresh.AccessKey!.AccessKeyId);

    await clients.secretsManager.send(
      new UntagResourceCommand({
        SecretId: 'logging/secret-broken/loki-s3',
        TagKeys: [TAG_ACCESS_KEY_ID],
      }),
    );
    items = await run(environment);
    expect(items.secret.message).toContain(
      `does not say which access key it holds (tag ${TAG_ACCESS_KEY_ID} is missing)`,
    );

    await clients.secretsManager.send(
      new DeleteSecretCommand({
        SecretId: 'logging/secret-broken/loki-s3',
        RecoveryWindowInDays: 7,
      }),
    );
    items = await run(environment);
    expect(items.secret.status).toBe('fail');
    expect(items.secret.message).toMatch(
      /^Secrets Manager secret "logging\/secret-broken\/loki-s3" is scheduled for deletion/,
    );
  });

  it('fails the AWS probes of an environment without a region', async () => {
    const items = await run(
      testEnvironment({ name: 'good', region: undefined }),
    );
    for (const id of ['bucket', 'iam-policy', 'secret']) {
      expect(items[id]).toMatchObject({
        status: 'fail',
        message:
          'The environment names no AWS region (annotation logging-environments.io/region)',
      });
    }
  });

  it('reports unreachable AWS as unknown with the cause', async () => {
    const dead = AwsClientFactory.fromConfig(
      new ConfigReader({
        ...moto.config,
        loggingEnvironments: {
          aws: { endpoint: 'http://127.0.0.1:1', maxAttempts: 1 },
        },
      }),
    );
    const { service } = await checklist(undefined, dead);
    const result = await service.run(
      testEnvironment({ name: 'good', region: REGION }),
      'user:default/alice',
    );
    expect(result.status).toBe('unknown');
    for (const item of result.items) {
      expect(item.status).toBe('unknown');
      expect(item.message).toMatch(
        /^AWS \(us-east-1\) is unreachable: .*ECONNREFUSED/,
      );
    }
  });

  it('runs every probe: AWS ones pass while an unconfigured cluster is unknown', async () => {
    const environment = await bootstrap('no-cluster');
    const { service } = await checklist(DEFAULT_PROBES);
    const result = await service.run(environment, 'user:default/alice');
    const statuses = Object.fromEntries(
      result.items.map(i => [i.id, [i.status, i.message]]),
    );
    expect(statuses).toEqual({
      bucket: ['pass', expect.any(String)],
      'iam-policy': ['pass', expect.any(String)],
      secret: ['pass', expect.any(String)],
      ...Object.fromEntries(
        [
          'cluster-credentials',
          'secret-store',
          'secret-scope',
          'operators',
          'argocd-health-checks',
          'applications',
          'revision',
        ].map(id => [
          id,
          ['unknown', 'Cluster "sandbox" is not configured (configured: none)'],
        ]),
      ),
    });
    expect(result.status).toBe('unknown');
    expect(result.revision).toBeUndefined();
  });
});
