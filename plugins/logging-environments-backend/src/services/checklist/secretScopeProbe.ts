import { NotFoundError } from '@backstage/errors';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import {
  CLUSTER_CREDENTIALS,
  ClusterClient,
  SimulatedDecision,
  accessKeyOwner,
  describeSecret,
  simulateAccess,
} from '@internal/plugin-logging-environments-node';
import { describeKubeError } from '../revision/clusterClients';
import { noRegion, secretOf } from './awsProbes';
import { ChecklistProbe, ProbeResult } from './types';

const READ = 'secretsmanager:GetSecretValue';

/**
 * Secrets Manager appends `-` and six random characters to a secret's name
 * in its ARN; a made-up suffix of that shape stands for a secret that does
 * not exist (yet).
 */
const ARN_SUFFIX = '-AbCdEf';

/**
 * `secret-scope`: the AWS identity External Secrets authenticates with (the
 * access key in `external-secrets-system/aws-credentials`) may read this
 * environment's Secrets Manager secret and nothing of another environment.
 * The key's IAM user is found with `iam:GetAccessKeyLastUsed`, and IAM's
 * policy simulator (`iam:SimulatePrincipalPolicy`) decides
 * `secretsmanager:GetSecretValue` on the environment's secret (must be
 * allowed), on another environment's (`logging/<env>-other/...`: a
 * `logging/<env>*` pattern without the slash reaches it too) and on
 * `logging/*` (both must be denied). The key is a secret: it is never in
 * the evidence or the message. A key that is not an IAM user's of the
 * account (a root user's, another account's, a deleted one) fails: what it
 * can read cannot be limited by a policy the portal can check.
 *
 * @public
 */
export const secretScopeProbe: ChecklistProbe = {
  id: 'secret-scope',
  title: "External Secrets can read only this environment's secrets",
  target: 'aws',
  async run({ environment, aws, cluster, secret }) {
    const { namespace, name, accessKeyIdKey } = CLUSTER_CREDENTIALS;
    const where = `Secret ${namespace}/${name}`;
    const evidence: ProbeResult['evidence'] = { credentials: where };
    if (!environment.region) return noRegion();
    let client: ClusterClient | undefined;
    let found: (V1Secret & KubernetesObject) | undefined;
    try {
      client = cluster();
      found = await client.get<V1Secret & KubernetesObject>({
        apiVersion: 'v1',
        kind: 'Secret',
        name,
        namespace,
      });
    } catch (e) {
      if (e instanceof NotFoundError) throw e;
      return {
        status: 'unknown',
        message: describeKubeError(e, {
          cluster: environment.cluster,
          server: client?.server,
        }),
        evidence,
      };
    }
    for (const value of Object.values(found?.data ?? {})) {
      secret(value);
      secret(Buffer.from(value, 'base64').toString('utf8'));
    }
    const encoded = found?.data?.[accessKeyIdKey];
    const accessKeyId = encoded
      ? Buffer.from(encoded, 'base64').toString('utf8').trim()
      : '';
    if (!accessKeyId) {
      return {
        status: 'unknown',
        message: `${where} ${
          found ? `has no ${accessKeyIdKey}` : 'does not exist'
        }: the AWS identity External Secrets uses is not known (see the cluster-credentials item)`,
        evidence,
      };
    }

    const clients = await aws();
    const owner = await accessKeyOwner(clients.iam, accessKeyId);
    if (owner.kind !== 'user') {
      evidence.owner =
        owner.reason === 'no-such-key'
          ? 'not an IAM user of this account'
          : 'not an IAM user';
      return {
        status: 'fail',
        message: `The access key in ${where} is not an IAM user's key in the portal's AWS account (a root user's key, another account's, or a deleted one), so what External Secrets can read cannot be limited or checked: give it an IAM user whose policy allows ${READ} only on logging/${environment.name}/*`,
        evidence,
      };
    }

    const prefix = `arn:${owner.partition}:secretsmanager:${environment.region}:${owner.accountId}:secret:`;
    const ownName = secretOf(environment);
    const own =
      (await describeSecret(clients, ownName))?.ARN ??
      `${prefix}${ownName}${ARN_SUFFIX}`;
    const other = `${environment.name}-other`;
    const checks = {
      own: { resource: own, want: 'allowed' },
      otherEnvironment: {
        resource: `${prefix}logging/${other}/loki-s3${ARN_SUFFIX}`,
        want: 'denied',
      },
      allLogging: { resource: `${prefix}logging/*`, want: 'denied' },
    } as const;
    const decided = Object.fromEntries(
      await Promise.all(
        Object.entries(checks).map(
          async ([key, check]) =>
            [
              key,
              await simulateAccess(
                clients.iam,
                owner.arn,
                READ,
                check.resource,
              ),
            ] as const,
        ),
      ),
    ) as Record<keyof typeof checks, SimulatedDecision>;
    const pattern = `${prefix}logging/${environment.name}/*`;
    Object.assign(evidence, {
      user: owner.userName,
      allowedPattern: pattern,
      ownSecret: `${ownName}: ${decided.own}`,
      otherEnvironmentSecret: `logging/${other}/loki-s3: ${decided.otherEnvironment}`,
      allLoggingSecrets: `logging/*: ${decided.allLogging}`,
    });

    const user = `IAM user "${owner.userName}" (the key in ${where})`;
    const tooMuch: string[] = [];
    if (decided.otherEnvironment === 'allowed') {
      tooMuch.push(`another environment's secret (logging/${other}/loki-s3)`);
    }
    if (decided.allLogging === 'allowed') {
      tooMuch.push('every secret under logging/*');
    }
    const problems: string[] = [];
    if (tooMuch.length) {
      problems.push(
        `can read too much: ${READ} is allowed on ${tooMuch.join(
          ' and on ',
        )}; its policy must allow only ${pattern}`,
      );
    }
    if (decided.own !== 'allowed') {
      problems.push(
        `cannot read this environment's secret ${ownName} (${decided.own}): External Secrets cannot give Loki its storage key`,
      );
    }
    if (problems.length) {
      return {
        status: 'fail',
        message: `${user} ${problems.join('; and ')}`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `${user} may read ${ownName} and nothing of another environment (${READ} denied on logging/${other}/loki-s3 and on logging/*)`,
      evidence,
    };
  },
};
