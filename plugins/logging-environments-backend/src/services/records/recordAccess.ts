/**
 * Who may act on a record, whatever the permission policy allows:
 * administrators (members of a configured group who also hold
 * `logging.environment.administer`), and those who may run an
 * environment's bootstrap (its requester, members of its owner group, and
 * administrators).
 */
import { InputError, NotAllowedError } from '@backstage/errors';
import { EnvironmentRecord } from '@internal/plugin-logging-environments-common';
import { memberOfAny, sameRef } from '../approvals/gate';
import { RecordCaller } from './types';

/** Whether the caller is an administrator: a configured group and the permission. */
export function isAdministrator(
  caller: RecordCaller,
  administrators: string[],
): boolean {
  return (
    caller.mayAdminister === true &&
    memberOfAny(caller.ownershipEntityRefs, administrators)
  );
}

/** NotAllowedError unless the caller is an administrator; `what` says for what. */
export function assertAdministrator(
  caller: RecordCaller,
  administrators: string[],
  what: string,
): void {
  if (!isAdministrator(caller, administrators)) {
    throw new NotAllowedError(
      `only an administrator may ${what} (a member of ${
        administrators.join(' or ') || 'a configured group'
      } with the permission logging.environment.administer; loggingEnvironments.administrators)`,
    );
  }
}

/** NotAllowedError unless the caller may run the environment's bootstrap. */
export function assertBootstrapper(
  record: EnvironmentRecord,
  caller: RecordCaller,
  administrators: string[],
): void {
  if (
    sameRef(caller.userEntityRef, record.requester, 'user') ||
    memberOfAny(caller.ownershipEntityRefs, [record.owner]) ||
    isAdministrator(caller, administrators)
  ) {
    return;
  }
  throw new NotAllowedError(
    `only the requester of ${record.name} (${record.requester}), members of its owner group (${record.owner}) or an administrator may run its bootstrap`,
  );
}

/**
 * The reason an administrator gave, trimmed; InputError when there is none
 * (`why` completes "say why ...").
 */
export function requiredReason(
  reason: string | undefined,
  why: string,
): string {
  const trimmed = (reason ?? '').trim();
  if (!trimmed) throw new InputError(`reason: say why ${why}`);
  return trimmed;
}

/** The plugin whose tasks run bootstraps: the only one that links a task. */
export const BOOTSTRAP_RUNNER = 'plugin:scaffolder';

/**
 * The scaffolder task a bootstrap call comes from, for the history: only
 * the scaffolder, calling on the user's behalf, names one (it puts the id
 * of the task it runs); a user calling the API directly could name any
 * task, so the history would prove nothing. Refused whatever the
 * permission policy allows.
 */
export function bootstrapTask(
  caller: RecordCaller,
  taskId: string | undefined,
): string | undefined {
  if (taskId === undefined) return undefined;
  if (caller.via !== BOOTSTRAP_RUNNER) {
    throw new NotAllowedError(
      'taskId: only the scaffolder, running a bootstrap task on your behalf, may link its task to the history',
    );
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(taskId)) {
    throw new InputError('taskId: must be a scaffolder task id');
  }
  return taskId;
}
