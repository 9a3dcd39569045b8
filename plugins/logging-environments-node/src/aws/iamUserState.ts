/**
 * What IAM says about an environment's Loki user: its tags, policies,
 * groups and access keys. Read-only, for the ensure operation and the
 * checklist.
 */
import {
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { awsErrorCode } from './errors';

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
