import { NotFoundError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  BootstrapStepCheck,
  EnvironmentRecord,
} from '@internal/plugin-logging-environments-common';
import { EnvironmentRecordsApi } from '@internal/plugin-logging-environments-node';

/**
 * Asks the backend, on behalf of the person running the task, whether a
 * bootstrap step may act, and returns the environment's record: the caller
 * may run the environment's bootstrap (its requester, a member of its owner
 * group or an administrator); the step's input (cluster, region, bucket,
 * secret) is what the record holds; the objects it applies are what the
 * template renders for the record; a rotation is the caller's to make. The
 * backend audits every answer, and a refusal fails the step with its
 * reason, whatever the template or the permission policy says.
 *
 * In a dry run of a new environment there is no record yet (the claim step
 * writes nothing in a dry run): then the step goes on without one and
 * returns undefined.
 */
export async function recordForStep(
  ctx: ActionContext<any, any, any>,
  records: EnvironmentRecordsApi,
  environment: string,
  step: BootstrapStepCheck,
): Promise<EnvironmentRecord | undefined> {
  try {
    return await records.checkStep(environment, step, {
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
}
