import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { FieldProblem } from '@internal/plugin-logging-environments-common';
import {
  AwsClientFactory,
  ClusterClient,
  ClusterRegistry,
  EnvironmentRecordsApi,
  accessKeyOwner,
  awsErrorCode,
  awsNamesFor,
  callerIdentity,
  simulateAccess,
} from '@internal/plugin-logging-environments-node';

/**
 * What {@link Preflight} checks: a request that passed the field rules.
 *
 * @public
 */
export interface PreflightRequest {
  name: string;
  tier: string;
  cluster: string;
  region: string;
  bucketName: string;
  owner?: string;
  approverGroups?: string[];
  /** The External Secrets keys of the secret fields, when given. */
  keys?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The checks `logging:environment:validate` makes before any step has a
 * side effect: each reads only, and each names what is wrong.
 *
 * @public
 */
export interface Preflight {
  check(
    request: PreflightRequest,
    context: { credentials: BackstageCredentials },
  ): Promise<FieldProblem[]>;
}

/** How long each pre-flight check may take. */
const PREFLIGHT_TIMEOUT_MS = 6_000;

const READ = 'secretsmanager:GetSecretValue';
/** Secrets Manager appends `-` and six characters to a secret's ARN. */
const ARN_SUFFIX = '-AbCdEf';

function message(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

/** Rejects with a named timeout when `fn` takes longer than `ms`. */
async function bounded<T>(
  what: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`${what} did not answer within ${ms / 1000} s`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The pre-flight on the portal's configuration: the backend's own AWS
 * access (`sts:GetCallerIdentity`), its access to the cluster (reading the
 * `default` namespace), whether the backend would record the environment
 * (a dry-run claim: the cluster is free, the caller may create it), and
 * the External Secrets keys: who they are (`sts:GetCallerIdentity` signed
 * with them) and, for an IAM user, whether IAM's policy simulator lets them
 * read the environment's secret (`logging/<name>/*`). Keys of the account
 * root pass here (they read everything); the checklist's `secret-scope`
 * item refuses them later. The keys are checked for a new environment
 * only: a re-run keeps the credentials on the cluster.
 *
 * @public
 */
export class DefaultPreflight implements Preflight {
  constructor(
    private readonly deps: {
      aws: AwsClientFactory;
      clusters: ClusterRegistry;
      records: EnvironmentRecordsApi;
      timeoutMs?: number;
    },
  ) {}

  async check(
    request: PreflightRequest,
    context: { credentials: BackstageCredentials },
  ): Promise<FieldProblem[]> {
    const ms = this.deps.timeoutMs ?? PREFLIGHT_TIMEOUT_MS;
    const [portalAws, clusterAccess, claim, keys] = await Promise.all([
      this.portalAws(request, ms),
      this.clusterAccess(request, ms),
      this.claim(request, context, ms),
      this.externalSecretsKeys(request, ms),
    ]);
    // A re-run of an existing environment keeps the credentials on its
    // cluster (a rotation is judged by its own step, with its own
    // permission): the keys of the form are only used, so only checked,
    // for a new environment.
    return [
      ...portalAws,
      ...clusterAccess,
      ...claim.problems,
      ...(claim.existing ? [] : keys),
    ];
  }

  private async portalAws(
    request: PreflightRequest,
    ms: number,
  ): Promise<FieldProblem[]> {
    try {
      await bounded("the portal's AWS account", ms, async signal =>
        callerIdentity(await this.deps.aws.clients(request.region), undefined, {
          abortSignal: signal,
        }),
      );
      return [];
    } catch (e) {
      return [
        {
          field: 'portal AWS access',
          message: `the portal's own AWS credentials (aws.mainAccount) do not work in ${
            request.region
          }: ${awsErrorCode(e) ?? message(e)}`,
        },
      ];
    }
  }

  private async clusterAccess(
    request: PreflightRequest,
    ms: number,
  ): Promise<FieldProblem[]> {
    try {
      await bounded(`cluster "${request.cluster}"`, ms, () =>
        ClusterClient.fromKubeConfig(
          this.deps.clusters.kubeConfig(request.cluster),
        ).get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }),
      );
      return [];
    } catch (e) {
      return [
        {
          field: 'cluster',
          message: `the portal cannot reach cluster "${
            request.cluster
          }" with its configured credentials: ${message(e)}`,
        },
      ];
    }
  }

  private async claim(
    request: PreflightRequest,
    context: { credentials: BackstageCredentials },
    ms: number,
  ): Promise<{ problems: FieldProblem[]; existing?: boolean }> {
    if (request.owner === undefined) return { problems: [] };
    try {
      const { created } = await bounded(
        'the logging-environments backend',
        ms,
        () =>
          this.deps.records.claim(
            {
              name: request.name,
              tier: request.tier,
              cluster: request.cluster,
              owner: request.owner!,
              region: request.region,
              bucket: request.bucketName,
              approverGroups: request.approverGroups ?? [],
            },
            { credentials: context.credentials, dryRun: true },
          ),
      );
      return { problems: [], existing: !created };
    } catch (e) {
      // The backend's reasons lead with the field they are about.
      const text = message(e);
      const named = /^([a-zA-Z]+): (.*)$/s.exec(text);
      return {
        problems: [
          named
            ? { field: named[1], message: named[2] }
            : { field: 'name', message: text },
        ],
      };
    }
  }

  private async externalSecretsKeys(
    request: PreflightRequest,
    ms: number,
  ): Promise<FieldProblem[]> {
    const { keys } = request;
    if (!keys) return [];
    const secret = awsNamesFor(request.name).secret;
    try {
      return await bounded('AWS (External Secrets keys)', ms, async signal => {
        const clients = await this.deps.aws.clients(request.region);
        let identity: { arn: string };
        try {
          identity = await callerIdentity(clients, keys, {
            abortSignal: signal,
          });
        } catch (e) {
          const code = awsErrorCode(e);
          if (code === 'SignatureDoesNotMatch') {
            return [
              {
                field: 'awsSecretAccessKey',
                message:
                  'does not belong to the access key id given (AWS refused the signature)',
              },
            ];
          }
          if (code === 'InvalidClientTokenId' || code === 'AccessDenied') {
            return [
              {
                field: 'awsAccessKeyId',
                message:
                  'is not an access key AWS knows (deleted, or mistyped)',
              },
            ];
          }
          throw e;
        }
        if (/:root$/.test(identity.arn)) return [];
        const owner = await accessKeyOwner(clients.iam, keys.accessKeyId);
        if (owner.kind !== 'user') {
          return [
            {
              field: 'awsAccessKeyId',
              message:
                "is not an IAM user's access key in the portal's AWS account, so what it may read cannot be checked",
            },
          ];
        }
        const arn = `arn:${owner.partition}:secretsmanager:${request.region}:${owner.accountId}:secret:${secret}${ARN_SUFFIX}`;
        const decision = await simulateAccess(
          clients.iam,
          owner.arn,
          READ,
          arn,
        );
        return decision === 'allowed'
          ? []
          : [
              {
                field: 'awsAccessKeyId',
                message: `belongs to IAM user "${owner.userName}", who may not read this environment's secret ${secret} (${READ}: ${decision}); its policy must allow logging/${request.name}/*`,
              },
            ];
      });
    } catch (e) {
      return [
        {
          field: 'awsAccessKeyId',
          message: `could not be checked: ${awsErrorCode(e) ?? message(e)}`,
        },
      ];
    }
  }
}
