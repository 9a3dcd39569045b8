import {
  Approval,
  Availability,
  ChecklistRun,
  loggingEnvironmentApprovePermission,
} from '@internal/plugin-logging-environments-common';
import { CurrentRevision } from '../../revision/binding';
import { Caller, Environment, PendingReview } from '../../types';
import { GateRole, GateSnapshot, gateRoles, uniqueRefs } from '../gate';
import { Decision, Refusal, conflict, invalid, notAllowed } from './refusal';
import {
  applicationsRefusal,
  checklistProblem,
  reviewedRevisionRefusal,
} from './revision';
import {
  decisionsOf,
  distinctRefusal,
  givenRefusal,
  notMemberReason,
  openRoles,
  requesterRefusal,
  roleMemberRefusal,
  rolesOfCaller,
  standingRefusal,
  tierRefusal,
  unknownRequesterReason,
} from './roles';

// The questions asked of the rules: "what may this caller do now"
// (availabilityOf), "may this decision be recorded" (evaluateDecision) and
// "who must review now" (pendingReviewOf). They only combine the rules.

/** Longest comment a decision may carry (the API says the same). */
const MAX_COMMENT_LENGTH = 2000;

/**
 * What the rules need to know about an environment, read beforehand.
 *
 * @internal
 */
export interface GateContext {
  environment: Environment;
  current: CurrentRevision;
  gate: GateSnapshot;
  /** The latest checklist run. */
  checklist?: ChecklistRun;
}

/**
 * Whether the caller may approve / reject now, and every reason why not.
 *
 * @internal
 */
export function availabilityOf(
  { environment, current, gate, checklist }: GateContext,
  caller: Caller,
  allowedByPermission: boolean,
): { approve: Availability; reject: Availability } {
  const none = tierRefusal(environment);
  if (none) {
    const refused = { allowed: false, reason: none.reason };
    return { approve: refused, reject: refused };
  }
  const approve: string[] = [];
  const reject: string[] = [];
  const both = (reason: string | undefined) => {
    if (!reason) return;
    approve.push(reason);
    reject.push(reason);
  };
  if (!allowedByPermission) {
    both(
      `you do not have the ${loggingEnvironmentApprovePermission.name} permission for this environment`,
    );
  }
  both(applicationsRefusal(current)?.reason);
  const unknown = unknownRequesterReason(environment);
  if (unknown) approve.push(unknown);
  const requester = requesterRefusal(environment, caller);
  if (requester) approve.push(requester.reason);
  const mine = rolesOfCaller(caller, gate.roles);
  if (mine.length === 0) {
    approve.push(notMemberReason(gate.roles, 'approve'));
    reject.push(notMemberReason(gate.roles, 'reject'));
  } else if (current.revision) {
    for (const [decision, reasons] of [
      ['approve', approve],
      ['reject', reject],
    ] as const) {
      const open = openRoles(environment, gate, caller, mine, decision);
      if (open.refusal) reasons.push(open.refusal.reason);
    }
  }
  const problem = checklistProblem(checklist, current.revision);
  if (problem) approve.push(problem);

  const availability = (reasons: string[]): Availability =>
    reasons.length === 0
      ? { allowed: true }
      : { allowed: false, reason: reasons.join('; ') };
  return { approve: availability(approve), reject: availability(reject) };
}

/**
 * A decision as a caller asks for it.
 *
 * @internal
 */
export interface DecisionInput {
  decision: Decision;
  /** May be left out when exactly one still-open role is the caller's. */
  role?: string;
  comment: string;
  /** The revision the caller reviewed. */
  revision?: string;
}

/**
 * The judgement of a decision: a refusal, with what it was judged for as far
 * as the rules got (for the audit event), or the revision and role to record
 * it for (or the standing identical decision it repeats, a no-op).
 *
 * @internal
 */
export type DecisionVerdict =
  | { refusal: Refusal; revision?: string; role?: GateRole }
  | {
      refusal?: undefined;
      revision: string;
      role: GateRole;
      /** The comment, trimmed. */
      comment: string;
      repeat?: Approval;
    };

/**
 * Refuses what can be refused from the request alone, before anything is
 * read: a malformed decision or comment, a tier without approvals, an
 * unknown role.
 *
 * @internal
 */
export function requestRefusal(
  environment: Pick<Environment, 'policy' | 'tier' | 'extraApprovers'>,
  input: DecisionInput,
): Refusal | undefined {
  if (input.decision !== 'approve' && input.decision !== 'reject') {
    return invalid('decision must be "approve" or "reject"');
  }
  if (input.comment !== undefined && typeof input.comment !== 'string') {
    return invalid('comment must be a string');
  }
  const comment = (input.comment ?? '').trim();
  if (comment.length > MAX_COMMENT_LENGTH) {
    return invalid(`comment must be at most ${MAX_COMMENT_LENGTH} characters`);
  }
  if (input.decision === 'reject' && comment.length === 0) {
    return invalid('a rejection needs a comment saying why');
  }
  const none = tierRefusal(environment);
  if (none) return none;
  const roles = gateRoles(environment);
  if (input.role !== undefined && !roles.some(r => r.role === input.role)) {
    return invalid(
      `role "${input.role}" is not a role of the ${
        environment.tier
      } tier; choose one of: ${roles.map(r => r.role).join(', ')}`,
    );
  }
  return undefined;
}

/**
 * Settles the role of a decision: the one named (if the caller is in its
 * groups), else the caller's only open role, else the role of the same
 * decision standing (a second click); or refuses.
 */
function decisionRole(
  { environment, gate }: GateContext,
  caller: Caller,
  input: DecisionInput,
): { role: GateRole } | { refusal: Refusal } {
  const { decision } = input;
  const roles = gate.roles;
  const mine = rolesOfCaller(caller, roles);
  if (input.role !== undefined) {
    const role = roles.find(r => r.role === input.role)!;
    const refusal = roleMemberRefusal(role, mine, decision);
    return refusal ? { refusal } : { role };
  }
  if (mine.length === 0) {
    return { refusal: notAllowed(notMemberReason(roles, decision)) };
  }
  const open = openRoles(environment, gate, caller, mine, decision);
  if (open.roles.length === 1) return { role: open.roles[0] };
  if (open.roles.length > 1) {
    return {
      refusal: invalid(
        `say which role you ${decision} as: role must be one of ${open.roles
          .map(r => `${r.role} (${r.title})`)
          .join(', ')}`,
      ),
    };
  }
  const repeated = decisionsOf(gate, caller).find(
    d => d.decision === decision && mine.some(r => r.role === d.role),
  );
  if (repeated) return { role: roles.find(r => r.role === repeated.role)! };
  return { refusal: open.refusal! };
}

/**
 * Judges a decision against every rule, in this order: the request (see
 * {@link requestRefusal}), the Applications and the revision (the one the
 * caller reviewed must be the current one), four-eyes on the requester, the
 * caller's role, one decision per person, role and revision
 * (`distinctApprovers`: one role per person), a role already given, and a
 * passing checklist for approvals.
 *
 * @internal
 */
export function evaluateDecision(
  context: GateContext,
  caller: Caller,
  input: DecisionInput,
): DecisionVerdict {
  const { environment, current, gate, checklist } = context;
  const refused = (
    refusal: Refusal,
    judged: { revision?: string; role?: GateRole } = {},
  ): DecisionVerdict => ({ ...judged, refusal });

  const first =
    requestRefusal(environment, input) ?? applicationsRefusal(current);
  if (first) return refused(first);
  const revision = current.revision!;
  const approving = input.decision === 'approve';
  const unknown = unknownRequesterReason(environment);
  const early =
    reviewedRevisionRefusal(input.revision, revision) ??
    (approving ? requesterRefusal(environment, caller) : undefined) ??
    (approving && unknown ? conflict(unknown) : undefined);
  if (early) return refused(early, { revision });

  const chosen = decisionRole(context, caller, input);
  if ('refusal' in chosen) return refused(chosen.refusal, { revision });
  const { role } = chosen;
  const judged = { revision, role };
  const comment = (input.comment ?? '').trim();
  const mine = decisionsOf(gate, caller);
  const standing = mine.find(d => d.role === role.role);
  if (standing?.decision === input.decision) {
    return { ...judged, comment, repeat: standing };
  }
  const refusal =
    (standing ? standingRefusal(standing, role, revision) : undefined) ??
    distinctRefusal(environment, gate, mine, role, revision) ??
    (approving ? givenRefusal(gate, role, revision) : undefined);
  if (refusal) return refused(refusal, judged);
  const problem = approving ? checklistProblem(checklist, revision) : undefined;
  return problem ? refused(conflict(problem), judged) : { ...judged, comment };
}

/**
 * The refusal of a decision that lost a race to the caller's opposite
 * decision in the same role and revision (recorded on another replica).
 *
 * @internal
 */
export function lostRaceRefusal(recorded: Approval, role: GateRole): Refusal {
  return standingRefusal(recorded, role, recorded.revision);
}

/**
 * Who the environment waits for at its current revision, or why nobody:
 * approvers hear about a revision when they can act on it (a passing
 * checklist, no standing rejection), and only about the roles still missing.
 *
 * @internal
 */
export function pendingReviewOf({
  environment,
  gate,
  checklist,
}: GateContext): PendingReview {
  const nobody = (reason: string): PendingReview => ({
    waiting: false,
    reason,
  });
  const none = tierRefusal(environment);
  if (none) return nobody(none.reason);
  const revision = gate.revision;
  if (!revision) return nobody('the revision to sync is not known yet');
  if (gate.rejected) return nobody('a rejection stands for this revision');
  if (gate.complete) return nobody('every required approval is given');
  const problem = checklistProblem(checklist, revision);
  if (problem) return nobody(problem);
  return {
    waiting: true,
    revision,
    roles: gate.required
      .filter(r => !r.approval)
      .map(({ role, title, groups }) => ({ role, title, groups })),
    // Who may not give the missing approvals: the requester where the tier
    // keeps them out, and, with distinct approvers, who already decided.
    exclude: uniqueRefs([
      ...(!environment.policy.requesterMayApprove && environment.requester
        ? [environment.requester]
        : []),
      ...(environment.policy.distinctApprovers
        ? gate.current.map(d => d.actor)
        : []),
    ]),
  };
}
