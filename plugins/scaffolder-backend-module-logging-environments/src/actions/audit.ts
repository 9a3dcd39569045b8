import { AuditorService } from '@backstage/backend-plugin-api';
import {
  ActionContext,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { JsonObject, JsonValue } from '@backstage/types';

/** The audit event every bootstrap action emits, once per run. */
const BOOTSTRAP_AUDIT_EVENT = 'bootstrap-action';

/**
 * The inputs that name what a step acts on. A list of what may be told,
 * not of what to hide: a new input stays out of the audit log until it is
 * added here, so a secret never slips in (the credentials themselves come
 * from the task's secrets, which are never read here).
 */
const RESOURCE_INPUTS = [
  'tier',
  'cluster',
  'region',
  'bucket',
  'bucketName',
  'secretName',
  'owner',
  'catalogInfoUrl',
  'targetPath',
  'manifest',
  'manifests',
  'operators',
  'rotate',
  'rotateAccessKey',
] as const;

/** The outputs that say what the step did (none carries a secret). */
const RESULT_OUTPUTS = ['action', 'entityRef', 'commitHash', 'created'];

/** Steps without an effect of their own. */
const READ_ONLY = new Set(['logging:environment:validate']);

function pick(
  from: Record<string, unknown>,
  keys: readonly string[],
): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) {
    const value = from[key];
    if (value !== undefined) out[key] = value as JsonValue;
  }
  return out;
}

/**
 * The action with its handler inside an audit event: who (the task's user),
 * what (the action id and the resources its input names), which
 * environment, in which task, and the outcome (`success`, `dry-run` or
 * `failure` with the error). Meta is built only from listed inputs and
 * outputs (see RESOURCE_INPUTS), never from the task's secrets.
 */
export function auditedAction<T extends TemplateAction<any, any, any>>(
  auditor: AuditorService,
  action: T,
): T {
  const handler = async (ctx: ActionContext<any, any, any>) => {
    const input = (ctx.input ?? {}) as Record<string, unknown>;
    const dryRun = Boolean(ctx.isDryRun);
    const environment = input.environment ?? input.name;
    const event = await auditor.createEvent({
      eventId: BOOTSTRAP_AUDIT_EVENT,
      severityLevel: dryRun || READ_ONLY.has(action.id) ? 'low' : 'high',
      meta: {
        action: action.id,
        taskId: ctx.task.id,
        user: ctx.user?.ref ?? 'unknown',
        ...(typeof environment === 'string' ? { environment } : {}),
        resource: pick(input, RESOURCE_INPUTS),
        dryRun,
      },
    });
    const results: Record<string, unknown> = {};
    const output = ctx.output;
    const observed: ActionContext<any, any, any> = {
      ...ctx,
      output: (name: string, value: unknown) => {
        if (RESULT_OUTPUTS.includes(name)) results[name] = value;
        (output as (n: string, v: unknown) => void)(name, value);
      },
    };
    try {
      await action.handler(observed);
    } catch (error) {
      await event.fail({
        error: error as Error,
        meta: { outcome: 'failure' },
      });
      throw error;
    }
    await event.success({
      meta: {
        outcome: dryRun ? 'dry-run' : 'success',
        result: pick(results, RESULT_OUTPUTS),
      },
    });
  };
  return { ...action, handler };
}
