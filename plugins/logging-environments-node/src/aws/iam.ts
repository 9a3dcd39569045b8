/**
 * The ensure operation of an environment's Loki IAM user: created or
 * adopted, with exactly the Loki policy and nothing else, and its one
 * access key (see iamAccessKey).
 */
import {
  CreateUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { AwsClients } from './clients';
import { KeyedLock, eventually } from './concurrency';
import { EnsureError, step } from './errors';
import { ensureLokiAccessKey } from './iamAccessKey';
import { inspectLokiUser } from './iamUserState';
import { sameJson } from './json';
import { TAG_ENVIRONMENT, awsNamesFor, ownershipTags } from './names';
import { EnsureOptions, EnsureResult, summarize } from './types';

/**
 * The only permissions Loki gets: list the bucket; get, put and delete its
 * objects.
 *
 * @public
 */
export function lokiPolicyDocument(partition: string, bucket: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ListLokiBucket',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [`arn:${partition}:s3:::${bucket}`],
      },
      {
        Sid: 'ReadWriteLokiObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: [`arn:${partition}:s3:::${bucket}/*`],
      },
    ],
  };
}

const userLocks = new KeyedLock();

/**
 * Ensures the environment's Loki IAM user: created (or adopted when it
 * carries this environment's tag), with exactly the Loki policy and nothing
 * else (other inline policies, attached policies and group memberships are
 * removed), and one access key.
 *
 * The access key is issued at most once over the environment's lifetime: it
 * goes straight into the Secrets Manager secret (never into the result, a
 * log line or an error), and the user is tagged with the key id. A re-run
 * with the key in place changes nothing; a re-run that finds a key it cannot
 * account for, or a key that was issued and since deleted, stops with an
 * error asking for a deliberate rotation (`rotateAccessKey: true`) instead
 * of minting another key.
 *
 * @public
 */
export async function ensureLokiIamUser(
  clients: AwsClients,
  input: LokiIamUserInput,
  options: EnsureOptions = {},
): Promise<EnsureResult> {
  // Runs for one user in this process take turns, so the second sees the
  // key the first stored; runs in other processes are caught after
  // CreateAccessKey (see ensureLokiAccessKey).
  const key = `${clients.partition}:${awsNamesFor(input.environment).iamUser}`;
  return userLocks.run(key, () =>
    ensureLokiIamUserUnlocked(clients, input, options),
  );
}

/** What {@link ensureLokiIamUser} takes. */
export interface LokiIamUserInput {
  environment: string;
  bucket: string;
  /** Secrets Manager secret that receives the key. */
  secretName: string;
  /** S3 endpoint written next to the key (defaults to the region's). */
  endpoint?: string;
  kmsKeyId?: string;
  tags?: Record<string, string>;
  /** Issue a new key, store it, then delete the old ones. */
  rotateAccessKey?: boolean;
}

async function ensureLokiIamUserUnlocked(
  clients: AwsClients,
  input: LokiIamUserInput,
  options: EnsureOptions,
): Promise<EnsureResult> {
  const { iam, partition } = clients;
  const names = awsNamesFor(input.environment);
  const UserName = names.iamUser;
  const resource = `IAM user "${UserName}"`;
  const tags = { ...(input.tags ?? {}), ...ownershipTags(input.environment) };
  const done: string[] = [];
  const changes: string[] = [];
  const act = async (label: string, fn: () => Promise<unknown>) => {
    changes.push(label);
    if (options.dryRun) return;
    await step(resource, label, done, fn);
    done.push(label);
  };

  const state = await step(resource, 'inspect', done, () =>
    inspectLokiUser(iam, UserName),
  );
  if (state.exists && state.tags[TAG_ENVIRONMENT] !== input.environment) {
    throw new EnsureError(
      resource,
      'adopt',
      'UserNotOwned',
      done,
      undefined,
      `the user exists without the tag ${TAG_ENVIRONMENT}=${input.environment}; refusing to change it`,
    );
  }
  if (!state.exists) {
    await act('create the user', () =>
      iam.send(
        new CreateUserCommand({
          UserName,
          Path: names.iamPath,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }

  const policy = lokiPolicyDocument(partition, input.bucket);
  if (!sameJson(state.inlinePolicies[names.inlinePolicy], policy)) {
    await act(`put the inline policy ${names.inlinePolicy}`, () =>
      eventually(() =>
        iam.send(
          new PutUserPolicyCommand({
            UserName,
            PolicyName: names.inlinePolicy,
            PolicyDocument: JSON.stringify(policy),
          }),
        ),
      ),
    );
  }
  for (const name of Object.keys(state.inlinePolicies)) {
    if (name === names.inlinePolicy) continue;
    await act(`delete the extra inline policy ${name}`, () =>
      iam.send(new DeleteUserPolicyCommand({ UserName, PolicyName: name })),
    );
  }
  for (const arn of state.attachedPolicyArns) {
    await act(`detach the managed policy ${arn}`, () =>
      iam.send(new DetachUserPolicyCommand({ UserName, PolicyArn: arn })),
    );
  }
  for (const group of state.groups) {
    await act(`remove the user from group ${group}`, () =>
      iam.send(new RemoveUserFromGroupCommand({ UserName, GroupName: group })),
    );
  }

  await ensureLokiAccessKey(
    clients,
    input,
    { name: UserName, resource, state },
    { done, act },
  );
  return summarize(resource, state.exists, changes, options.dryRun);
}
