import {
  bucketNameProblem,
  bucketPolicyProblem,
  isPublicBucketPolicy,
  policySize,
  unknownSseAlgorithm,
} from './requestRules';

describe('bucketNameProblem', () => {
  it('accepts valid general purpose bucket names', () => {
    for (const name of [
      'abc',
      'a'.repeat(63),
      'logging-acme-prod-loki',
      'my.bucket.name',
      '1bucket9',
      '192.168.5',
    ]) {
      expect(bucketNameProblem(name)).toBeUndefined();
    }
  });

  it('refuses each broken rule', () => {
    expect(bucketNameProblem('ab')).toMatch(/between 3 and 63/);
    expect(bucketNameProblem('a'.repeat(64))).toMatch(/between 3 and 63/);
    expect(bucketNameProblem('Upper')).toMatch(/lowercase/);
    expect(bucketNameProblem('under_score')).toMatch(/lowercase/);
    expect(bucketNameProblem('-abc')).toMatch(/begin and end/);
    expect(bucketNameProblem('abc-')).toMatch(/begin and end/);
    expect(bucketNameProblem('.abc')).toMatch(/begin and end/);
    expect(bucketNameProblem('a..b')).toMatch(/adjacent periods/);
    expect(bucketNameProblem('192.168.5.4')).toMatch(/IP address/);
    expect(bucketNameProblem('xn--abc')).toMatch(/prefix xn--/);
    expect(bucketNameProblem('sthree-abc')).toMatch(/prefix sthree-/);
    expect(bucketNameProblem('amzn-s3-demo-abc')).toMatch(/amzn-s3-demo-/);
    expect(bucketNameProblem('abc-s3alias')).toMatch(/suffix -s3alias/);
    expect(bucketNameProblem('abc--ol-s3')).toMatch(/suffix --ol-s3/);
    expect(bucketNameProblem('abc.mrap')).toMatch(/suffix .mrap/);
    expect(bucketNameProblem('abc--x-s3')).toMatch(/suffix --x-s3/);
    expect(bucketNameProblem('abc--table-s3')).toMatch(/--table-s3/);
  });
});

describe('bucketPolicyProblem', () => {
  const statement = {
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: 'arn:aws:s3:::b/*',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };

  it('accepts a well-formed policy, with one statement or several', () => {
    expect(
      bucketPolicyProblem(
        JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
      ),
    ).toBeUndefined();
    expect(
      bucketPolicyProblem(JSON.stringify({ Statement: statement })),
    ).toBeUndefined();
    expect(
      bucketPolicyProblem(
        JSON.stringify({
          Statement: [
            { ...statement, Principal: undefined, NotPrincipal: '*' },
          ],
        }),
      ),
    ).toBeUndefined();
  });

  it("answers S3's messages for what it refuses", () => {
    expect(bucketPolicyProblem('policy.json')).toBe(
      "Policies must be valid JSON and the first byte must be '{'",
    );
    expect(bucketPolicyProblem('')).toBe(
      "Policies must be valid JSON and the first byte must be '{'",
    );
    expect(bucketPolicyProblem('{"Statement": [')).toBe(
      'This policy contains invalid Json',
    );
    expect(bucketPolicyProblem('{"Version":"2012-10-17"}')).toBe(
      'Missing required field Statement',
    );
    expect(bucketPolicyProblem('{"Statement":[]}')).toBe(
      'Could not parse the policy: Statement is empty!',
    );
    const { Effect: _e, ...noEffect } = statement;
    expect(bucketPolicyProblem(JSON.stringify({ Statement: [noEffect] }))).toBe(
      'Missing required field Effect',
    );
    expect(
      bucketPolicyProblem(
        JSON.stringify({ Statement: [{ ...statement, Effect: 'Maybe' }] }),
      ),
    ).toBe('Invalid effect: Maybe');
    const { Principal: _p, ...noPrincipal } = statement;
    expect(
      bucketPolicyProblem(JSON.stringify({ Statement: [noPrincipal] })),
    ).toBe('Missing required field Principal');
  });
});

describe('isPublicBucketPolicy', () => {
  const policy = (...statements: object[]) =>
    JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const grant = {
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: 'arn:aws:s3:::b/*',
  };

  it('finds grants to everyone without a restricting condition', () => {
    expect(isPublicBucketPolicy(policy({ ...grant, Principal: '*' }))).toBe(
      true,
    );
    expect(
      isPublicBucketPolicy(policy({ ...grant, Principal: { AWS: ['*'] } })),
    ).toBe(true);
    expect(
      isPublicBucketPolicy(
        policy({ ...grant, Principal: { AWS: 'arn:aws:iam::*:root' } }),
      ),
    ).toBe(true);
    expect(
      isPublicBucketPolicy(
        policy({ ...grant, NotPrincipal: { AWS: 'arn:aws:iam::1:root' } }),
      ),
    ).toBe(true);
    // Conditions that restrict nothing, or not to fixed values.
    for (const Condition of [
      { Bool: { 'aws:SecureTransport': 'true' } },
      { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } },
      { StringLike: { 'aws:SourceVpce': 'vpce-*' } },
      { StringNotEquals: { 'aws:SourceAccount': '111122223333' } },
      { StringEqualsIfExists: { 'aws:SourceAccount': '111122223333' } },
    ]) {
      expect(
        isPublicBucketPolicy(policy({ ...grant, Principal: '*', Condition })),
      ).toBe(true);
    }
  });

  it('does not count denials, fixed principals or restricted grants', () => {
    expect(
      isPublicBucketPolicy(
        policy({
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ),
    ).toBe(false);
    expect(
      isPublicBucketPolicy(
        policy({
          ...grant,
          Principal: { AWS: 'arn:aws:iam::111122223333:user/loki' },
        }),
      ),
    ).toBe(false);
    for (const Condition of [
      { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } },
      { StringEquals: { 'aws:sourceaccount': ['111122223333'] } },
      { ArnEquals: { 'aws:SourceArn': 'arn:aws:cloudtrail:::trail/t' } },
    ]) {
      expect(
        isPublicBucketPolicy(policy({ ...grant, Principal: '*', Condition })),
      ).toBe(false);
    }
    expect(isPublicBucketPolicy('not json')).toBe(false);
  });
});

describe('unknownSseAlgorithm', () => {
  const xml = (algorithm: string) =>
    `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${algorithm}</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`;

  it('accepts the algorithms of general purpose buckets only', () => {
    for (const a of ['AES256', 'aws:kms', 'aws:kms:dsse']) {
      expect(unknownSseAlgorithm(xml(a))).toBeUndefined();
    }
    for (const a of ['SSE-KMS', 'aes256', 'AES-256', 'aws:fsx', '']) {
      expect(unknownSseAlgorithm(xml(a))).toBe(a);
    }
  });
});

describe('policySize', () => {
  it('counts non-whitespace characters, as IAM does', () => {
    expect(policySize('{ "a" :\n\t"b c" }')).toBe(10);
    expect(policySize(JSON.stringify({ a: 1 }, null, 2))).toBe(
      JSON.stringify({ a: 1 }).length,
    );
  });
});
