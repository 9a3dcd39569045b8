import {
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  IAMClient,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsClients } from './clients';
import { awsErrorCode } from './errors';

/**
 * Whose an access key is, as the portal's account sees it: an IAM user of
 * the account, or not (a root user's key, another account's, or a deleted
 * key: IAM cannot tell these apart for the caller).
 *
 * @public
 */
export type AccessKeyOwner =
  | {
      kind: 'user';
      userName: string;
      /** The user's ARN (with its path). */
      arn: string;
      accountId: string;
      partition: string;
    }
  | { kind: 'unknown'; reason: 'no-such-key' | 'not-an-iam-user' };

/**
 * Finds the IAM user an access key belongs to (`iam:GetAccessKeyLastUsed`,
 * then `iam:GetUser` for its ARN). Never puts the key id in what it
 * returns; errors other than "no such key/user" are thrown as the SDK's
 * (their messages may name the key: scrub them).
 *
 * @public
 */
export async function accessKeyOwner(
  iam: IAMClient,
  accessKeyId: string,
): Promise<AccessKeyOwner> {
  let userName: string | undefined;
  try {
    const used = await iam.send(
      new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
    );
    userName = used.UserName;
  } catch (e) {
    if (awsErrorCode(e) === 'NoSuchEntity') {
      return { kind: 'unknown', reason: 'no-such-key' };
    }
    throw e;
  }
  if (!userName) return { kind: 'unknown', reason: 'not-an-iam-user' };
  let arn: string | undefined;
  try {
    arn = (await iam.send(new GetUserCommand({ UserName: userName }))).User
      ?.Arn;
  } catch (e) {
    if (awsErrorCode(e) === 'NoSuchEntity') {
      return { kind: 'unknown', reason: 'not-an-iam-user' };
    }
    throw e;
  }
  const parts = /^arn:([^:]+):iam::(\d+):user\//.exec(arn ?? '');
  if (!arn || !parts) return { kind: 'unknown', reason: 'not-an-iam-user' };
  return {
    kind: 'user',
    userName,
    arn,
    partition: parts[1],
    accountId: parts[2],
  };
}

/**
 * What IAM's policy simulator decides.
 *
 * @public
 */
export type SimulatedDecision = 'allowed' | 'implicitDeny' | 'explicitDeny';

/**
 * Whether the IAM principal `principalArn` may do `action` on `resource`,
 * by its identity-based policies (`iam:SimulatePrincipalPolicy`). One
 * resource per call: the simulator aggregates several resources into one
 * result per action, so the per-resource decision is read from
 * `ResourceSpecificResults` when present, else from the result itself.
 *
 * @public
 */
export async function simulateAccess(
  iam: IAMClient,
  principalArn: string,
  action: string,
  resource: string,
): Promise<SimulatedDecision> {
  const out = await iam.send(
    new SimulatePrincipalPolicyCommand({
      PolicySourceArn: principalArn,
      ActionNames: [action],
      ResourceArns: [resource],
    }),
  );
  const result = (out.EvaluationResults ?? []).find(
    r => r.EvalActionName?.toLowerCase() === action.toLowerCase(),
  );
  const specific = result?.ResourceSpecificResults?.find(
    r => r.EvalResourceName === resource,
  );
  const decision = specific?.EvalResourceDecision ?? result?.EvalDecision;
  if (
    decision !== 'allowed' &&
    decision !== 'implicitDeny' &&
    decision !== 'explicitDeny'
  ) {
    throw new Error(
      `IAM's policy simulator gave no decision for ${action} on ${resource}`,
    );
  }
  return decision;
}

/**
 * Who a pair of access keys authenticates as (`sts:GetCallerIdentity`
 * signed with them, through the portal's endpoint and region, one attempt),
 * or, without keys, who the portal's own clients are. AWS refuses an
 * unknown key id with `InvalidClientTokenId` and a wrong secret with
 * `SignatureDoesNotMatch`; those are thrown as the SDK's errors (read them
 * with `awsErrorCode`). The keys never appear in what it returns.
 *
 * @public
 */
export async function callerIdentity(
  clients: Pick<AwsClients, 'region' | 'endpoint' | 'sts'>,
  keys?: { accessKeyId: string; secretAccessKey: string },
  options: { abortSignal?: AbortSignal } = {},
): Promise<{ arn: string; account: string }> {
  const sts = keys
    ? new STSClient({
        region: clients.region,
        credentials: keys,
        maxAttempts: 1,
        ...(clients.endpoint ? { endpoint: clients.endpoint } : {}),
      })
    : clients.sts;
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}), {
      abortSignal: options.abortSignal,
    });
    return { arn: out.Arn ?? '', account: out.Account ?? '' };
  } finally {
    if (keys) sts.destroy();
  }
}
