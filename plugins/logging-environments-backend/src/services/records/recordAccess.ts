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
