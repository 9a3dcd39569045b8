import type { IncomingHttpHeaders } from 'node:http';
import { objectRequest } from './transportPolicy';

/** One permission an S3 call needs: an IAM action on a resource ARN. */
export interface S3Permission {
  action: string;
  /**
   * The ARN the action applies to; undefined for actions without a resource
   * type (s3:ListAllMyBuckets).
   */
  resource?: string;
  /** The bucket whose policy takes part in the decision. */
  bucket?: string;
}

// Bucket-level operations and the IAM action S3 authorizes each as:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
// Operations not listed here need the action of their own name
// (`s3:<Operation>`), which is S3's rule for most of them.
const BUCKET_ACTIONS: Record<string, string> = {
  HeadBucket: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketEncryption: 's3:PutEncryptionConfiguration',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  DeleteBucketLifecycle: 's3:PutLifecycleConfiguration',
  DeleteBucketTagging: 's3:PutBucketTagging',
  DeleteBucketOwnershipControls: 's3:PutBucketOwnershipControls',
  GetBucketCors: 's3:GetBucketCORS',
  PutBucketCors: 's3:PutBucketCORS',
  DeleteBucketCors: 's3:PutBucketCORS',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
  PutBucketNotificationConfiguration: 's3:PutBucketNotification',
  GetBucketReplication: 's3:GetReplicationConfiguration',
  PutBucketReplication: 's3:PutReplicationConfiguration',
  DeleteBucketReplication: 's3:PutReplicationConfiguration',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 's3:PutBucketObjectLockConfiguration',
  GetBucketAccelerateConfiguration: 's3:GetAccelerateConfiguration',
  PutBucketAccelerateConfiguration: 's3:PutAccelerateConfiguration',
};

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** The bucket of a path-style URL (its first path segment), if any. */
export function bucketOf(rawUrl: string): string | undefined {
  const path = new URL(rawUrl, 'http://proxy').pathname.replace(/^\/+/, '');
  const first = path.split('/')[0];
  return first ? decode(first) : undefined;
}

/**
 * The permissions a path-style S3 call needs (`operation` as
 * `s3Operation` names it). DeleteObjects needs s3:DeleteObject per key,
 * which depends on its body: it is left to the caller (none here).
 */
export function s3Permissions(
  operation: string,
  rawUrl: string,
  headers: IncomingHttpHeaders,
): S3Permission[] {
  if (operation === 'ListBuckets') return [{ action: 's3:ListAllMyBuckets' }];
  if (operation === 'DeleteObjects') return [];
  const object = objectRequest(operation, rawUrl);
  if (object) {
    const needs: S3Permission[] = [object];
    const source = header(headers, 'x-amz-copy-source');
    if (source) {
      // Copies read their source too.
      const [path, query = ''] = source.split('?');
      const sourcePath = decode(path).replace(/^\/+/, '');
      const slash = sourcePath.indexOf('/');
      if (slash > 0) {
        const bucket = sourcePath.slice(0, slash);
        needs.push({
          action: new URLSearchParams(query).has('versionId')
            ? 's3:GetObjectVersion'
            : 's3:GetObject',
          resource: `arn:aws:s3:::${sourcePath}`,
          bucket,
        });
      }
    }
    return needs;
  }
  const bucket = bucketOf(rawUrl);
  if (!bucket) return [];
  const resource = `arn:aws:s3:::${bucket}`;
  const needs: S3Permission[] = [
    {
      action: BUCKET_ACTIONS[operation] ?? `s3:${operation}`,
      resource,
      bucket,
    },
  ];
  if (
    operation === 'CreateBucket' &&
    header(headers, 'x-amz-object-ownership')
  ) {
    // Setting Object Ownership at creation needs its own permission.
    needs.push({ action: 's3:PutBucketOwnershipControls', resource, bucket });
  }
  return needs;
}
