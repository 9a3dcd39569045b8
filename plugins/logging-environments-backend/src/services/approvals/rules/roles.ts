import {
  Approval,
  shortRevision,
  requesterRefusalMessage,
} from '@internal/plugin-logging-environments-common';
import { Caller, Environment } from '../../types';
import {
  GateRole,
  GateSnapshot,
  memberOfAny,
  sameRef,
  uniqueRefs,
} from '../gate';
import {
  Decision,
  Refusal,
  conflict,
  notAllowed,
  pastTense,
  sentenceList,
} from './refusal';

// Who may decide in which role: the tier, the roles' groups, four-eyes on
// the requester, and one decision per person, role and revision.

/**
 * Refuses every decision on a tier that requires no approval.
 *
 * @internal
 */
export function tierRefusal(
  environment: Pick<Environment, 'policy' | 'tier'>,
): Refusal | undefined {
  return environment.policy.requiredApprovals.length === 0
    ? conflict(`a ${environment.tier} environment needs no approval`)
    : undefined;
}

/**
 * Whether the tier keeps this user, the environment's requester, from
 * approving it.
 *
 * @internal
 */
export function requesterBarred(
  environment: Pick<Environment, 'policy' | 'requester'>,
  user: string | undefined,
): boolean {
  return (
    !environment.policy.requesterMayApprove &&
    sameRef(user, environment.requester, 'user')
  );
}

/**
 * Why nobody may approve an environment whose tier keeps the requester out
 * when its requester is not known: four-eyes cannot be checked then.
 *
 * @internal
 */
export function unknownRequesterReason(
  environment: Pick<Environment, 'policy' | 'requester' | 'tier'>,
): string | undefined {
  return !environment.policy.requesterMayApprove && !environment.requester
    ? `the requester of this ${environment.tier} environment is not known, so nobody can be checked against it; an administrator must set the requester in its record`
    : undefined;
}

/**
 * Refuses an approval by the requester where the tier keeps them out.
 *
 * @internal
 */
export function requesterRefusal(
  environment: Environment,
  caller: Caller,
): Refusal | undefined {
  return requesterBarred(environment, caller.userEntityRef)
    ? notAllowed(requesterRefusalMessage(environment.tier))
    : undefined;
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
 * Why a caller in none of the roles' groups may not decide.
 *
 * @internal
 */
export function notMemberReason(roles: GateRole[], decision: Decision): string {
  return `you are not a member of a group that may ${decision} this environment (${roles
    .map(r => `${r.title}: ${r.groups.join(' or ')}`)
    .join('; ')})`;
}

/**
 * Refuses a decision in a role whose groups the caller is not in.
 *
 * @internal
 */
export function roleMemberRefusal(
  role: GateRole,
  mine: GateRole[],
  decision: Decision,
): Refusal | undefined {
  if (mine.includes(role)) return undefined;
  return notAllowed(
    `only members of ${role.groups.join(' or ')} may ${
      decision === 'approve'
        ? `give the ${role.title}`
        : `reject as ${role.title}`
    }`,
  );
}

/**
 * The caller's active decisions for the gate's revision, oldest first.
 *
 * @internal
 */
export function decisionsOf(gate: GateSnapshot, caller: Caller): Approval[] {
  return gate.current.filter(d =>
    sameRef(d.actor, caller.userEntityRef, 'user'),
  );
}

/**
 * Refuses a decision opposite to the caller's standing one in its role: a
 * decision is final for its revision.
 *
 * @internal
 */
export function standingRefusal(
  standing: Approval,
  role: GateRole,
  revision: string,
): Refusal {
  return conflict(
    `you already ${pastTense(standing.decision)} revision ${shortRevision(
      revision,
    )} as ${role.title}; a decision stands until the revision changes`,
  );
}

/**
 * Refuses a second role to one person where the tier wants distinct
 * approvers.
 *
 * @internal
 */
export function distinctRefusal(
  environment: Environment,
  gate: GateSnapshot,
  mine: Approval[],
  role: GateRole,
  revision: string,
): Refusal | undefined {
  if (!environment.policy.distinctApprovers) return undefined;
  const other = mine.find(d => d.role !== role.role);
  if (!other) return undefined;
  const otherTitle =
    gate.roles.find(r => r.role === other.role)?.title ?? other.role;
  return notAllowed(
    `one person may fill only one role per revision: you already ${pastTense(
      other.decision,
    )} revision ${shortRevision(revision)} as ${otherTitle}`,
  );
}

/**
 * Refuses an approval in a role someone already gave.
 *
 * @internal
 */
export function givenRefusal(
  gate: GateSnapshot,
  role: GateRole,
  revision: string,
): Refusal | undefined {
  const given = gate.required.find(r => r.role === role.role)?.approval;
  return given
    ? conflict(
        `the ${role.title} is already given by ${
          given.actor
        } for revision ${shortRevision(revision)}`,
      )
    : undefined;
}

/**
 * The roles the caller could still decide in for the gate's revision, or
 * why there is none.
 *
 * @internal
 */
export function openRoles(
  environment: Environment,
  gate: GateSnapshot,
  caller: Caller,
  mine: GateRole[],
  decision: Decision,
): { roles: GateRole[]; refusal?: Refusal } {
  const distinct = environment.policy.distinctApprovers;
  const short = gate.revision ? shortRevision(gate.revision) : '';
  const myDecisions = decisionsOf(gate, caller);
  const filled = new Set(
    gate.required.filter(r => r.approval).map(r => r.role),
  );
  const open = mine.filter(
    r =>
      !myDecisions.some(d => d.role === r.role) &&
      !(distinct && myDecisions.length > 0) &&
      (decision === 'reject' || !filled.has(r.role)),
  );
  if (open.length > 0) return { roles: open };

  const title = (role: string) =>
    gate.roles.find(r => r.role === role)?.title ?? role;
  const last = myDecisions[myDecisions.length - 1];
  if (last) {
    const onlyOne =
      distinct && mine.some(r => r.role !== last.role)
        ? '; one person may fill only one role per revision'
        : '';
    return {
      roles: [],
      refusal: conflict(
        `you already ${pastTense(last.decision)} revision ${short} as ${title(
          last.role,
        )}${onlyOne}`,
      ),
    };
  }
  if (filled.size === gate.roles.length) {
    return {
      roles: [],
      refusal: conflict(
        `nothing left to approve: every required approval is given for revision ${short}`,
      ),
    };
  }
  const missing = gate.required.filter(r => !r.approval);
  return {
    roles: [],
    refusal: notAllowed(
      `the missing ${sentenceList(missing.map(r => r.title))} ${
        missing.length === 1 ? 'is' : 'are'
      } not yours to give (members of ${uniqueRefs(
        missing.flatMap(r => r.groups),
      ).join(' or ')})`,
    ),
  };
}
