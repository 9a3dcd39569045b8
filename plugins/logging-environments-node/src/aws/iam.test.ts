import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { AwsClients } from './clients';
import { ensureLokiIamUser, lokiPolicyDocument } from './iam';
import { inspectLokiUser } from './iamUserState';
import { startMoto } from '../testUtils';

describe('ensureLokiIamUser', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let clients: AwsClients;

  beforeAll(async () => {
    moto = await startMoto();
    clients = await moto.factory.clients('us-east-2');
  }, 60_000);
  afterAll(() => moto?.stop());
  beforeEach(() => moto.reset());

  const input = {
    environment: 'acme-prod',
    bucket: 'acme-prod-loki',
    secretName: 'logging/acme-prod/loki-s3',
  };
  const UserName = 'loki-acme-prod';
  const keysOf = async () =>
    (await clients.iam.send(new ListAccessKeysCommand({ UserName })))
      .AccessKeyMetadata ?? [];
  const secretValue = async () =>
    JSON.parse(
      (
        await clients.secretsManager.send(
          new GetSecretValueCommand({ SecretId: input.secretName }),
        )
      ).SecretString!,
    );

  it('creates the user with exactly the Loki policy and stores its one key in Secrets Manager', async () => {
    const result = await ensureLokiIamUser(clients, input);
    expect(result.action).toBe('created');

    const state = await inspectLokiUser(clients.iam, UserName);
    expect(state.inlinePolicies).toEqual({
      'loki-object-storage': lokiPolicyDocument('aws', input.bucket),
    });
    expect(state.attachedPolicyArns).toEqual([]);
    const actions = (
      state.inlinePolicies['loki-object-storage'] as any
    ).Statement.flatMap((s: any) => s.Action);
    expect(actions.sort()).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);

    const keys = await keysOf();
    expect(keys).toHaveLength(1);
    const value = await secretValue();
    expect(value).toEqual({
      bucketnames: 'acme-prod-loki',
      endpoint: moto.endpoint,
      region: 'us-east-2',
      access_key_id: keys[0].AccessKeyId,
      access_key_secret: expect.any(String),
    });
    // The key never leaves through the result.
    const text = JSON.stringify(result);
    expect(text).not.toContain(value.access_key_secret);
    expect(text).not.toContain(value.access_key_id);
  });

  it('issues one access key however often it runs', async () => {
    await ensureLokiIamUser(clients, input);
    const second = await ensureLokiIamUser(clients, input);
    const third = await ensureLokiIamUser(clients, input);
    expect(second).toEqual({
      resource: `IAM user "${UserName}"`,
      action: 'unchanged',
      changes: [],
    });
    expect(third.action).toBe('unchanged');
    expect(await keysOf()).toHaveLength(1);
    const versions = await clients.secretsManager.send(
      new ListSecretVersionIdsCommand({ SecretId: input.secretName }),
    );
    expect(versions.Versions).toHaveLength(1);
  });

  it('issues one key when the same environment is ensured twice at once', async () => {
    const results = await Promise.all([
      ensureLokiIamUser(clients, input),
      ensureLokiIamUser(clients, input),
    ]);
    expect(results.map(r => r.action).sort()).toEqual(['created', 'unchanged']);
    const keys = await keysOf();
    expect(keys).toHaveLength(1);
    expect((await secretValue()).access_key_id).toBe(keys[0].AccessKeyId);
  });

  it('backs off, withdrawing its key, when another process issued one meanwhile', async () => {
    // The other process's CreateAccessKey lands between this run's
    // inspection and its own CreateAccessKey.
    let rival: string | undefined;
    const racing: AwsClients = {
      ...clients,
      iam: {
        send: async (command: any) => {
          if (command instanceof CreateAccessKeyCommand && !rival) {
            const created = await clients.iam.send(
              new CreateAccessKeyCommand({ UserName }),
            );
            rival = created.AccessKey!.AccessKeyId!;
          }
          return clients.iam.send(command);
        },
      } as any,
    };
    const error = await ensureLokiIamUser(racing, input).catch(e => e);
    expect(error.message).toContain(
      `another run issued access key ${rival} for this environment at the same time`,
    );
    expect(error.message).not.toMatch(/[A-Za-z0-9/+=]{40}/);
    // Only the rival's key is left; this run stored nothing.
    expect((await keysOf()).map(k => k.AccessKeyId)).toEqual([rival]);
    await expect(secretValue()).rejects.toThrow();
  });

  it('removes permissions beyond the Loki policy', async () => {
    await ensureLokiIamUser(clients, input);
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
    const { Policy } = await clients.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'admin-ish',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
        }),
      }),
    );
    await clients.iam.send(
      new AttachUserPolicyCommand({ UserName, PolicyArn: Policy!.Arn! }),
    );

    const result = await ensureLokiIamUser(clients, input);
    expect(result.changes).toEqual([
      'delete the extra inline policy extra',
      `detach the managed policy ${Policy!.Arn}`,
    ]);
    const state = await inspectLokiUser(clients.iam, UserName);
    expect(Object.keys(state.inlinePolicies)).toEqual(['loki-object-storage']);
    expect(state.attachedPolicyArns).toEqual([]);
  });

  it('never mints a second key for a key it cannot account for', async () => {
    await ensureLokiIamUser(clients, input);
    // Someone (or an interrupted run) added a key that is not in the secret.
    const [original] = await keysOf();
    await clients.iam.send(
      new DeleteAccessKeyCommand({
        UserName,
        AccessKeyId: original.AccessKeyId,
      }),
    );
    await clients.iam.send(new CreateAccessKeyCommand({ UserName }));

    await expect(ensureLokiIamUser(clients, input)).rejects.toThrow(
      /access key failed \(AccessKeyNotStored\): the user has 1 access key\(s\) but Secrets Manager secret "logging\/acme-prod\/loki-s3" holds none of them/,
    );
    expect(await keysOf()).toHaveLength(1);
  });

  it('never mints a new key after the issued one was deleted', async () => {
    await ensureLokiIamUser(clients, input);
    const [key] = await keysOf();
    await clients.iam.send(
      new DeleteAccessKeyCommand({ UserName, AccessKeyId: key.AccessKeyId }),
    );
    await expect(ensureLokiIamUser(clients, input)).rejects.toThrow(
      /AccessKeyDeleted/,
    );
    expect(await keysOf()).toHaveLength(0);
  });

  it('rotates on request: a new key in the secret, the old one deleted', async () => {
    await ensureLokiIamUser(clients, input);
    const [old] = await keysOf();
    const result = await ensureLokiIamUser(clients, {
      ...input,
      rotateAccessKey: true,
    });
    expect(result.changes).toEqual([
      `rotate the access key into secret "${input.secretName}"`,
    ]);
    const keys = await keysOf();
    expect(keys).toHaveLength(1);
    expect(keys[0].AccessKeyId).not.toBe(old.AccessKeyId);
    expect((await secretValue()).access_key_id).toBe(keys[0].AccessKeyId);
    expect((await ensureLokiIamUser(clients, input)).action).toBe('unchanged');
  });

  it("refuses a user that is not this environment's", async () => {
    await clients.iam.send(new CreateUserCommand({ UserName }));
    await expect(ensureLokiIamUser(clients, input)).rejects.toThrow(
      /IAM user "loki-acme-prod": adopt failed \(UserNotOwned\)/,
    );
    expect(await keysOf()).toHaveLength(0);
  });

  it('changes nothing in a dry run', async () => {
    const result = await ensureLokiIamUser(clients, input, { dryRun: true });
    expect(result.action).toBe('would-create');
    expect(result.changes).toContain(
      `issue the access key into secret "${input.secretName}"`,
    );
    expect((await inspectLokiUser(clients.iam, UserName)).exists).toBe(false);
  });
});
