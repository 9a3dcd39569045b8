import {
  formatProblems,
  validateBucketName,
  validateEnvironmentName,
  validateKmsKeyId,
  validateRegion,
} from './validation';

describe('validateEnvironmentName', () => {
  it.each(['dev', 'acme-prod', 'a1', '0'])('accepts %p', name => {
    expect(validateEnvironmentName(name)).toEqual([]);
  });

  it.each([
    ['', 'is required'],
    ['Acme', 'DNS-1123'],
    ['acme.prod', 'DNS-1123'],
    ['-acme', 'DNS-1123'],
    ['acme-', 'DNS-1123'],
    ['../etc', 'DNS-1123'],
    ['acme\nprod', 'DNS-1123'],
    ['аcme', 'DNS-1123'], // Cyrillic "а"
    ['${{ parameters.x }}', 'DNS-1123'],
    ['a'.repeat(41), 'at most 40 characters'],
  ])('rejects %p, naming the field and the rule', (name, rule) => {
    const problems = validateEnvironmentName(name, 'environmentName');
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe('environmentName');
    expect(problems[0].message).toContain(rule);
  });

  it('rejects non-strings', () => {
    expect(validateEnvironmentName(42)[0].message).toContain(
      'must be a string',
    );
  });
});

describe('validateBucketName', () => {
  it.each(['acme-prod-loki', 'abc', 'a'.repeat(63)])('accepts %p', name => {
    expect(validateBucketName(name)).toEqual([]);
  });

  it.each([
    ['ab', '3 to 63'],
    ['a'.repeat(64), '3 to 63'],
    ['Acme-loki', 'lowercase'],
    ['acme.loki', 'must not contain "."'],
    ['-acme', 'start and end'],
    ['192.168.1.1', 'IP address'],
    ['xn--acme', 'reserved prefix'],
    ['acme-s3alias', 'reserved suffix'],
    ['acme_loki', 'lowercase letters, digits and "-"'],
  ])('rejects %p', (name, rule) => {
    const problems = validateBucketName(name);
    expect(problems.length).toBeGreaterThan(0);
    expect(formatProblems(problems)).toContain(rule);
    expect(problems.every(p => p.field === 'bucketName')).toBe(true);
  });
});

describe('validateRegion', () => {
  it('accepts region names', () => {
    expect(validateRegion('us-east-2')).toEqual([]);
    expect(validateRegion('us-gov-west-1')).toEqual([]);
  });
  it('rejects anything else', () => {
    expect(validateRegion('US-EAST-2')).toHaveLength(1);
    expect(validateRegion('us-east-2; rm -rf')).toHaveLength(1);
  });
});

describe('validateKmsKeyId', () => {
  it.each([
    '',
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'mrk-1234abcd12ab34cd56ef1234567890ab',
    'alias/logging/loki',
    'arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/loki',
  ])('accepts %p', key => {
    expect(validateKmsKeyId(key)).toEqual([]);
  });

  it.each([
    'loki',
    'alias/loki\nkind: Secret',
    'arn:aws:kms:us-east-2:1111:key/abc',
    'arn:aws:s3:::acme-prod-loki',
    '${{ secrets.awsSecretAccessKey }}',
    'alias/../../etc',
  ])('rejects %p naming the field', key => {
    expect(formatProblems(validateKmsKeyId(key))).toMatch(
      /^kmsKeyId: must be a KMS key id/,
    );
  });
});
