import { NotFoundError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { EnvironmentRecord } from '@internal/plugin-logging-environments-common';
import {
  EnvironmentRecordsApi,
  RecordedFacts,
  assertMatchesRecord,
} from '@internal/plugin-logging-environments-node';

/**
 * The record of the environment a bootstrap step acts on, after the
 * backend checked that the person running the task may bootstrap it (its
 * requester, a member of its owner group or an administrator), with the
 * step's input checked against it: a step acts only on what the record
 * holds, whatever the template or the permission policy says.
 *
 * In a dry run of a new environment there is no record yet (the claim step
 * writes nothing in a dry run): then the step goes on without one and
 * returns undefined.
 */
export async function recordForStep(
  ctx: ActionContext<any, any, any>,
  records: EnvironmentRecordsApi,
  action: string,
  environment: string,
  facts: RecordedFacts = {},
): Promise<EnvironmentRecord | undefined> {
  let record: EnvironmentRecord;
  try {
    record = await records.forBootstrap(environment, {
      credentials: await ctx.getInitiatorCredentials(),
    });
  } catch (error) {
    if (ctx.isDryRun && error instanceof NotFoundError) {
      ctx.logger.info(
        `${environment} has no record yet (a dry run claims nothing); not checking against it`,
      );
      return undefined;
    }
    throw error;
  }
  assertMatchesRecord(action, record, facts);
  return record;
}

/**
 * Asks the backend whether the person running the task may rotate the
 * environment's External Secrets credentials (its bootstrappers for
 * development, administrators for staging and production); throws the
 * refusal naming the rule.
 */
export async function authorizeRotation(
  ctx: ActionContext<any, any, any>,
  records: EnvironmentRecordsApi,
  environment: string,
): Promise<void> {
  try {
    await records.authorizeRotation(environment, {
      credentials: await ctx.getInitiatorCredentials(),
    });
  } catch (error) {
    if (ctx.isDryRun && error instanceof NotFoundError) return;
    throw error;
  }
}
