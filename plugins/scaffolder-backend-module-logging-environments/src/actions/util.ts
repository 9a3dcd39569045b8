import { InputError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  FieldProblem,
  formatProblems,
  validateEnvironmentName,
} from '@internal/plugin-logging-environments-common';
import { EnsureResult } from '@internal/plugin-logging-environments-node';

/**
 * Checks an environment name in words before anything uses it (a path, a
 * record lookup): the action schemas carry no pattern, whose JSON-schema
 * message would be the regular expression itself.
 */
export function assertEnvironmentName(
  action: string,
  name: string,
  field = 'environment',
) {
  assertValid(action, validateEnvironmentName(name, field));
}

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
