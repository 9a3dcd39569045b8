import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { AwsClients } from './clients';
import { sameJson } from './json';
import { EnsureError, awsErrorCode, step } from './errors';
import {
  TAG_ACCESS_KEY_ID,
  TAG_ACCESS_KEY_ISSUED,
  TAG_ENVIRONMENT,
  awsNamesFor,
  ownershipTags,
} from './names';
import { describeSecret, ensureLokiSecret } from './secret';
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

/**
 * What IAM says about an environment's Loki user. Read-only.
 *
 * @public
 */
export interface LokiUserState {
  exists: boolean;
  tags: Record<string, string>;
  /** Inline policies by name, parsed. */
  inlinePolicies: Record<string, unknown>;
  attachedPolicyArns: string[];
  groups: string[];
  accessKeys: Array<{ id: string; status?: string }>;
}

/**
 * Reads the Loki user of an environment.
 *
 * @public
 */
export async function inspectLokiUser(
  iam: IAMClient,
  userName: string,
): Promise<LokiUserState> {
  const state: LokiUserState = {
    exists: false,
    tags: {},
    inlinePolicies: {},
    attachedPolicyArns: [],
    groups: [],
    accessKeys: [],
  };
  let user;
  try {
    user = await iam.send(new GetUserCommand({ UserName: userName }));
  } catch (e) {
    if (awsErrorCode(e) === 'NoSuchEntity') return state;
    throw e;
  }
  state.exists = true;
  state.tags = Object.fromEntries(
    (user.User?.Tags ?? []).map(t => [t.Key!, t.Value ?? '']),
  );
  const inline = await iam.send(
    new ListUserPoliciesCommand({ UserName: userName }),
  );
  for (const name of inline.PolicyNames ?? []) {
    const p = await iam.send(
      new GetUserPolicyCommand({ UserName: userName, PolicyName: name }),
    );
    // IAM returns policy documents URL-encoded.
    state.inlinePolicies[name] = JSON.parse(
      decodeURIComponent(p.PolicyDocument ?? '{}'),
    );
  }
  const attached = await iam.send(
    new ListAttachedUserPoliciesCommand({ UserName: userName }),
  );
  state.attachedPolicyArns = (attached.AttachedPolicies ?? []).map(
    p => p.PolicyArn!,
  );
  const groups = await iam.send(
    new ListGroupsForUserCommand({ UserName: userName }),
  );
  state.groups = (groups.Groups ?? []).map(g => g.GroupName!);
  const keys = await iam.send(
    new ListAccessKeysCommand({ UserName: userName }),
  );
  state.accessKeys = (keys.AccessKeyMetadata ?? []).map(k => ({
    id: k.AccessKeyId!,
    status: k.Status,
  }));
  return state;
}

/**
 * IAM is eventually consistent: a user created a moment ago may not be
 * visible to the next call yet. Retries NoSuchEntity a bounded number of
 * times with backoff; everything else fails at once (throttling and 5xx are
 * already retried by the SDK).
 */
async function eventually<T>(
  fn: () => Promise<T>,
  attempts = 5,
  firstDelayMs = 250,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (awsErrorCode(e) !== 'NoSuchEntity' || i >= attempts) throw e;
      await new Promise(r => setTimeout(r, firstDelayMs * 2 ** (i - 1)));
    }
  }
}

/** Serializes work per key within this process, in order of arrival. */
class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
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
  // CreateAccessKey (see below).
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

  // The access key.
  const issued = state.tags[TAG_ACCESS_KEY_ISSUED];
  const secret = await step(resource, 'DescribeSecret', done, () =>
    describeSecret(clients, input.secretName),
  );
  const storedKeyId = secret?.Tags?.find(
    t => t.Key === TAG_ACCESS_KEY_ID,
  )?.Value;
  const keyIds = state.accessKeys.map(k => k.id);

  if (!input.rotateAccessKey) {
    if (keyIds.length === 1 && storedKeyId === keyIds[0]) {
      if (issued !== keyIds[0]) {
        // An earlier run stored the key but stopped before recording it.
        await act(`record the issued access key ${keyIds[0]} on the user`, () =>
          iam.send(
            new TagUserCommand({
              UserName,
              Tags: [{ Key: TAG_ACCESS_KEY_ISSUED, Value: keyIds[0] }],
            }),
          ),
        );
      }
      return summarize(resource, state.exists, changes, options.dryRun);
    }
    if (keyIds.length > 0) {
      throw new EnsureError(
        resource,
        'access key',
        'AccessKeyNotStored',
        done,
        undefined,
        `the user has ${keyIds.length} access key(s) but Secrets Manager secret "${input.secretName}" holds none of them (an earlier run was interrupted after issuing a key, or someone added one). No new key is issued automatically: rotate deliberately with rotateAccessKey`,
      );
    }
    if (issued) {
      throw new EnsureError(
        resource,
        'access key',
        'AccessKeyDeleted',
        done,
        undefined,
        'an access key was issued for this environment and has since been deleted. No new key is issued automatically: rotate deliberately with rotateAccessKey',
      );
    }
  }

  await act(
    input.rotateAccessKey
      ? `rotate the access key into secret "${input.secretName}"`
      : `issue the access key into secret "${input.secretName}"`,
    async () => {
      const created = await eventually(() =>
        iam.send(new CreateAccessKeyCommand({ UserName })),
      );
      const credentials = {
        accessKeyId: created.AccessKey!.AccessKeyId!,
        secretAccessKey: created.AccessKey!.SecretAccessKey!,
      };
      // Another process may have issued a key for this user since the
      // inspection (the same environment created twice at once). Then this
      // run backs off: it deletes its own key and stops, so that at most
      // one key survives; a re-run finds the other run's key.
      const listed = await step(resource, 'ListAccessKeys', done, () =>
        iam.send(new ListAccessKeysCommand({ UserName })),
      );
      const others = (listed.AccessKeyMetadata ?? [])
        .map(k => k.AccessKeyId!)
        .filter(id => id !== credentials.accessKeyId && !keyIds.includes(id));
      if (others.length > 0) {
        await step(resource, 'DeleteAccessKey', done, () =>
          iam.send(
            new DeleteAccessKeyCommand({
              UserName,
              AccessKeyId: credentials.accessKeyId,
            }),
          ),
        );
        throw new EnsureError(
          resource,
          'access key',
          'ConcurrentRun',
          done,
          undefined,
          `another run issued access key ${others.join(
            ', ',
          )} for this environment at the same time; this run withdrew its own key. Run again once the other run has finished`,
        );
      }
      try {
        await ensureLokiSecret(clients, {
          name: input.secretName,
          environment: input.environment,
          bucket: input.bucket,
          endpoint: input.endpoint,
          kmsKeyId: input.kmsKeyId,
          tags: input.tags,
          credentials,
        });
      } catch (e) {
        // The key reached no one: delete it rather than leave a key nobody
        // holds. The error names the key id (not secret), never the key.
        const deleteError = await iam
          .send(
            new DeleteAccessKeyCommand({
              UserName,
              AccessKeyId: credentials.accessKeyId,
            }),
          )
          .then(
            () => undefined,
            (d: unknown) => d,
          );
        const cleanup = deleteError
          ? `deleting the new access key ${
              credentials.accessKeyId
            } failed too (${awsErrorCode(
              deleteError,
            )}): nobody holds it; delete it, or rotate deliberately with rotateAccessKey`
          : 'the key was deleted again';
        throw new EnsureError(
          resource,
          'store the access key',
          awsErrorCode(e),
          deleteError
            ? [
                ...done,
                `issued access key ${credentials.accessKeyId} (not stored)`,
              ]
            : done,
          undefined,
          `could not store the new access key in Secrets Manager secret "${
            input.secretName
          }"; ${cleanup} (${e instanceof Error ? e.message : String(e)})`,
        );
      }
      done.push(
        `issued access key ${credentials.accessKeyId} into secret "${input.secretName}"`,
      );
      await step(
        resource,
        'record the issued access key on the user',
        done,
        () =>
          iam.send(
            new TagUserCommand({
              UserName,
              Tags: [
                { Key: TAG_ACCESS_KEY_ISSUED, Value: credentials.accessKeyId },
              ],
            }),
          ),
      );
      for (const old of keyIds) {
        await step(
          resource,
          `delete the previous access key ${old}`,
          done,
          () =>
            iam.send(
              new DeleteAccessKeyCommand({ UserName, AccessKeyId: old }),
            ),
        );
        done.push(`deleted the previous access key ${old}`);
      }
    },
  );
  return summarize(resource, state.exists, changes, options.dryRun);
}
