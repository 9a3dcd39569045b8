import {
  CreateSecretCommand,
  DescribeSecretCommand,
  DescribeSecretCommandOutput,
  GetSecretValueCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';
import { AwsClients } from './clients';
import { EnsureError, awsErrorCode, step } from './errors';
import { TAG_ACCESS_KEY_ID, TAG_ENVIRONMENT, ownershipTags } from './names';
import { EnsureOptions, EnsureResult, summarize } from './types';

/**
 * The JSON stored in the Loki S3 secret: exactly the keys the Loki Operator
 * requires in its object-storage Secret for `type: s3`, so the
 * ExternalSecret can extract it one to one.
 *
 * @public
 */
export interface LokiS3SecretValue {
  bucketnames: string;
  endpoint: string;
  region: string;
  access_key_id?: string;
  access_key_secret?: string;
}

/** Static credentials to store; never logged or returned. */
export interface AccessKeyCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The S3 endpoint of a region on AWS. */
export function defaultS3Endpoint(region: string): string {
  const suffix = region.startsWith('cn-')
    ? 'amazonaws.com.cn'
    : 'amazonaws.com';
  return `https://s3.${region}.${suffix}`;
}

/**
 * A deterministic client request token (a UUID derived from the content):
 * a retried call with the same content creates no second version, and a
 * different content never reuses a token.
 */
export function clientRequestToken(name: string, value: string): string {
  const h = createHash('sha256')
    .update(name)
    .update('\0')
    .update(value)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(
    17,
    20,
  )}-${h.slice(20, 32)}`;
}

/**
 * Reads the secret's metadata (never its value), or undefined when absent.
 *
 * @public
 */
export async function describeSecret(
  clients: AwsClients,
  name: string,
): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await clients.secretsManager.send(
      new DescribeSecretCommand({ SecretId: name }),
    );
  } catch (e) {
    if (awsErrorCode(e) === 'ResourceNotFoundException') return undefined;
    throw e;
  }
}

/**
 * Creates or updates the environment's Loki S3 secret in AWS Secrets
 * Manager: bucket, region and endpoint always; the access key only when
 * given (the IAM step passes the key it just issued); existing credentials
 * are kept otherwise. Writes use a deterministic client request token, so a
 * retried call creates one version. A secret of another environment is
 * refused. Nothing secret appears in the result or in errors.
 *
 * @public
 */
export async function ensureLokiSecret(
  clients: AwsClients,
  input: {
    name: string;
    environment: string;
    bucket: string;
    endpoint?: string;
    kmsKeyId?: string;
    tags?: Record<string, string>;
    credentials?: AccessKeyCredentials;
  },
  options: EnsureOptions = {},
): Promise<EnsureResult> {
  const sm = clients.secretsManager;
  const resource = `Secrets Manager secret "${input.name}"`;
  const done: string[] = [];
  const tags: Record<string, string> = {
    ...(input.tags ?? {}),
    ...ownershipTags(input.environment),
    ...(input.credentials
      ? { [TAG_ACCESS_KEY_ID]: input.credentials.accessKeyId }
      : {}),
  };
  const fields: LokiS3SecretValue = {
    bucketnames: input.bucket,
    endpoint:
      input.endpoint ??
      clients.storageEndpoint ??
      clients.endpoint ??
      defaultS3Endpoint(clients.region),
    region: clients.region,
  };

  const described = await step(resource, 'DescribeSecret', done, () =>
    describeSecret(clients, input.name),
  );
  if (!described) {
    const value: LokiS3SecretValue = {
      ...fields,
      ...(input.credentials
        ? {
            access_key_id: input.credentials.accessKeyId,
            access_key_secret: input.credentials.secretAccessKey,
          }
        : {}),
    };
    if (options.dryRun) {
      return summarize(resource, false, ['create the secret'], true);
    }
    const secretString = JSON.stringify(value);
    await step(resource, 'CreateSecret', done, () =>
      sm.send(
        new CreateSecretCommand({
          Name: input.name,
          Description: `Loki object storage credentials of logging environment ${input.environment}`,
          SecretString: secretString,
          ClientRequestToken: clientRequestToken(input.name, secretString),
          KmsKeyId: input.kmsKeyId,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
    return summarize(
      resource,
      false,
      [
        input.credentials
          ? 'created the secret with the access key'
          : 'created the secret',
      ],
      false,
    );
  }

  const currentTags = Object.fromEntries(
    (described.Tags ?? []).map(t => [t.Key!, t.Value ?? '']),
  );
  if (currentTags[TAG_ENVIRONMENT] !== input.environment) {
    throw new EnsureError(
      resource,
      'adopt',
      'SecretNotOwned',
      done,
      undefined,
      `the secret exists without the tag ${TAG_ENVIRONMENT}=${input.environment}; refusing to overwrite it`,
    );
  }

  const changes: string[] = [];
  const current = await step(resource, 'GetSecretValue', done, () =>
    sm.send(new GetSecretValueCommand({ SecretId: input.name })),
  );
  let parsed: Partial<LokiS3SecretValue> = {};
  try {
    parsed = JSON.parse(current.SecretString ?? '{}');
  } catch {
    // Not JSON: rewrite it with the fields (and any given credentials).
  }
  const next: LokiS3SecretValue = {
    ...fields,
    ...(parsed.access_key_id ? { access_key_id: parsed.access_key_id } : {}),
    ...(parsed.access_key_secret
      ? { access_key_secret: parsed.access_key_secret }
      : {}),
    ...(input.credentials
      ? {
          access_key_id: input.credentials.accessKeyId,
          access_key_secret: input.credentials.secretAccessKey,
        }
      : {}),
  };
  const nextString = JSON.stringify(next);
  const currentString = JSON.stringify({
    bucketnames: parsed.bucketnames,
    endpoint: parsed.endpoint,
    region: parsed.region,
    ...pick(parsed),
  });
  if (nextString !== currentString) {
    const what =
      input.credentials &&
      input.credentials.accessKeyId !== parsed.access_key_id
        ? 'store the access key'
        : 'update bucket, region and endpoint';
    changes.push(what);
    if (!options.dryRun) {
      await step(resource, 'PutSecretValue', done, () =>
        sm.send(
          new PutSecretValueCommand({
            SecretId: input.name,
            SecretString: nextString,
            ClientRequestToken: clientRequestToken(input.name, nextString),
          }),
        ),
      );
      done.push(what);
    }
  }

  const missingTags = Object.entries(tags).filter(
    ([k, v]) => currentTags[k] !== v,
  );
  if (missingTags.length > 0) {
    changes.push(`tags ${missingTags.map(([k]) => k).join(', ')}`);
    if (!options.dryRun) {
      await step(resource, 'TagResource', done, () =>
        sm.send(
          new TagResourceCommand({
            SecretId: input.name,
            Tags: missingTags.map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
      done.push('tagged');
    }
  }

  if (input.kmsKeyId && described.KmsKeyId !== input.kmsKeyId) {
    changes.push(`encrypt with KMS key ${input.kmsKeyId}`);
    if (!options.dryRun) {
      await step(resource, 'UpdateSecret', done, () =>
        sm.send(
          new UpdateSecretCommand({
            SecretId: input.name,
            KmsKeyId: input.kmsKeyId,
          }),
        ),
      );
    }
  }
  return summarize(resource, true, changes, options.dryRun);
}

// The stored value in the canonical key order, for comparison.
function pick(v: Partial<LokiS3SecretValue>) {
  return {
    ...(v.access_key_id ? { access_key_id: v.access_key_id } : {}),
    ...(v.access_key_secret ? { access_key_secret: v.access_key_secret } : {}),
  };
}
