/*
 * What the portal journey needs from the sandbox the portal runs on: its
 * description (`.sandbox/sandbox.json`, under SANDBOX_ROOT when set, as
 * `yarn start` and `yarn sandbox` write it) and the one thing a platform
 * team prepares outside the portal before an environment: an AWS identity
 * for External Secrets that may read only that environment's secrets,
 * whose access key the requester types into the template (the sandbox's
 * External Secrets accepts only keys that work, and enforces their policy).
 */
const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT } = require('./lib');

/** `.sandbox/sandbox.json` of the running sandbox (secrets: never print it). */
function readSandbox() {
  const root = process.env.SANDBOX_ROOT
    ? path.resolve(process.env.SANDBOX_ROOT)
    : REPO_ROOT;
  const file = path.join(root, '.sandbox', 'sandbox.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(
      `cannot read ${file} (${e.message}): run the portal with yarn start (or yarn test:e2e), and set SANDBOX_ROOT as it was`,
    );
  }
}

/*
 * The AWS SDK the sandbox itself uses (a dependency of packages/sandbox):
 * the browser tests have no AWS dependency of their own.
 */
function iamSdk() {
  return require(require.resolve('@aws-sdk/client-iam', {
    paths: [path.join(REPO_ROOT, 'packages/sandbox')],
  }));
}

/**
 * Creates (or reuses) the IAM user `external-secrets-<environment>` in the
 * sandbox's AWS, as the platform team would following the scaffolder
 * module's README: it may read only `logging/<environment>/*` in the
 * environment's region (Secrets Manager appends a random suffix to the
 * secret's name in its ARN, hence the `*`). Returns a fresh access key for
 * it (older keys are deleted: a user has at most two, and the template
 * stores the one it is given).
 */
async function externalSecretsKey(sandbox, { environment, region }) {
  const sdk = iamSdk();
  const USER = `external-secrets-${environment}`;
  const iam = new sdk.IAMClient({
    endpoint: sandbox.aws.url,
    region: sandbox.aws.region,
    credentials: {
      accessKeyId: sandbox.aws.accessKeyId,
      secretAccessKey: sandbox.aws.secretAccessKey,
    },
  });
  try {
    await iam.send(new sdk.CreateUserCommand({ UserName: USER }));
  } catch (e) {
    if (e.name !== 'EntityAlreadyExistsException') throw e;
  }
  const { User } = await iam.send(new sdk.GetUserCommand({ UserName: USER }));
  const account = /^arn:aws:iam::(\d+):/.exec(User.Arn)[1];
  await iam.send(
    new sdk.PutUserPolicyCommand({
      UserName: USER,
      PolicyName: `read-${environment}-logging-secrets`,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'secretsmanager:GetSecretValue',
              'secretsmanager:DescribeSecret',
            ],
            Resource: `arn:aws:secretsmanager:${region}:${account}:secret:logging/${environment}/*`,
          },
        ],
      }),
    }),
  );
  const { AccessKeyMetadata = [] } = await iam.send(
    new sdk.ListAccessKeysCommand({ UserName: USER }),
  );
  for (const key of AccessKeyMetadata) {
    await iam.send(
      new sdk.DeleteAccessKeyCommand({
        UserName: USER,
        AccessKeyId: key.AccessKeyId,
      }),
    );
  }
  const { AccessKey } = await iam.send(
    new sdk.CreateAccessKeyCommand({ UserName: USER }),
  );
  iam.destroy();
  return {
    accessKeyId: AccessKey.AccessKeyId,
    secretAccessKey: AccessKey.SecretAccessKey,
  };
}

module.exports = { externalSecretsKey, readSandbox };
