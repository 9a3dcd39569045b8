import { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  BootstrapStepCheck,
  validateBucketName,
  validateEnvironmentName,
  validateRegion,
} from '@internal/plugin-logging-environments-common';
import {
  AwsClientFactory,
  AwsClients,
  EnvironmentRecordsApi,
  awsNamesFor,
} from '@internal/plugin-logging-environments-node';
import { recordForStep } from './records';
import { assertValid } from './util';

/** What the AWS bootstrap actions are built from. */
export interface AwsActionOptions {
  aws: AwsClientFactory;
  records: EnvironmentRecordsApi;
}

/**
 * How every AWS bootstrap action starts: it checks its `environment`,
 * `bucket` and `region` inputs (one InputError naming each bad field), asks
 * the backend whether the step may act on them (see `recordForStep`), and
 * gets the region's AWS clients.
 *
 * @param facts - what else the step acts on, for the backend to check
 */
export async function awsClientsForStep(
  ctx: ActionContext<
    { environment: string; bucket: string; region: string },
    any
  >,
  options: AwsActionOptions,
  action: string,
  facts: Omit<
    NonNullable<BootstrapStepCheck['facts']>,
    'bucket' | 'region'
  > = {},
): Promise<AwsClients> {
  const { environment, bucket, region } = ctx.input;
  assertValid(action, [
    ...validateEnvironmentName(environment, 'environment'),
    ...validateBucketName(bucket, 'bucket'),
    ...validateRegion(region, 'region'),
  ]);
  await recordForStep(ctx, options.records, environment, {
    action,
    facts: { bucket, region, ...facts },
  });
  return options.aws.clients(region);
}

/**
 * How the AWS steps that write Loki's S3 secret start: the secret's name
 * (the input, else the environment's default), checked with the rest by
 * {@link awsClientsForStep}, and the region's AWS clients.
 */
export async function lokiSecretForStep(
  ctx: ActionContext<
    {
      environment: string;
      bucket: string;
      region: string;
      secretName?: string;
    },
    any
  >,
  options: AwsActionOptions,
  action: string,
): Promise<{ secretName: string; clients: AwsClients }> {
  const secretName =
    ctx.input.secretName ?? awsNamesFor(ctx.input.environment).secret;
  const clients = await awsClientsForStep(ctx, options, action, { secretName });
  return { secretName, clients };
}
