import {
  Approval,
  TierPolicy,
  decisionMessage,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import { voidReason } from './rules';

/** A history entry as the store takes it. */
type HistoryEntry = Parameters<LoggingEnvironmentsStore['addHistory']>[1];

/** The history entry of a recorded decision. */
export function decisionEntry(
  policy: TierPolicy,
  approval: Approval,
): HistoryEntry {
  const title =
    policy.requiredApprovals.find(r => r.role === approval.role)?.title ??
    approval.role;
  return {
    type: approval.decision === 'approve' ? 'approval' : 'rejection',
    actor: approval.actor,
    message: decisionMessage({
      decision: approval.decision,
      roleTitle: title,
      revision: approval.revision,
      comment: approval.comment,
    }),
    details: {
      decision: approval.decision,
      role: approval.role,
      revision: approval.revision,
      approvalId: approval.id,
    },
  };
}

/** The one history entry of decisions voided together for `revision`. */
export function voidedEntry(
  revision: string,
  voided: Approval[],
): HistoryEntry {
  const previous = [...new Set(voided.map(d => shortRevision(d.revision)))];
  // One reason for all: a new commit, unless every one was for this commit.
  const why = voidReason(
    voided.find(d => d.revision !== revision) ?? voided[0],
    revision,
  );
  return {
    type: 'approvals-voided',
    actor: 'system',
    message: `${voided.length} decision${
      voided.length === 1 ? '' : 's'
    } for revision ${previous.join(', ')} voided: ${why}`,
    details: {
      revision,
      count: voided.length,
      previousRevisions: previous.join(','),
    },
  };
}
