/**
 * `iam:SimulatePrincipalPolicy`, which moto does not implement, answered by
 * the AWS proxy from moto's IAM state with the sandbox's own policy
 * evaluation (controllers/awsAccess.ts), so that a client can ask "may this
 * user do that" as it would ask AWS.
 *
 * The subset: `PolicySourceArn` naming an IAM user, `ActionNames`,
 * `ResourceArns` (none means `*`), `PolicyInputList` (extra identity
 * policies), `MaxItems` / `Marker`. The user's inline and attached policies
 * and its groups' are evaluated with IAM's precedence (an explicit Deny
 * wins, then any Allow, else the implicit deny); statements with a
 * `Condition` are disregarded, as in the rest of the sandbox. Any other
 * parameter (a resource policy, context entries, a caller, a permissions
 * boundary, a resource handling option) is refused with `InvalidInput`
 * naming it, rather than silently ignored.
 *
 * The answer has AWS's query-protocol shape: one `EvaluationResults` member
 * per action (as the simulator documents since it aggregates resources):
 * `EvalActionName`, `EvalResourceName` (the resource when one was given,
 * `*` when none), `EvalDecision` (`allowed` | `implicitDeny` |
 * `explicitDeny`, the most restrictive over the resources) and, when
 * resources were given, `ResourceSpecificResults` with each resource's
 * `EvalResourceDecision`.
 */
import {
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  AwsAccess,
  PolicyDecision,
  PolicyDocument,
  evaluatePolicies,
  parsePolicyDocument,
} from '../controllers/awsAccess';
import {
  AwsWireResponse,
  queryErrorResponse,
  queryResultResponse,
  xmlEscape,
} from './queryProtocol';

const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** What the simulation reads of IAM. */
export interface SimulationPrincipals {
  /** The ARN of an IAM user, or undefined when there is no such user. */
  userArn(userName: string): Promise<string | undefined>;
  /** The user's identity-based policy documents (own and groups'). */
  policies(userName: string): Promise<PolicyDocument[]>;
}

/** What the AWS proxy's request rules read of IAM, besides the simulation's. */
export interface AwsPrincipals extends SimulationPrincipals {
  /**
   * The IAM user an access key was issued to, with the key's status;
   * undefined for a key IAM does not know (the sandbox administrator's, a
   * test's root credentials, or a deleted key).
   */
  accessKeyOwner(
    accessKeyId: string,
  ): Promise<{ userName: string; arn: string; active: boolean } | undefined>;
  /** A user's inline policies: name and document text (not URL-encoded). */
  inlinePolicies(
    userName: string,
  ): Promise<Array<{ name: string; document: string }>>;
}

/** IAM returns inline policy documents URL-encoded. */
function policyText(raw: string | undefined): string {
  const text = raw ?? '';
  if (text.trimStart().startsWith('{')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The principals of a moto at `url` (any credentials: moto does not check them). */
export function motoPrincipals(
  url: string,
): AwsPrincipals & { destroy(): void } {
  const access = new AwsAccess({
    url,
    region: 'us-east-1',
    adminAccessKeyId: 'SANDBOXSIMULATOR',
    adminSecretAccessKey: 'sandbox-simulator',
  });
  const iam = () => access.client(IAMClient);
  const orUndefined = async <T>(call: Promise<T>): Promise<T | undefined> => {
    try {
      return await call;
    } catch (e) {
      if (e instanceof NoSuchEntityException) return undefined;
      throw e;
    }
  };
  const userArn = async (userName: string) =>
    (await orUndefined(iam().send(new GetUserCommand({ UserName: userName }))))
      ?.User?.Arn;
  return {
    userArn,
    policies: userName => access.userPolicies(userName),
    async accessKeyOwner(accessKeyId) {
      const used = await orUndefined(
        iam().send(
          new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
        ),
      );
      const userName = used?.UserName;
      if (!userName) return undefined;
      const [arn, keys] = await Promise.all([
        userArn(userName),
        orUndefined(
          iam().send(new ListAccessKeysCommand({ UserName: userName })),
        ),
      ]);
      if (!arn) return undefined;
      const key = keys?.AccessKeyMetadata?.find(
        k => k.AccessKeyId === accessKeyId,
      );
      return { userName, arn, active: key?.Status === 'Active' };
    },
    async inlinePolicies(userName) {
      const names = await orUndefined(
        iam().send(new ListUserPoliciesCommand({ UserName: userName })),
      );
      return Promise.all(
        (names?.PolicyNames ?? []).map(async name => {
          const p = await iam().send(
            new GetUserPolicyCommand({ UserName: userName, PolicyName: name }),
          );
          return { name, document: policyText(p.PolicyDocument) };
        }),
      );
    },
    destroy: () => access.destroy(),
  };
}

/** `Name.member.N` list parameters of the query protocol, in order. */
function memberList(params: URLSearchParams, name: string): string[] {
  const prefix = `${name}.member.`;
  return [...params.entries()]
    .filter(([k]) => k.startsWith(prefix))
    .map(([k, v]) => [Number(k.slice(prefix.length)), v] as const)
    .filter(([n]) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
}

const WIRE_DECISION: Record<PolicyDecision, string> = {
  Allow: 'allowed',
  ImplicitDeny: 'implicitDeny',
  ExplicitDeny: 'explicitDeny',
};
const RESTRICTIVENESS: PolicyDecision[] = [
  'Allow',
  'ImplicitDeny',
  'ExplicitDeny',
];

const UNSUPPORTED = [
  'ResourcePolicy',
  'ResourceOwner',
  'CallerArn',
  'ResourceHandlingOption',
  'ContextEntries',
  'PermissionsBoundaryPolicyInputList',
];

const invalidInput = (message: string) =>
  queryErrorResponse('iam', 400, 'Sender', 'InvalidInput', message);
const validationError = (field: string) =>
  queryErrorResponse(
    'iam',
    400,
    'Sender',
    'ValidationError',
    `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
  );

const element = (name: string, value: string) =>
  `<${name}>${xmlEscape(value)}</${name}>`;

/**
 * Answers a SimulatePrincipalPolicy call (its query parameters, from the
 * URL and the form body) in IAM's wire format.
 */
export async function simulatePrincipalPolicy(
  params: URLSearchParams,
  principals: SimulationPrincipals,
): Promise<AwsWireResponse> {
  const sourceArn = params.get('PolicySourceArn');
  if (!sourceArn) return validationError('policySourceArn');
  const actions = memberList(params, 'ActionNames');
  if (actions.length === 0) return validationError('actionNames');
  for (const name of UNSUPPORTED) {
    if ([...params.keys()].some(k => k === name || k.startsWith(`${name}.`))) {
      return invalidInput(
        `The sandbox's SimulatePrincipalPolicy does not support ${name}.`,
      );
    }
  }
  const bad = actions.find(a => !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(a));
  if (bad !== undefined) {
    return invalidInput(`Actions must be of the form service:action: ${bad}`);
  }
  const user = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:[^/]+\/)*([^/]+)$/.exec(
    sourceArn,
  );
  if (!user) {
    return invalidInput(
      `The sandbox simulates only IAM users' policies; PolicySourceArn must be an IAM user ARN: ${sourceArn}`,
    );
  }
  const userName = user[1];
  // The whole ARN must be the user's (its account and path too).
  if ((await principals.userArn(userName)) !== sourceArn) {
    return queryErrorResponse(
      'iam',
      404,
      'Sender',
      'NoSuchEntity',
      `The user with name ${userName} cannot be found.`,
    );
  }
  const documents = [
    ...(await principals.policies(userName)),
    ...memberList(params, 'PolicyInputList').map(parsePolicyDocument),
  ];
  const resources = memberList(params, 'ResourceArns');

  const results = actions.map(action => {
    const perResource = (resources.length ? resources : ['*']).map(
      resource => ({
        resource,
        decision: evaluatePolicies(documents, action, resource, { userName }),
      }),
    );
    const aggregate = perResource
      .map(r => r.decision)
      .reduce((a, b) =>
        RESTRICTIVENESS.indexOf(b) > RESTRICTIVENESS.indexOf(a) ? b : a,
      );
    const specific = resources.length
      ? `<ResourceSpecificResults>${perResource
          .map(
            r =>
              `<member>${element('EvalResourceName', r.resource)}${element(
                'EvalResourceDecision',
                WIRE_DECISION[r.decision],
              )}<MatchedStatements/><MissingContextValues/></member>`,
          )
          .join('')}</ResourceSpecificResults>`
      : '';
    // One resource names itself; several have no single name.
    const name = resources.length <= 1 ? perResource[0].resource : undefined;
    return `<member>${element('EvalActionName', action)}${
      name !== undefined ? element('EvalResourceName', name) : ''
    }${element(
      'EvalDecision',
      WIRE_DECISION[aggregate],
    )}<MatchedStatements/><MissingContextValues/>${specific}</member>`;
  });

  const maxItems = Number(params.get('MaxItems') ?? '100');
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    return invalidInput('MaxItems must be between 1 and 1000.');
  }
  const marker = params.get('Marker');
  const start = marker === null ? 0 : Number(marker);
  if (!Number.isInteger(start) || start < 0 || start > results.length) {
    return invalidInput('Invalid Marker.');
  }
  const page = results.slice(start, start + maxItems);
  const next = start + page.length;
  const truncated = next < results.length;
  return queryResultResponse(
    'SimulatePrincipalPolicy',
    IAM_NAMESPACE,
    `<EvaluationResults>${page.join('')}</EvaluationResults>` +
      `<IsTruncated>${truncated}</IsTruncated>${
        truncated ? element('Marker', String(next)) : ''
      }`,
  );
}
