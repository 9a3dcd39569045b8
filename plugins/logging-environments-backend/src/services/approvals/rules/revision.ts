import {
  Approval,
  ChecklistRun,
  matchesRevision,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import { CurrentRevision } from '../../revision/binding';
import { Refusal, conflict } from './refusal';

// What a decision binds to: the commit and the binding of the Applications,
// and a checklist run made for that commit.

/**
 * Whether a decision was made for exactly this commit and binding.
 *
 * @internal
 */
export function isBoundTo(
  decision: Approval,
  at: { revision?: string; binding?: string },
): boolean {
  return (
    at.revision !== undefined &&
    decision.revision === at.revision &&
    decision.binding === at.binding
  );
}

/**
 * Why a decision bound to another commit or binding than `revision` (and
 * its binding) stops counting.
 *
 * @internal
 */
export function voidReason(
  decision: Pick<Approval, 'revision'>,
  revision: string,
): string {
  return decision.revision !== revision
    ? `superseded by revision ${shortRevision(revision)}`
    : "the Applications' source, project or sync policy changed";
}

/**
 * Why an active decision no longer counts for what the Applications say now,
 * or undefined when it still does (or nothing is known to compare with).
 *
 * @internal
 */
export function staleReason(
  decision: Approval,
  at: { revision?: string; binding?: string },
): string | undefined {
  if (!at.revision || decision.voidedReason || isBoundTo(decision, at)) {
    return undefined;
  }
  return voidReason(decision, at.revision);
}

/**
 * Refuses any decision while the Applications do not match the record or
 * the revision they would sync is not known.
 *
 * @internal
 */
export function applicationsRefusal(
  current: CurrentRevision,
): Refusal | undefined {
  if (current.problems.length > 0) {
    return conflict(
      `the Applications do not match the environment's record: ${current.problems.join(
        '; ',
      )}`,
    );
  }
  return current.revision
    ? undefined
    : conflict('the revision to sync is not known yet');
}

/**
 * Refuses a decision on another revision than the caller reviewed.
 *
 * @internal
 */
export function reviewedRevisionRefusal(
  reviewed: string | undefined,
  revision: string,
): Refusal | undefined {
  if (reviewed === undefined || matchesRevision(reviewed, revision)) {
    return undefined;
  }
  return conflict(
    `the revision changed from ${shortRevision(reviewed)} to ${shortRevision(
      revision,
    )}; re-run the checklist and review again`,
  );
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
  if (revision && run.revision && !matchesRevision(run.revision, revision)) {
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
