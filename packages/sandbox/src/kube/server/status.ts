/**
 * The status subresource: writes to `/status` change only `status`, and
 * writes to the main resource of a type with the subresource leave the
 * stored `status` as it is.
 */
import { ValidateOptions } from '../admission';
import { KubeObject } from '../types';
import { ResourceRequest, ServerContext, WriteResult } from './context';

/**
 * Gives the object a main-resource write would store the stored status
 * (none if there is none), for types with the status subresource.
 */
export function keepStoredStatus(
  r: ResourceRequest,
  o: KubeObject,
  stored: KubeObject | undefined,
) {
  if (!r.type.statusSubresource) return;
  if (stored?.status === undefined) delete o.status;
  else o.status = structuredClone(stored.status);
}

/**
 * Writes `status` (none: removes it) over the stored object, validated
 * first; with `dryRun` only validates. `resourceVersion` is the one the
 * store checks (none: no optimistic locking).
 */
export function writeStatus(
  ctx: ServerContext,
  r: ResourceRequest,
  stored: KubeObject,
  status: unknown,
  options: {
    dryRun: boolean;
    resourceVersion: string | undefined;
    validate?: ValidateOptions;
  },
): WriteResult {
  const next: KubeObject = { ...stored, status };
  if (status === undefined) delete next.status;
  const { warnings } = ctx.admission.validate(r.type, next, options.validate);
  if (options.dryRun) return { body: next, warnings };
  next.metadata = {
    ...stored.metadata,
    resourceVersion: options.resourceVersion,
  };
  return { body: ctx.store.updateStatus(next), warnings };
}
