import { s3Permissions } from './s3Permissions';

describe('s3Permissions', () => {
  it('names the IAM action and resource of bucket and object calls', () => {
    expect(s3Permissions('ListBuckets', '/', {})).toEqual([
      { action: 's3:ListAllMyBuckets' },
    ]);
    expect(s3Permissions('ListObjectsV2', '/b?list-type=2', {})).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::b', bucket: 'b' },
    ]);
    expect(s3Permissions('HeadBucket', '/b', {})).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::b', bucket: 'b' },
    ]);
    expect(s3Permissions('DeleteBucket', '/b', {})[0].action).toBe(
      's3:DeleteBucket',
    );
    expect(
      s3Permissions('PutBucketEncryption', '/b?encryption', {})[0],
    ).toEqual({
      action: 's3:PutEncryptionConfiguration',
      resource: 'arn:aws:s3:::b',
      bucket: 'b',
    });
    expect(
      s3Permissions('DeletePublicAccessBlock', '/b?publicAccessBlock', {})[0]
        .action,
    ).toBe('s3:PutBucketPublicAccessBlock');
    expect(
      s3Permissions('CreateBucket', '/b', {
        'x-amz-object-ownership': 'BucketOwnerEnforced',
      }).map(p => p.action),
    ).toEqual(['s3:CreateBucket', 's3:PutBucketOwnershipControls']);
    expect(s3Permissions('GetObject', '/b/a%20b/c?versionId=1', {})).toEqual([
      {
        action: 's3:GetObjectVersion',
        resource: 'arn:aws:s3:::b/a b/c',
        bucket: 'b',
      },
    ]);
  });

  it('needs read access to the source of a copy', () => {
    expect(
      s3Permissions('CopyObject', '/dst/k', {
        'x-amz-copy-source': '/src/some%20key?versionId=v1',
      }),
    ).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::dst/k', bucket: 'dst' },
      {
        action: 's3:GetObjectVersion',
        resource: 'arn:aws:s3:::src/some key',
        bucket: 'src',
      },
    ]);
  });
});
