/**
 * The rules of the `secret-scope` probe on a stand-in cluster and IAM (the
 * probe against the sandbox's External Secrets and IAM policy simulator is
 * tested in packages/backend/src/environments/checklist.test.ts and
 * packages/backend/src/reliability/secretScope.test.ts).
 */
import { NotFoundError } from '@backstage/errors';
import {
  AwsClients,
  ClusterClient,
} from '@internal/plugin-logging-environments-node';
import { testEnvironment } from '../__testUtils__/environment';
import { ArgoRevisionSource } from '../revision';
import { Environment } from '../types';
import { secretScopeProbe } from './secretScopeProbe';
import { ProbeContext } from './types';

const KEY_ID = 'EXAMPLEKEYID0000ESO1';
const SECRET_KEY = 'example/secret/access/key/of/eso/0001';
const ACCOUNT = '123456789012';
const SECRETS = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret`;
const OWN_ARN = `${SECRETS}:logging/acme-prod/loki-s3-Zx81Qa`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const credentialsSecret = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'aws-credentials', namespace: 'external-secrets-system' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

function fakeCluster(objects: any[], error?: Error): ClusterClient {
  return {
    server: 'https://k8s.example.com',
    async get(ref: any) {
      if (error) throw error;
      return objects.find(
        o =>
          o.kind === ref.kind &&
          o.metadata.name === ref.name &&
          o.metadata.namespace === ref.namespace,
      );
    },
  } as unknown as ClusterClient;
}

type Decisions = Record<string, string>;

/** IAM and Secrets Manager as the probe calls them; every call recorded. */
function fakeAws(options: {
  owner?: string | 'no-such-key';
  decisions?: Decisions;
}) {
  const calls: Array<[string, any]> = [];
  const iam = {
    async send(command: any) {
      const name = command.constructor.name as string;
      calls.push([name, command.input]);
      if (name === 'GetAccessKeyLastUsedCommand') {
        if (options.owner === 'no-such-key') {
          throw Object.assign(
            new Error(
              `The Access Key with id ${command.input.AccessKeyId} cannot be found`,
            ),
            { name: 'NoSuchEntityException', Code: 'NoSuchEntity' },
          );
        }
        return { UserName: options.owner };
      }
      if (name === 'GetUserCommand') {
        return {
          User: {
            Arn: `arn:aws:iam::${ACCOUNT}:user/platform/${command.input.UserName}`,
          },
        };
      }
      if (name === 'SimulatePrincipalPolicyCommand') {
        const [resource] = command.input.ResourceArns;
        const decision = options.decisions?.[resource];
        if (!decision) throw new Error(`unexpected resource ${resource}`);
        return {
          EvaluationResults: [
            {
              EvalActionName: command.input.ActionNames[0],
              EvalResourceName: resource,
              EvalDecision: decision,
            },
          ],
        };
      }
      throw new Error(`unexpected ${name}`);
    },
  };
  const secretsManager = {
    async send(command: any) {
      calls.push([command.constructor.name, command.input]);
      return { ARN: OWN_ARN, Name: command.input.SecretId };
    },
  };
  const clients = {
    region: 'us-east-1',
    partition: 'aws',
    iam,
    secretsManager,
  } as unknown as AwsClients;
  return { clients, calls };
}

async function probeRun(options: {
  environment?: Environment;
  objects?: any[];
  clusterError?: Error;
  owner?: string | 'no-such-key';
  decisions?: Decisions;
}) {
  const aws = fakeAws(options);
  const cluster = fakeCluster(options.objects ?? [], options.clusterError);
  const secrets: string[] = [];
  const context: ProbeContext = {
    environment: options.environment ?? testEnvironment(),
    aws: async () => aws.clients,
    cluster: () => cluster,
    lokiUser: () => Promise.reject(new Error('not used')),
    secret: v => {
      if (v) secrets.push(v);
    },
    gitops: {},
    revisions: new ArgoRevisionSource({ clusters: () => cluster }),
    argoCd: {
      healthChecks: () => Promise.reject(new Error('not used')),
      flavour: () => 'auto',
    },
    timeoutMs: 10_000,
  };
  const result = await secretScopeProbe.run(context);
  return { result, calls: aws.calls, secrets };
}

const scoped: Decisions = {
  [OWN_ARN]: 'allowed',
  [`${SECRETS}:logging/acme-prod-other/loki-s3-AbCdEf`]: 'implicitDeny',
  [`${SECRETS}:logging/*`]: 'implicitDeny',
};
const credentials = credentialsSecret({
  'access-key-id': KEY_ID,
  'secret-access-key': SECRET_KEY,
});

describe('secret-scope', () => {
  it("passes for a user allowed this environment's secret only, naming the user and never the key", async () => {
    const { result, calls, secrets } = await probeRun({
      objects: [credentials],
      owner: 'eso-acme-prod',
      decisions: scoped,
    });
    expect(result).toEqual({
      status: 'pass',
      message:
        'IAM user "eso-acme-prod" (the key in Secret external-secrets-system/aws-credentials) may read logging/acme-prod/loki-s3 and nothing of another environment (secretsmanager:GetSecretValue denied on logging/acme-prod-other/loki-s3 and on logging/*)',
      evidence: {
        credentials: 'Secret external-secrets-system/aws-credentials',
        user: 'eso-acme-prod',
        allowedPattern: `${SECRETS}:logging/acme-prod/*`,
        ownSecret: 'logging/acme-prod/loki-s3: allowed',
        otherEnvironmentSecret: 'logging/acme-prod-other/loki-s3: implicitDeny',
        allLoggingSecrets: 'logging/*: implicitDeny',
      },
    });
    // The key went to IAM and to the run's scrubber, nowhere else.
    expect(calls[0]).toEqual([
      'GetAccessKeyLastUsedCommand',
      { AccessKeyId: KEY_ID },
    ]);
    expect(secrets).toEqual(expect.arrayContaining([KEY_ID, SECRET_KEY]));
    expect(JSON.stringify(result)).not.toContain(KEY_ID);
    // The simulation is of the user's ARN (with its path) and the real ARN
    // of the environment's secret.
    expect(
      calls
        .filter(([n]) => n === 'SimulatePrincipalPolicyCommand')
        .map(([, input]) => [input.PolicySourceArn, input.ResourceArns]),
    ).toEqual(
      Object.keys(scoped).map(r => [
        `arn:aws:iam::${ACCOUNT}:user/platform/eso-acme-prod`,
        [r],
      ]),
    );
  });

  it('fails an identity that can read other environments, saying what it reads too much of', async () => {
    const { result } = await probeRun({
      objects: [credentials],
      owner: 'external-secrets',
      decisions: {
        [OWN_ARN]: 'allowed',
        [`${SECRETS}:logging/acme-prod-other/loki-s3-AbCdEf`]: 'allowed',
        [`${SECRETS}:logging/*`]: 'allowed',
      },
    });
    expect(result).toMatchObject({
      status: 'fail',
      message:
        'IAM user "external-secrets" (the key in Secret external-secrets-system/aws-credentials) can read too much: secretsmanager:GetSecretValue is allowed on another environment\'s secret (logging/acme-prod-other/loki-s3) and on every secret under logging/*; its policy must allow only arn:aws:secretsmanager:us-east-1:123456789012:secret:logging/acme-prod/*',
      evidence: { user: 'external-secrets' },
    });
  });

  it("fails an identity that cannot read the environment's own secret", async () => {
    const { result } = await probeRun({
      objects: [credentials],
      owner: 'eso-acme-dev',
      decisions: { ...scoped, [OWN_ARN]: 'implicitDeny' },
    });
    expect(result).toMatchObject({
      status: 'fail',
      message:
        'IAM user "eso-acme-dev" (the key in Secret external-secrets-system/aws-credentials) cannot read this environment\'s secret logging/acme-prod/loki-s3 (implicitDeny): External Secrets cannot give Loki its storage key',
    });
  });

  it("fails a key that is no IAM user's of the account, without repeating AWS's message (it names the key)", async () => {
    const { result, calls } = await probeRun({
      objects: [credentials],
      owner: 'no-such-key',
    });
    expect(result).toEqual({
      status: 'fail',
      message:
        "The access key in Secret external-secrets-system/aws-credentials is not an IAM user's key in the portal's AWS account (a root user's key, another account's, or a deleted one), so what External Secrets can read cannot be limited or checked: give it an IAM user whose policy allows secretsmanager:GetSecretValue only on logging/acme-prod/*",
      evidence: {
        credentials: 'Secret external-secrets-system/aws-credentials',
        owner: 'not an IAM user of this account',
      },
    });
    expect(calls.map(([n]) => n)).toEqual(['GetAccessKeyLastUsedCommand']);
  });

  it('is unknown when the credentials Secret or its key id is missing (the cluster-credentials item fails)', async () => {
    const missing = await probeRun({ owner: 'x', decisions: scoped });
    expect(missing.result).toMatchObject({
      status: 'unknown',
      message:
        'Secret external-secrets-system/aws-credentials does not exist: the AWS identity External Secrets uses is not known (see the cluster-credentials item)',
    });
    const noKey = await probeRun({
      objects: [credentialsSecret({ 'secret-access-key': SECRET_KEY })],
    });
    expect(noKey.result.message).toBe(
      'Secret external-secrets-system/aws-credentials has no access-key-id: the AWS identity External Secrets uses is not known (see the cluster-credentials item)',
    );
    expect(noKey.secrets).toContain(SECRET_KEY);
    expect(noKey.calls).toEqual([]);
  });

  it('describes an unreachable cluster as the cluster probes do, and leaves an unknown cluster to the service', async () => {
    const unreachable = await probeRun({
      clusterError: Object.assign(new Error('connect ECONNREFUSED'), {
        cause: { code: 'ECONNREFUSED' },
      }),
    });
    expect(unreachable.result).toMatchObject({
      status: 'unknown',
      message: expect.stringMatching(
        /^cluster "sandbox" \(https:\/\/k8s\.example\.com\) is unreachable: /,
      ),
    });
    await expect(
      probeRun({ clusterError: new NotFoundError('Cluster "x" is unknown') }),
    ).rejects.toThrow(NotFoundError);
  });

  it('fails an environment without a region, before reading anything', async () => {
    const { result, calls } = await probeRun({
      environment: testEnvironment({ region: undefined }),
      objects: [credentials],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toMatch(/^The environment names no AWS region/);
    expect(calls).toEqual([]);
  });
});
