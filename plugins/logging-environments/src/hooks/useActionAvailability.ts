import { ResourcePermission } from '@backstage/plugin-permission-common';
import { usePermission } from '@backstage/plugin-permission-react';
import { Availability } from '@internal/plugin-logging-environments-common';

/**
 * Whether the user may take an action now, and if not why: the backend's
 * answer (tier rules, four eyes, checklist, revision) combined with the
 * permission framework's, so a button is never enabled that the backend
 * would refuse. The backend still enforces everything.
 *
 * @internal
 */
export function useActionAvailability(
  backend: Availability | undefined,
  permission: ResourcePermission,
  resourceRef: string,
): Availability & { checking?: boolean } {
  const result = usePermission({ permission, resourceRef });
  if (!backend) return { allowed: false };
  if (result.loading) {
    return {
      allowed: false,
      checking: true,
      reason: 'checking your permissions…',
    };
  }
  if (!result.allowed) {
    const own = result.error
      ? `your permissions could not be checked: ${result.error.message}`
      : `you do not have the ${permission.name} permission for this environment`;
    if (!backend.allowed && backend.reason?.includes(permission.name)) {
      return backend;
    }
    return {
      allowed: false,
      reason:
        !backend.allowed && backend.reason ? `${own}; ${backend.reason}` : own,
    };
  }
  return backend;
}
