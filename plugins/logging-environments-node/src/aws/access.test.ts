import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { accessKeyOwner, simulateAccess } from './access';
import { AwsClients } from './clients';
import { startMoto } from '../testUtils';

describe('accessKeyOwner against moto', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let clients: AwsClients;

  beforeAll(async () => {
    moto = await startMoto();
    clients = await moto.factory.clients('us-east-2');
  }, 60_000);
  afterAll(() => moto?.stop());

  it("names an IAM user's key's user, with its ARN, account and partition", async () => {
    await clients.iam.send(
      new CreateUserCommand({ UserName: 'eso-acme-prod', Path: '/platform/' }),
    );
    const key = await clients.iam.send(
      new CreateAccessKeyCommand({ UserName: 'eso-acme-prod' }),
    );
    const owner = await accessKeyOwner(
      clients.iam,
      key.AccessKey!.AccessKeyId!,
    );
    expect(owner).toEqual({
      kind: 'user',
      userName: 'eso-acme-prod',
      arn: expect.stringMatching(
        /^arn:aws:iam::\d{12}:user\/platform\/eso-acme-prod$/,
      ),
      accountId: expect.stringMatching(/^\d{12}$/),
      partition: 'aws',
    });
  });

  it("reports a key that is no IAM user's (the portal's own here) without naming it", async () => {
    const owner = await accessKeyOwner(
      clients.iam,
      moto.config.aws.mainAccount.accessKeyId,
    );
    expect(owner).toEqual({ kind: 'unknown', reason: 'no-such-key' });
  });
});

describe('simulateAccess', () => {
  const stub = (output: unknown) =>
    ({ send: jest.fn(async () => output) } as unknown as IAMClient);
  const resource =
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:logging/a/loki-s3-AbCdEf';

  it("reads the resource's own decision, from either answer shape of the simulator", async () => {
    // One result per resource, no ResourceSpecificResults (older answers).
    expect(
      await simulateAccess(
        stub({
          EvaluationResults: [
            {
              EvalActionName: 'secretsmanager:GetSecretValue',
              EvalResourceName: resource,
              EvalDecision: 'implicitDeny',
            },
          ],
        }),
        'arn:aws:iam::123456789012:user/eso',
        'secretsmanager:GetSecretValue',
        resource,
      ),
    ).toBe('implicitDeny');
    // One result per action, the resource's decision in ResourceSpecificResults.
    expect(
      await simulateAccess(
        stub({
          EvaluationResults: [
            {
              EvalActionName: 'secretsmanager:GetSecretValue',
              EvalDecision: 'explicitDeny',
              ResourceSpecificResults: [
                { EvalResourceName: resource, EvalResourceDecision: 'allowed' },
              ],
            },
          ],
        }),
        'arn:aws:iam::123456789012:user/eso',
        'secretsmanager:GetSecretValue',
        resource,
      ),
    ).toBe('allowed');
  });

  it('throws rather than guess when the simulator gives no decision', async () => {
    await expect(
      simulateAccess(
        stub({ EvaluationResults: [] }),
        'arn:aws:iam::123456789012:user/eso',
        'secretsmanager:GetSecretValue',
        resource,
      ),
    ).rejects.toThrow(
      "IAM's policy simulator gave no decision for secretsmanager:GetSecretValue",
    );
  });
});
