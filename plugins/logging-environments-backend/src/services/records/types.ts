/**
 * What callers bring to the record service's decisions: who they are, what
 * the permission policy grants them, and what an administrator changes.
 */
import { Caller } from '../types';

/** What a caller brings to a record decision. */
export interface RecordCaller extends Caller {
  /** Whether the permission policy grants `logging.environment.create`. */
  mayCreate?: boolean;
  /** Whether the permission policy grants `logging.environment.administer`. */
  mayAdminister?: boolean;
  /**
   * The plugin that called on the user's behalf (the subject of the
   * token's actor, e.g. `plugin:scaffolder`); absent for a user's own call.
   */
  via?: string;
}

/** What an administrator may change in a record. */
export interface RecordChange {
  tier?: string;
  owner?: string;
  requester?: string;
  approverGroups?: string[];
  /** Why, in words; recorded in the history. */
  reason: string;
}
