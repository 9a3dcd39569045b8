import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { Sandbox } from '@internal/sandbox';

/** An IAM user for External Secrets and its access key. */
export interface ExternalSecretsIdentity {
  userName: string;
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * What a platform team does before an environment's first bootstrap,
 * following the scaffolder module's README: an IAM user for External
 * Secrets whose one policy allows `secretsmanager:GetSecretValue` and
 * `DescribeSecret` on `logging/<environment>/*` only (Secrets Manager
 * appends a random suffix to the name in the ARN, hence the `*`), and an
 * access key for it, which the requester types into the template.
 * `secrets` replaces that resource pattern (after `secret:`), to make the
 * too-broad identities the checks must catch, e.g. `logging/*`.
 */
export async function createExternalSecretsIdentity(
  sandbox: Pick<Sandbox, 'aws'>,
  options: {
    environment: string;
    /** The environment's region (default: the sandbox's). */
    region?: string;
    userName?: string;
    secrets?: string;
  },
): Promise<ExternalSecretsIdentity> {
  const region = options.region ?? sandbox.aws.region;
  const userName =
    options.userName ?? `external-secrets-${options.environment}`;
  const iam = new IAMClient({
    endpoint: sandbox.aws.url,
    region,
    credentials: {
      accessKeyId: sandbox.aws.accessKeyId,
      secretAccessKey: sandbox.aws.secretAccessKey,
    },
  });
  try {
    const { User } = await iam.send(
      new CreateUserCommand({ UserName: userName }),
    );
    const account = /^arn:aws:iam::(\d+):/.exec(User!.Arn!)![1];
    const secrets = options.secrets ?? `logging/${options.environment}/*`;
    await iam.send(
      new PutUserPolicyCommand({
        UserName: userName,
        PolicyName: 'read-logging-secrets',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'secretsmanager:GetSecretValue',
                'secretsmanager:DescribeSecret',
              ],
              Resource: `arn:aws:secretsmanager:${region}:${account}:secret:${secrets}`,
            },
          ],
        }),
      }),
    );
    const { AccessKey } = await iam.send(
      new CreateAccessKeyCommand({ UserName: userName }),
    );
    return {
      userName,
      arn: User!.Arn!,
      accessKeyId: AccessKey!.AccessKeyId!,
      secretAccessKey: AccessKey!.SecretAccessKey!,
    };
  } finally {
    iam.destroy();
  }
}
