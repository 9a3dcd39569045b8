import { Approval } from '@internal/plugin-logging-environments-common';
import { Environment } from '../../types';
import { GateSnapshot, gateRoles, normalizeRef } from '../gate';
import { isBoundTo, staleReason } from './revision';
import { requesterBarred, unknownRequesterReason } from './roles';

/**
 * Computes the gate of an environment for what its Applications say now
 * (commit, binding, problems) from its decisions (newest first, as the
 * store lists them). Only decisions for this commit and this binding count;
 * the others are shown with the reason they are (or will be) voided.
 *
 * @remarks
 * Approvals count in the order they were given. With `distinctApprovers`
 * a person fills at most one role, even if two of their approvals in two
 * roles slipped in concurrently (on two replicas); with
 * `requesterMayApprove: false` the requester's approvals never count.
 * Any active rejection for the revision, in a role of the tier, stands and
 * makes the gate incomplete.
 *
 * @internal
 */
export function computeGate(
  environment: Pick<
    Environment,
    'policy' | 'extraApprovers' | 'requester' | 'tier'
  >,
  at: { revision?: string; binding?: string; problems?: string[] } | undefined,
  stored: Approval[],
): GateSnapshot {
  const roles = gateRoles(environment);
  const { policy } = environment;
  const roleNames = new Set(roles.map(r => r.role));
  const revision = at?.revision;
  const decisions = stored.map(d => {
    const voidedReason = at && staleReason(d, at);
    return voidedReason ? { ...d, voidedReason } : d;
  });
  const current = [...decisions]
    .reverse()
    .filter(d => !d.voidedReason && at && isBoundTo(d, at));

  const filled = new Map<string, Approval>();
  const counted = new Set<string>();
  for (const d of current) {
    if (d.decision !== 'approve' || !roleNames.has(d.role)) continue;
    if (filled.has(d.role)) continue;
    if (requesterBarred(environment, d.actor)) continue;
    const actor = normalizeRef(d.actor, 'user');
    if (policy.distinctApprovers && counted.has(actor)) continue;
    filled.set(d.role, d);
    counted.add(actor);
  }

  const rejections = current.filter(
    d => d.decision === 'reject' && roleNames.has(d.role),
  );
  const rejected = rejections[rejections.length - 1];
  const required = roles.map(r => ({
    role: r.role,
    title: r.title,
    groups: r.groups,
    approval: filled.get(r.role),
  }));
  // Nothing passes while the Applications do not match the record, and a
  // tier that keeps the requester out needs to know who that is.
  const usable =
    (at?.problems ?? []).length === 0 && !unknownRequesterReason(environment);
  const complete =
    usable &&
    (roles.length === 0 ||
      (revision !== undefined && filled.size === roles.length && !rejected));
  return { revision, roles, decisions, current, required, rejected, complete };
}
