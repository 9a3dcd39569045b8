import {
  Approval,
  ApprovalState,
  normalizeEntityRef,
} from '@internal/plugin-logging-environments-common';
import { Environment } from '../types';

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
 * Normalizes a user or group ref for comparison (see `normalizeEntityRef`);
 * what is not an entity ref compares as itself, trimmed and lower case.
 *
 * @internal
 */
export function normalizeRef(ref: string, defaultKind: 'user' | 'group') {
  const trimmed = ref.trim();
  return (
    normalizeEntityRef(trimmed, { defaultKind }) ??
    trimmed.toLocaleLowerCase('en-US')
  );
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
 * The gate computed from the decisions, for one revision.
 *
 * @internal
 */
export interface GateSnapshot extends ApprovalState {
  roles: GateRole[];
  /**
   * Every decision, newest first, voided ones included; one bound to
   * another commit or binding reads as voided even before it is.
   */
  decisions: Approval[];
  /** Active decisions for `revision`, oldest first. */
  current: Approval[];
}
