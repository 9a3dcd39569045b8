/**
 * `iam:SimulatePrincipalPolicy` and `iam:GetAccessKeyLastUsed` through the
 * sandbox's AWS proxy, driven by the real AWS SDK v3 IAM client: what a
 * probe asking "what can the key in this Secret read?" relies on.
 */
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  SimulatePrincipalPolicyCommand,
  paginateSimulatePrincipalPolicy,
} from '@aws-sdk/client-iam';
import { FaultInjector } from '../faults';
import { MotoServer, startMoto } from './moto';
import { AwsProxy, startAwsProxy } from './proxy';

const ACCOUNT = '123456789012';
const SECRETS = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret`;
const OWN = `${SECRETS}:logging/acme-prod/loki-s3-AbCdEf`;
const OTHER = `${SECRETS}:logging/acme-dev/loki-s3-AbCdEf`;
const GET = 'secretsmanager:GetSecretValue';

let moto: MotoServer;
let proxy: AwsProxy;
let iam: IAMClient;
const faults = new FaultInjector();

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startAwsProxy({ target: moto.url, faults });
  iam = new IAMClient({
    endpoint: proxy.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'SANDBOXTEST', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  iam?.destroy();
  await proxy?.close();
  await moto?.stop();
});

beforeEach(async () => {
  faults.clear();
  await moto.reset();
});

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

const allow = (Action: string | string[], Resource: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action, Resource }],
  });

async function user(name: string, inline?: string, path?: string) {
  const created = await iam.send(
    new CreateUserCommand({ UserName: name, Path: path }),
  );
  if (inline) {
    await iam.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: 'inline',
        PolicyDocument: inline,
      }),
    );
  }
  return created.User!.Arn!;
}

/** The decision for one action on one resource, as a probe reads it. */
async function decision(arn: string, resource: string, action = GET) {
  const out = await iam.send(
    new SimulatePrincipalPolicyCommand({
      PolicySourceArn: arn,
      ActionNames: [action],
      ResourceArns: [resource],
    }),
  );
  expect(out.EvaluationResults).toHaveLength(1);
  return out.EvaluationResults![0].EvalDecision;
}

describe('SimulatePrincipalPolicy through the proxy', () => {
  it("evaluates a user's inline policy per resource, with AWS's answer shape", async () => {
    const arn = await user(
      'eso-acme-prod',
      allow(
        [GET, 'secretsmanager:DescribeSecret'],
        `${SECRETS}:logging/acme-prod/*`,
      ),
    );
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: arn,
        ActionNames: [GET],
        ResourceArns: [OWN],
      }),
    );
    expect(out.IsTruncated).toBe(false);
    expect(out.EvaluationResults).toEqual([
      expect.objectContaining({
        EvalActionName: GET,
        EvalResourceName: OWN,
        EvalDecision: 'allowed',
        ResourceSpecificResults: [
          expect.objectContaining({
            EvalResourceName: OWN,
            EvalResourceDecision: 'allowed',
          }),
        ],
      }),
    ]);
    expect(await decision(arn, OTHER)).toBe('implicitDeny');
    // `logging/acme-prod/*` does not reach `logging/acme-prod-eu/...`.
    expect(
      await decision(arn, `${SECRETS}:logging/acme-prod-eu/loki-s3-AbCdEf`),
    ).toBe('implicitDeny');
    expect(await decision(arn, `${SECRETS}:logging/*`)).toBe('implicitDeny');
    expect(await decision(arn, OWN, 'secretsmanager:PutSecretValue')).toBe(
      'implicitDeny',
    );
    // The call went through the fault injector like any other.
    expect(faults.calls.aws).toContain('iam:SimulatePrincipalPolicy');
  });

  it('aggregates several resources per action, most restrictive first, and keeps each decision', async () => {
    const arn = await user('eso-wide', allow(GET, `${SECRETS}:logging/*`));
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: arn,
        ActionNames: [GET, 'secretsmanager:DeleteSecret'],
        ResourceArns: [OWN, `${SECRETS}:other/thing-AbCdEf`],
      }),
    );
    expect(
      out.EvaluationResults!.map(r => [
        r.EvalActionName,
        r.EvalDecision,
        r.ResourceSpecificResults!.map(s => [
          s.EvalResourceName,
          s.EvalResourceDecision,
        ]),
      ]),
    ).toEqual([
      [
        GET,
        'implicitDeny',
        [
          [OWN, 'allowed'],
          [`${SECRETS}:other/thing-AbCdEf`, 'implicitDeny'],
        ],
      ],
      [
        'secretsmanager:DeleteSecret',
        'implicitDeny',
        [
          [OWN, 'implicitDeny'],
          [`${SECRETS}:other/thing-AbCdEf`, 'implicitDeny'],
        ],
      ],
    ]);
  });

  it("includes attached managed policies and the user's groups', and an explicit Deny wins", async () => {
    const arn = await user('eso-grouped', undefined, '/platform/');
    expect(arn).toBe(`arn:aws:iam::${ACCOUNT}:user/platform/eso-grouped`);
    expect(await decision(arn, OTHER)).toBe('implicitDeny');

    const managed = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'read-all-logging',
        PolicyDocument: allow(GET, `${SECRETS}:logging/*`),
      }),
    );
    await iam.send(
      new AttachUserPolicyCommand({
        UserName: 'eso-grouped',
        PolicyArn: managed.Policy!.Arn,
      }),
    );
    expect(await decision(arn, OTHER)).toBe('allowed');

    await iam.send(new CreateGroupCommand({ GroupName: 'no-dev-secrets' }));
    await iam.send(
      new PutGroupPolicyCommand({
        GroupName: 'no-dev-secrets',
        PolicyName: 'deny',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Action: 'secretsmanager:*',
              Resource: `${SECRETS}:logging/acme-dev/*`,
            },
          ],
        }),
      }),
    );
    await iam.send(
      new AddUserToGroupCommand({
        GroupName: 'no-dev-secrets',
        UserName: 'eso-grouped',
      }),
    );
    expect(await decision(arn, OTHER)).toBe('explicitDeny');
    expect(await decision(arn, OWN)).toBe('allowed');
  });

  it('evaluates every resource when none is given, and pages with MaxItems', async () => {
    const arn = await user('eso-star', allow('secretsmanager:*', '*'));
    const pages = [];
    for await (const page of paginateSimulatePrincipalPolicy(
      { client: iam, pageSize: 1 },
      {
        PolicySourceArn: arn,
        ActionNames: [GET, 'iam:CreateUser', 'secretsmanager:ListSecrets'],
      },
    )) {
      pages.push(page);
    }
    expect(pages.map(p => p.EvaluationResults!.length)).toEqual([1, 1, 1]);
    expect(
      pages.flatMap(p =>
        p.EvaluationResults!.map(r => [
          r.EvalActionName,
          r.EvalResourceName,
          r.EvalDecision,
          r.ResourceSpecificResults,
        ]),
      ),
    ).toEqual([
      [GET, '*', 'allowed', undefined],
      ['iam:CreateUser', '*', 'implicitDeny', undefined],
      ['secretsmanager:ListSecrets', '*', 'allowed', undefined],
    ]);
  });

  it('answers NoSuchEntity for an unknown user or another account, and refuses what it does not simulate', async () => {
    const arn = await user('eso', allow(GET, '*'));
    const missing = await failure(
      decision(`arn:aws:iam::${ACCOUNT}:user/nobody`, OWN),
    );
    expect(missing.name).toBe('NoSuchEntityException');
    expect(missing.message).toBe('The user with name nobody cannot be found.');
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const elsewhere = await failure(
      decision('arn:aws:iam::210987654321:user/eso', OWN),
    );
    expect(elsewhere.name).toBe('NoSuchEntityException');

    const role = await failure(
      decision(`arn:aws:iam::${ACCOUNT}:role/eso`, OWN),
    );
    expect(role.name).toBe('InvalidInputException');
    const withResourcePolicy = await failure(
      iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: arn,
          ActionNames: [GET],
          ResourcePolicy: allow(GET, '*'),
        }),
      ),
    );
    expect(withResourcePolicy.name).toBe('InvalidInputException');
    expect(withResourcePolicy.message).toContain('ResourcePolicy');
  });

  it('is subject to injected faults like any call', async () => {
    const arn = await user('eso', allow(GET, '*'));
    faults.add({
      target: 'aws',
      match: 'iam:SimulatePrincipalPolicy',
      action: { type: 'throttle' },
    });
    const err = await failure(decision(arn, OWN));
    expect(err.name).toBe('Throttling');
  });

  it('answers the raw query-protocol XML AWS documents', async () => {
    const arn = await user('eso', allow(GET, `${SECRETS}:logging/acme-prod/*`));
    const res = await fetch(proxy.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization: `AWS4-HMAC-SHA256 Credential=SANDBOXTEST/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: new URLSearchParams({
        Action: 'SimulatePrincipalPolicy',
        Version: '2010-05-08',
        PolicySourceArn: arn,
        'ActionNames.member.1': GET,
        'ResourceArns.member.1': OTHER,
      }).toString(),
    });
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toMatch(
      new RegExp(
        `^<SimulatePrincipalPolicyResponse xmlns="https://iam\\.amazonaws\\.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><EvaluationResults><member><EvalActionName>${GET}</EvalActionName><EvalResourceName>${OTHER}</EvalResourceName><EvalDecision>implicitDeny</EvalDecision>.*</member></EvaluationResults><IsTruncated>false</IsTruncated></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>[0-9a-f-]+</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>$`,
      ),
    );
  });
});

describe('GetAccessKeyLastUsed through the proxy', () => {
  it('names the user an access key belongs to', async () => {
    await user('eso-acme-prod');
    const key = await iam.send(
      new CreateAccessKeyCommand({ UserName: 'eso-acme-prod' }),
    );
    const out = await iam.send(
      new GetAccessKeyLastUsedCommand({
        AccessKeyId: key.AccessKey!.AccessKeyId,
      }),
    );
    expect(out.UserName).toBe('eso-acme-prod');
    const unknown = await failure(
      iam.send(
        new GetAccessKeyLastUsedCommand({
          AccessKeyId: 'FAKEUNKNOWNKEY000000',
        }),
      ),
    );
    expect(unknown.name).toBe('NoSuchEntityException');
  });
});
