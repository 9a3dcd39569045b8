import { Config } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';

/**
 * AWS SDK v3 clients for one region, with the portal's credentials.
 *
 * @public
 */
export interface AwsClients {
  region: string;
  /** The endpoint override, when one is configured (e.g. the sandbox). */
  endpoint?: string;
  /**
   * The S3 endpoint Loki is given in its storage secret, when configured
   * (`loggingEnvironments.aws.storageEndpoint`); otherwise `endpoint`, or
   * the region's AWS endpoint.
   */
  storageEndpoint?: string;
  /** `aws`, `aws-cn` or `aws-us-gov`, for building ARNs. */
  partition: string;
  s3: S3Client;
  iam: IAMClient;
  secretsManager: SecretsManagerClient;
  sts: STSClient;
}

/** The ARN partition of a region. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * Creates AWS clients from configuration: credentials the Backstage way
 * (`aws.mainAccount` / `aws.accounts` through `@backstage/integration-aws-node`,
 * so role assumption works as for every other plugin), plus
 * `loggingEnvironments.aws` for the account, an endpoint override and the
 * retry budget.
 *
 * @public
 */
export class AwsClientFactory {
  /** Reads the configuration. */
  static fromConfig(config: Config): AwsClientFactory {
    const aws = config.getOptionalConfig('loggingEnvironments.aws');
    return new AwsClientFactory(
      DefaultAwsCredentialsManager.fromConfig(config),
      aws?.getOptionalString('accountId'),
      aws?.getOptionalString('endpoint'),
      aws?.getOptionalNumber('maxAttempts') ?? 6,
      aws?.getOptionalString('storageEndpoint'),
    );
  }

  private readonly cache = new Map<string, Promise<AwsClients>>();

  private constructor(
    private readonly credentials: DefaultAwsCredentialsManager,
    private readonly accountId: string | undefined,
    private readonly endpoint: string | undefined,
    private readonly maxAttempts: number,
    private readonly storageEndpoint?: string,
  ) {}

  /** Clients for a region (cached per region). */
  clients(region: string): Promise<AwsClients> {
    let clients = this.cache.get(region);
    if (!clients) {
      clients = this.create(region);
      this.cache.set(region, clients);
      clients.catch(() => this.cache.delete(region));
    }
    return clients;
  }

  private async create(region: string): Promise<AwsClients> {
    const { sdkCredentialProvider } =
      await this.credentials.getCredentialProvider(
        this.accountId ? { accountId: this.accountId } : undefined,
      );
    // The SDK's standard retry strategy: exponential backoff with jitter for
    // throttling and transient errors, bounded by maxAttempts.
    const common = {
      region,
      credentials: sdkCredentialProvider,
      maxAttempts: this.maxAttempts,
      retryMode: 'standard',
      ...(this.endpoint ? { endpoint: this.endpoint } : {}),
    };
    return {
      region,
      endpoint: this.endpoint,
      ...(this.storageEndpoint
        ? { storageEndpoint: this.storageEndpoint }
        : {}),
      partition: partitionOf(region),
      // Path-style addressing works with any endpoint override (and with
      // dots-free bucket names, which the validation enforces).
      s3: namingFailedCalls(
        's3',
        new S3Client({ ...common, forcePathStyle: Boolean(this.endpoint) }),
      ),
      iam: namingFailedCalls('iam', new IAMClient(common)),
      secretsManager: namingFailedCalls(
        'secretsmanager',
        new SecretsManagerClient(common),
      ),
      sts: namingFailedCalls('sts', new STSClient(common)),
    };
  }
}

/**
 * Marks each error a client throws with the call it came from
 * (`$operation`, e.g. `iam:CreateAccessKey`): SDK errors carry the code but
 * not the operation, and an EnsureError names both.
 */
function namingFailedCalls<
  C extends S3Client | IAMClient | SecretsManagerClient | STSClient,
>(service: string, client: C): C {
  (client.middlewareStack as S3Client['middlewareStack']).add(
    (next, context) => async args => {
      try {
        return await next(args);
      } catch (e) {
        if (e && typeof e === 'object' && !('$operation' in e)) {
          Object.defineProperty(e, '$operation', {
            value: `${service}:${String(context.commandName).replace(
              /Command$/,
              '',
            )}`,
          });
        }
        throw e;
      }
    },
    { step: 'initialize', name: 'loggingEnvironmentsNameFailedCall' },
  );
  return client;
}
