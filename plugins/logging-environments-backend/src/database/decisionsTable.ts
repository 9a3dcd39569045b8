/**
 * The `decisions` table: approvals and rejections, with the rule that an
 * environment has at most one active decision per actor, role, revision and
 * binding (a unique index on the nullable `active_key`), and the voiding of
 * decisions a new revision or binding makes stale. Part of
 * DatabaseLoggingEnvironmentsStore.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ConflictError } from '@backstage/errors';
import { Approval } from '@internal/plugin-logging-environments-common';
import { Knex } from 'knex';
import { DbTimestamp, isUniqueViolation, newestFirst, toIso } from './util';

type DecisionRow = {
  id: string;
  environment_ref: string;
  decision: Approval['decision'];
  role: string;
  actor: string;
  comment: string;
  revision: string;
  binding: string | null;
  created_at: DbTimestamp;
  voided_at: DbTimestamp | null;
  voided_reason: string | null;
  active_key: string | null;
};

/** The key of an active decision; a hash keeps it short and unambiguous. */
function decisionKey(
  environmentRef: string,
  d: { actor: string; role: string; revision: string; binding?: string },
): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        environmentRef,
        d.actor,
        d.role,
        d.revision,
        ...(d.binding ? [d.binding] : []),
      ]),
    )
    .digest('hex');
}

function toApproval(row: DecisionRow): Approval {
  return {
    id: row.id,
    decision: row.decision,
    role: row.role,
    actor: row.actor,
    comment: row.comment,
    revision: row.revision,
    ...(row.binding ? { binding: row.binding } : {}),
    createdAt: toIso(row.created_at),
    ...(row.voided_at !== null && {
      voidedReason: row.voided_reason ?? '',
    }),
  };
}

/**
 * Records a decision, or returns the identical active one
 * (`created: false`) when it exists already.
 */
export async function addDecision(
  db: Knex,
  environmentRef: string,
  decision: Omit<Approval, 'id' | 'createdAt' | 'voidedReason'>,
): Promise<{ created: boolean; approval: Approval }> {
  const activeKey = decisionKey(environmentRef, decision);
  // A duplicate may be voided between our failed insert and our read; then
  // the insert can succeed on the next attempt.
  for (let attempt = 0; attempt < 3; attempt++) {
    const row: DecisionRow = {
      id: randomUUID(),
      environment_ref: environmentRef,
      decision: decision.decision,
      role: decision.role,
      actor: decision.actor,
      comment: decision.comment,
      revision: decision.revision,
      binding: decision.binding ?? null,
      created_at: new Date(),
      voided_at: null,
      voided_reason: null,
      active_key: activeKey,
    };
    try {
      await db<DecisionRow>('decisions').insert(row);
      return { created: true, approval: toApproval(row) };
    } catch (error) {
      if (!isUniqueViolation(error)) {
        throw error;
      }
    }
    const existing = await db<DecisionRow>('decisions')
      .where({ active_key: activeKey })
      .first();
    if (existing) {
      return { created: false, approval: toApproval(existing) };
    }
  }
  throw new ConflictError(
    `Could not record the decision of ${decision.actor} as ${decision.role} on ${environmentRef}: it kept conflicting with concurrent changes, try again`,
  );
}

/** Every decision of an environment, newest first, voided ones included. */
export async function listDecisions(
  db: Knex,
  environmentRef: string,
): Promise<Approval[]> {
  const rows = await db<DecisionRow>('decisions')
    .where({ environment_ref: environmentRef })
    .orderBy(newestFirst('created_at'));
  return rows.map(toApproval);
}

/**
 * Voids the active decisions made for another revision or binding than
 * `current`, each with its reason; returns them, newest first.
 */
export async function voidDecisionsNotFor(
  db: Knex,
  environmentRef: string,
  current: { revision: string; binding: string },
  reason: (voided: Approval) => string,
): Promise<Approval[]> {
  return db.transaction(async tx => {
    const stale = await tx<DecisionRow & { seq: number }>('decisions')
      .where({ environment_ref: environmentRef })
      .whereNotNull('active_key')
      .andWhere(q =>
        q
          .whereNot({ revision: current.revision })
          .orWhereNull('binding')
          .orWhereNot({ binding: current.binding }),
      );
    const voided: Array<{
      row: DecisionRow & { seq: number };
      approval: Approval;
    }> = [];
    const now = new Date();
    for (const row of stale) {
      const why = reason(toApproval(row));
      // Only if it is still active: a concurrent call may have voided it.
      const updated = await tx('decisions')
        .where({ id: row.id })
        .whereNotNull('active_key')
        .update({ active_key: null, voided_at: now, voided_reason: why });
      if (updated > 0) {
        voided.push({
          row,
          approval: toApproval({
            ...row,
            active_key: null,
            voided_at: now,
            voided_reason: why,
          }),
        });
      }
    }
    // Newest first, like listDecisions.
    return voided
      .sort(
        (a, b) =>
          b.approval.createdAt.localeCompare(a.approval.createdAt) ||
          b.row.seq - a.row.seq,
      )
      .map(({ approval }) => approval);
  });
}
