import { InputError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  FieldProblem,
  formatProblems,
} from '@internal/plugin-logging-environments-common';
import { EnsureResult } from '@internal/plugin-logging-environments-node';

/** DNS-1123 label, the rule every environment name follows. */
export const ENVIRONMENT_PATTERN = '^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$';
/** S3 bucket names the bootstrap accepts (no dots). */
export const BUCKET_PATTERN = '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$';
/** AWS region names. */
export const REGION_PATTERN = '^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\\d{1,2}$';

/** Throws one InputError naming every bad field and its rule. */
export function assertValid(action: string, problems: FieldProblem[]) {
  if (problems.length > 0) {
    throw new InputError(
      `Invalid input to ${action}: ${formatProblems(problems)}`,
    );
  }
}

/**
 * Runs an ensure operation the way every bootstrap action does: in a dry run
 * it only reports; otherwise inside a checkpoint with a stable key, so a
 * resumed task does not redo it. Logs and outputs what happened (never
 * secret values: ensure results carry none).
 */
export async function runEnsure(
  ctx: ActionContext<any, any, any>,
  key: string,
  fn: (dryRun: boolean) => Promise<EnsureResult>,
): Promise<EnsureResult> {
  const result: EnsureResult = ctx.isDryRun
    ? await fn(true)
    : ((await ctx.checkpoint({
        key,
        fn: async () => (await fn(false)) as unknown as Record<string, any>,
      })) as unknown as EnsureResult);
  const what = result.changes.length ? `: ${result.changes.join('; ')}` : '';
  ctx.logger.info(
    `${result.resource} ${result.action.replace('-', ' ')}${what}`,
  );
  ctx.output('action', result.action);
  ctx.output('changes', result.changes);
  return result;
}
