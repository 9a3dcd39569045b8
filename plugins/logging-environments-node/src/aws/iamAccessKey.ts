/**
 * The Loki user's access key: issued at most once over the environment's
 * lifetime, straight into the Secrets Manager secret (never into a result,
 * a log line or an error), recorded on the user by its id, and replaced
 * only by a deliberate rotation.
 */
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  ListAccessKeysCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { AwsClients } from './clients';
import { eventually } from './concurrency';
import { EnsureError, awsErrorCode, step } from './errors';
import type { LokiIamUserInput } from './iam';
import { LokiUserState } from './iamUserState';
import { TAG_ACCESS_KEY_ID, TAG_ACCESS_KEY_ISSUED } from './names';
import { describeSecret, ensureLokiSecret } from './secret';

/**
 * Ensures the user's one access key, as part of an ensure run of the user
 * (`act` records a change, and in a dry run only records it). With the key
 * in place and stored, nothing changes; a key the secret does not hold, or
 * an issued key since deleted, is an EnsureError asking for a rotation
 * (`rotateAccessKey`); otherwise a key is issued (or rotated) into the
 * secret. A key that reaches no one is deleted again.
 */
export async function ensureLokiAccessKey(
  clients: AwsClients,
  input: LokiIamUserInput,
  user: { name: string; resource: string; state: LokiUserState },
  run: {
    done: string[];
    act: (label: string, fn: () => Promise<unknown>) => Promise<void>;
  },
): Promise<void> {
  const { iam } = clients;
  const { name: UserName, resource, state } = user;
  const { done, act } = run;
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
      return;
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
}
