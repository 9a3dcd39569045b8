import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AwsClients } from './clients';
import { ensureLokiBucket } from './bucket';
import { inspectBucket } from './bucketState';
import { startMoto } from '../testUtils';

describe('ensureLokiBucket', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let clients: AwsClients;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    clients = await moto.factory.clients('us-east-2');
    s3 = clients.s3;
  }, 60_000);
  afterAll(() => moto?.stop());
  beforeEach(() => moto.reset());

  const input = { bucket: 'acme-prod-loki', environment: 'acme-prod' };

  it('creates a hardened, tagged bucket', async () => {
    const result = await ensureLokiBucket(clients, input);
    expect(result.action).toBe('created');

    const Bucket = input.bucket;
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket }));
    expect(pab.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const ownership = await s3.send(
      new GetBucketOwnershipControlsCommand({ Bucket }),
    );
    expect(ownership.OwnershipControls?.Rules?.[0].ObjectOwnership).toBe(
      'BucketOwnerEnforced',
    );
    const encryption = await s3.send(
      new GetBucketEncryptionCommand({ Bucket }),
    );
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]
        .ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');
    const versioning = await s3.send(
      new GetBucketVersioningCommand({ Bucket }),
    );
    expect(versioning.Status).toBe('Enabled');
    const lifecycle = await s3.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket }),
    );
    expect(
      lifecycle.Rules?.map(r => [
        r.ID,
        r.NoncurrentVersionExpiration?.NoncurrentDays ??
          r.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
      ]),
    ).toEqual([
      ['logging-environments-expire-noncurrent-versions', 30],
      ['logging-environments-abort-incomplete-multipart-uploads', 7],
    ]);
    const policy = JSON.parse(
      (await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy!,
    );
    expect(policy.Statement).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [
          'arn:aws:s3:::acme-prod-loki',
          'arn:aws:s3:::acme-prod-loki/*',
        ],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
    const tags = await s3.send(new GetBucketTaggingCommand({ Bucket }));
    expect(
      Object.fromEntries(tags.TagSet!.map(t => [t.Key, t.Value])),
    ).toMatchObject({
      'logging-environments.io/environment': 'acme-prod',
    });
  });

  it('keeps the default hardening for inputs given as undefined, as a template passes empty fields', async () => {
    await ensureLokiBucket(clients, {
      ...input,
      kmsKeyId: undefined,
      noncurrentVersionExpirationDays: undefined,
      abortIncompleteMultipartUploadDays: undefined,
    });
    const lifecycle = await s3.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket: input.bucket }),
    );
    expect(
      lifecycle.Rules?.map(r => [
        r.ID,
        r.NoncurrentVersionExpiration?.NoncurrentDays ??
          r.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
      ]),
    ).toEqual([
      ['logging-environments-expire-noncurrent-versions', 30],
      ['logging-environments-abort-incomplete-multipart-uploads', 7],
    ]);
  });

  it('changes nothing on a second run, and says so', async () => {
    await ensureLokiBucket(clients, input);
    const again = await ensureLokiBucket(clients, input);
    expect(again).toEqual({
      resource: 'S3 bucket "acme-prod-loki"',
      action: 'adopted',
      changes: [],
    });
  });

  it('re-applies drifted hardening and keeps what others added', async () => {
    await ensureLokiBucket(clients, input);
    const Bucket = input.bucket;
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket,
        VersioningConfiguration: { Status: 'Suspended' },
      }),
    );
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AuditRead',
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::123456789012:root' },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::acme-prod-loki/*',
            },
          ],
        }),
      }),
    );
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'team-rule',
              Status: 'Enabled',
              Filter: { Prefix: 'tmp/' },
              Expiration: { Days: 1 },
            },
          ],
        },
      }),
    );

    const result = await ensureLokiBucket(clients, input);
    expect(result.action).toBe('updated');
    expect(result.changes).toEqual([
      'enable versioning',
      'lifecycle rules',
      'TLS-only bucket policy',
    ]);

    const state = await inspectBucket(s3, Bucket);
    expect(state.versioning).toBe('Enabled');
    expect(state.policy?.Statement?.map((s: any) => s.Sid)).toEqual([
      'AuditRead',
      'DenyInsecureTransport',
    ]);
    expect(state.lifecycleRules.map(r => r.ID)).toEqual([
      'team-rule',
      'logging-environments-expire-noncurrent-versions',
      'logging-environments-abort-incomplete-multipart-uploads',
    ]);
  });

  it('refuses to adopt an untagged bucket, before changing anything', async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: input.bucket,
        CreateBucketConfiguration: { LocationConstraint: 'us-east-2' },
      }),
    );
    await expect(ensureLokiBucket(clients, input)).rejects.toThrow(
      'S3 bucket "acme-prod-loki": adopt failed (BucketNotOwned): the bucket exists without the tag logging-environments.io/environment=acme-prod; only buckets created for this environment are adopted. Nothing was changed',
    );
    const state = await inspectBucket(s3, input.bucket);
    expect(state.publicAccessBlock).toBeUndefined();
    expect(state.versioning).toBeUndefined();
  });

  it("refuses another environment's bucket", async () => {
    await ensureLokiBucket(clients, {
      bucket: input.bucket,
      environment: 'other',
    });
    await expect(ensureLokiBucket(clients, input)).rejects.toThrow(
      'the bucket belongs to logging environment "other", not "acme-prod"',
    );
  });

  it('reports in a dry run what it would do, and does nothing', async () => {
    const result = await ensureLokiBucket(clients, input, { dryRun: true });
    expect(result.action).toBe('would-create');
    expect(result.changes[0]).toBe('create the bucket');
    expect((await inspectBucket(s3, input.bucket)).exists).toBe(false);
  });

  it('uses the given KMS key for default encryption', async () => {
    const kmsKeyId =
      'arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    await ensureLokiBucket(clients, { ...input, kmsKeyId });
    const state = await inspectBucket(s3, input.bucket);
    expect(state.encryption).toMatchObject({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: kmsKeyId,
    });
    expect(
      (await ensureLokiBucket(clients, { ...input, kmsKeyId })).changes,
    ).toEqual([]);
  });
});
