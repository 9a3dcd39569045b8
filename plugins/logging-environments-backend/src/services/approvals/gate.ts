import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  Approval,
  ChecklistRun,
  RequiredApprovalStatus,
} from '@internal/plugin-logging-environments-common';
import { Caller, Environment } from '../types';

/**
 * A role of an environment's gate: the tier's required approval, with every
 * group whose members may give it (the tier's group plus the environment's
 * extra approver groups).
 *
 * @internal
 */
export interface GateRole {
  role: string;
  title: string;
  /** Entity refs as written in the policy or on the entity, deduplicated. */
  groups: string[];
}

/**
 * Normalizes an entity ref for comparison: full `kind:namespace/name`,
 * lower case (entity refs compare case-insensitively in Backstage).
 *
 * @internal
 */
export function normalizeRef(ref: string, defaultKind: 'user' | 'group') {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref.trim(), { defaultKind, defaultNamespace: 'default' }),
    ).toLocaleLowerCase('en-US');
  } catch {
    return ref.trim().toLocaleLowerCase('en-US');
  }
}

/** Whether two entity refs name the same entity. */
export function sameRef(
  a: string | undefined,
  b: string | undefined,
  defaultKind: 'user' | 'group',
): boolean {
  if (!a || !b) return false;
  return normalizeRef(a, defaultKind) === normalizeRef(b, defaultKind);
}

/**
 * Drops refs that name the same entity as an earlier one.
 *
 * @internal
 */
export function uniqueRefs(refs: string[]): string[] {
  const seen = new Set<string>();
  return refs.filter(ref => {
    const key = normalizeRef(ref, 'group');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The roles of an environment's gate: each role of the tier's policy (from
 * configuration) with its group, plus the environment's extra approver
 * groups for that role when configuration marks the role extendable. A
 * tier without required approvals has no roles, whatever the extra groups.
 *
 * @internal
 */
export function gateRoles(
  environment: Pick<Environment, 'policy' | 'extraApprovers'>,
): GateRole[] {
  return environment.policy.requiredApprovals.map(r => ({
    role: r.role,
    title: r.title,
    groups: uniqueRefs([
      r.group,
      ...(r.extendable ? environment.extraApprovers?.[r.role] ?? [] : []),
    ]),
  }));
}

/**
 * Every group whose members may approve the environment in some role.
 *
 * @internal
 */
export function approverGroupsOf(
  environment: Pick<Environment, 'policy' | 'extraApprovers'>,
): string[] {
  return uniqueRefs(gateRoles(environment).flatMap(r => r.groups));
}

/**
 * Whether any of the claims (a caller's ownership entity refs) is one of the
 * groups.
 *
 * @internal
 */
export function memberOfAny(claims: string[], groups: string[]): boolean {
  const wanted = new Set(groups.map(g => normalizeRef(g, 'group')));
  return claims.some(c => wanted.has(normalizeRef(c, 'group')));
}

/**
 * The roles the caller may fill: those naming a group among the caller's
 * ownership entity refs.
 *
 * @internal
 */
export function rolesOfCaller(caller: Caller, roles: GateRole[]): GateRole[] {
  return roles.filter(r => memberOfAny(caller.ownershipEntityRefs, r.groups));
}

/**
 * A revision as people read it: the first 7 characters of a commit hash,
 * anything else unchanged.
 *
 * @internal
 */
export function shortRevision(revision: string): string {
  return /^[0-9a-f]{12,}$/i.test(revision) ? revision.slice(0, 7) : revision;
}

/**
 * Whether the revision a caller confirmed is the current one. A caller may
 * pass the full hash or an abbreviation of at least 7 characters.
 *
 * @internal
 */
export function sameRevision(given: string, current: string): boolean {
  const g = given.trim().toLocaleLowerCase('en-US');
  const c = current.toLocaleLowerCase('en-US');
  return g === c || (g.length >= 7 && /^[0-9a-f]+$/.test(g) && c.startsWith(g));
}

/**
 * Why the latest checklist run does not allow an approval of `revision`,
 * or undefined when it does.
 *
 * @remarks
 * `fail` and `unknown` items both block: an approval says "this was
 * verified", and an `unknown` item is one that could not be verified.
 * `warn` items do not block. A run made against another revision is stale:
 * what the new revision deploys was never checked. A run that could not
 * read the revision at all is accepted, since the probes check the cluster
 * and AWS, not the commit.
 *
 * @internal
 */
export function checklistProblem(
  run: ChecklistRun | undefined,
  revision: string | undefined,
): string | undefined {
  if (!run) return 'run the checklist first';
  if (revision && run.revision && !sameRevision(run.revision, revision)) {
    return `the checklist ran against revision ${shortRevision(
      run.revision,
    )}, not ${shortRevision(revision)}; run the checklist again`;
  }
  const failing = run.items.filter(i => i.status === 'fail');
  const unknown = run.items.filter(i => i.status === 'unknown');
  const problems: string[] = [];
  if (failing.length > 0) {
    problems.push(
      `the checklist has failing items (${failing
        .map(i => i.title)
        .join(', ')}); fix them and run the checklist again`,
    );
  }
  if (unknown.length > 0) {
    problems.push(
      `the checklist could not verify ${unknown
        .map(i => i.title)
        .join(
          ', ',
        )}; what could not be verified cannot be approved, run the checklist again`,
    );
  }
  if (
    problems.length === 0 &&
    (run.status === 'fail' || run.status === 'unknown')
  ) {
    problems.push(`the latest checklist run did not pass (${run.status})`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * The gate computed from the decisions, for one revision.
 *
 * @internal
 */
export interface GateSnapshot {
  revision?: string;
  roles: GateRole[];
  /** Every decision, newest first, voided ones included. */
  decisions: Approval[];
  /** Active decisions for `revision`, oldest first. */
  current: Approval[];
  required: RequiredApprovalStatus[];
  rejected?: Approval;
  complete: boolean;
}

/**
 * Computes the gate of an environment for what its Applications say now
 * (commit, binding, problems) from its decisions (newest first, as the
 * store lists them). Only decisions for this commit and this binding count.
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
  decisions: Approval[],
): GateSnapshot {
  const roles = gateRoles(environment);
  const { policy } = environment;
  const roleNames = new Set(roles.map(r => r.role));
  const revision = at?.revision;
  const current = revision
    ? [...decisions]
        .reverse()
        .filter(
          d =>
            !d.voidedReason &&
            d.revision === revision &&
            d.binding === at?.binding,
        )
    : [];

  const filled = new Map<string, Approval>();
  const counted = new Set<string>();
  for (const d of current) {
    if (d.decision !== 'approve' || !roleNames.has(d.role)) continue;
    if (filled.has(d.role)) continue;
    const actor = normalizeRef(d.actor, 'user');
    if (
      !policy.requesterMayApprove &&
      sameRef(d.actor, environment.requester, 'user')
    ) {
      continue;
    }
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
    (at?.problems ?? []).length === 0 &&
    (policy.requesterMayApprove || Boolean(environment.requester));
  const complete =
    usable &&
    (roles.length === 0 ||
      (revision !== undefined && filled.size === roles.length && !rejected));
  return { revision, roles, decisions, current, required, rejected, complete };
}
