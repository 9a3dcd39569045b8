/**
 * The extra approver groups of a record: which approval roles of a tier
 * take them (those configuration marks extendable), and the groups a
 * record names whatever the role.
 */
import {
  FieldProblem,
  Tier,
  TierPolicy,
} from '@internal/plugin-logging-environments-common';
import { normalizeRef } from '../approvals/gate';
import { normalizeGroupRef } from '../environments/tierPolicies';

/** Every group of a record's extra approvers, once. */
export function groupsOf(extra: Record<string, string[]>): string[] {
  return [...new Set(Object.values(extra).flat())];
}

/** Whether two lists name the same groups, in any order or spelling. */
export function sameGroups(a: string[], b: string[]): boolean {
  const x = new Set(a.map(r => normalizeRef(r, 'group')));
  const y = new Set(b.map(r => normalizeRef(r, 'group')));
  return x.size === y.size && [...x].every(v => y.has(v));
}

/**
 * The extra approver groups by role: every given group goes to each role
 * of the tier that configuration marks extendable. Groups given for a
 * tier without such a role are a problem of the field, as is anything
 * that is not a group ref; problems are added to `problems`.
 */
export function extraApprovers(
  policies: Record<Tier, TierPolicy>,
  tier: Tier,
  groups: unknown,
  problems: FieldProblem[],
): Record<string, string[]> {
  if (!Array.isArray(groups)) {
    problems.push({
      field: 'approverGroups',
      message: 'must be a list of group entity refs',
    });
    return {};
  }
  const refs: string[] = [];
  groups.forEach((g, i) => {
    const ref =
      typeof g === 'string'
        ? normalizeGroupRef(g)
        : ({ ok: false, problem: 'must be a string' } as const);
    if (!ref.ok) {
      problems.push({ field: `approverGroups[${i}]`, message: ref.problem });
    } else if (!refs.includes(ref.ref)) refs.push(ref.ref);
  });
  if (refs.length === 0) return {};
  const extendable = policies[tier].requiredApprovals.filter(r => r.extendable);
  if (extendable.length === 0) {
    problems.push({
      field: 'approverGroups',
      message: `the ${tier} tier has no approval role that accepts extra groups (configuration decides which roles do: loggingEnvironments.tiers.${tier}.requiredApprovals[].extendable)`,
    });
    return {};
  }
  return Object.fromEntries(extendable.map(r => [r.role, [...refs]]));
}
