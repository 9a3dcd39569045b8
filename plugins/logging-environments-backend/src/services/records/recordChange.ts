/**
 * An administrator's change of a record's tier, owner, requester or extra
 * approver groups, checked: the patch it makes and the words for the
 * history, or InputError naming every bad field.
 */
import { InputError } from '@backstage/errors';
import {
  EnvironmentRecord,
  FieldProblem,
  TIERS,
  Tier,
  TierPolicy,
  formatProblems,
  isTier,
} from '@internal/plugin-logging-environments-common';
import { normalizeRef, sameRef } from '../approvals/gate';
import { normalizeGroupRef } from '../environments/tierPolicies';
import { extraApprovers, groupsOf } from './approverGroups';
import { RecordChange } from './types';

/**
 * What a change does to a record: only the fields that differ, each said
 * in words (`said` is empty when nothing changes). A new tier re-applies
 * the extra approver groups to that tier's extendable roles.
 */
export function planRecordChange(
  record: EnvironmentRecord,
  change: Omit<RecordChange, 'reason'>,
  policies: Record<Tier, TierPolicy>,
): { patch: Partial<EnvironmentRecord>; said: string[] } {
  const problems: FieldProblem[] = [];
  const patch: Partial<EnvironmentRecord> = {};
  const said: string[] = [];
  if (change.tier !== undefined) {
    if (!isTier(change.tier)) {
      problems.push({
        field: 'tier',
        message: `must be one of ${TIERS.join(', ')}`,
      });
    } else if (change.tier !== record.tier) {
      patch.tier = change.tier;
      said.push(`tier ${record.tier} -> ${change.tier}`);
    }
  }
  if (change.owner !== undefined) {
    const owner = normalizeGroupRef(change.owner);
    if (!owner.ok) problems.push({ field: 'owner', message: owner.problem });
    else if (!sameRef(owner.ref, record.owner, 'group')) {
      patch.owner = owner.ref;
      said.push(`owner ${record.owner} -> ${owner.ref}`);
    }
  }
  if (change.requester !== undefined) {
    const requester = normalizeRef(change.requester, 'user');
    if (!/^user:/.test(requester)) {
      problems.push({
        field: 'requester',
        message: 'must be a user entity ref',
      });
    } else if (!sameRef(requester, record.requester, 'user')) {
      patch.requester = requester;
      said.push(`requester ${record.requester} -> ${requester}`);
    }
  }
  const tier = (patch.tier ?? record.tier) as Tier;
  if (change.approverGroups !== undefined || patch.tier) {
    const extra = extraApprovers(
      policies,
      tier,
      change.approverGroups ?? groupsOf(record.extraApprovers),
      problems,
    );
    if (JSON.stringify(extra) !== JSON.stringify(record.extraApprovers)) {
      patch.extraApprovers = extra;
      said.push(
        `extra approver groups ${groupsOf(extra).join(', ') || '(none)'}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new InputError(`Invalid record change: ${formatProblems(problems)}`);
  }
  return { patch, said };
}
