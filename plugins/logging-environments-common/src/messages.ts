// The backend's words that the frontend's dev app and fixtures show too:
// one home, so what a component test or the dev app asserts is what the
// backend says, not a copy that drifts.
import { shortRevision } from './revision';
import { Tier } from './tiers';

/**
 * The history message of an approval decision: `Approved as Security
 * review for revision a1b2c3d: reviewed`.
 *
 * @public
 */
export function decisionMessage(decision: {
  decision: 'approve' | 'reject';
  /** The title of the role (its id when the policy has no title for it). */
  roleTitle: string;
  revision: string;
  comment?: string;
}): string {
  return `${decision.decision === 'approve' ? 'Approved' : 'Rejected'} as ${
    decision.roleTitle
  } for revision ${shortRevision(decision.revision)}${
    decision.comment ? `: ${decision.comment}` : ''
  }`;
}

/**
 * Why the requester of an environment may not approve it.
 *
 * @public
 */
export function requesterRefusalMessage(tier: Tier): string {
  return `the requester of a ${tier} environment cannot approve it`;
}

/**
 * Why a catalog entity without a trusted record is not an environment.
 *
 * @public
 */
export function notRegisteredMessage(entityRef: string): string {
  return `${entityRef} is not a registered logging environment: no trusted record exists for it. Records are written only by the bootstrap (the "New logging environment" template) and by administrators; a catalog entity alone never makes an environment.`;
}

/**
 * One way an entity's annotation disagrees with the environment's record.
 *
 * @public
 */
export function annotationMismatchMessage(
  key: string,
  given: string,
  recorded: string,
): string {
  return `annotation ${key} says "${given}", the record says "${recorded}"`;
}

/**
 * Why nothing acts on an entity that disagrees with its record.
 *
 * @public
 */
export function recordMismatchMessage(
  entityRef: string,
  mismatches: string[],
): string {
  return `${entityRef} does not match its record, so nothing acts on it: ${mismatches.join(
    '; ',
  )}`;
}
