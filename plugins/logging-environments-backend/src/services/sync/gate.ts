import { ApprovalState } from '@internal/plugin-logging-environments-common';
import { StoredSyncRun } from '../../database/LoggingEnvironmentsStore';
import { ApprovalService, Environment, RevisionSource } from '../types';
import { sameRevision, short } from './revision';
import { readRunData } from './runData';

/** Whether an environment may be synced now, and at which revision. */
export type GateResult =
  | { ok: true; revision: string; binding: string }
  | { ok: false; reason: string };

/**
 * The sync's approval gate: the Applications match the environment's
 * record, nothing is rejected, every required approval is given, and the
 * approvals are for the revision the Applications track now.
 */
export class SyncGate {
  private readonly approvals: Pick<ApprovalService, 'state'>;
  private readonly revisions: RevisionSource;
  private readonly getEnvironment: (
    entityRef: string,
  ) => Promise<Environment | undefined>;

  constructor(options: {
    approvals: Pick<ApprovalService, 'state'>;
    revisions: RevisionSource;
    getEnvironment: (entityRef: string) => Promise<Environment | undefined>;
  }) {
    this.approvals = options.approvals;
    this.revisions = options.revisions;
    this.getEnvironment = options.getEnvironment;
  }

  /**
   * Whether the environment may be synced now, and at which revision and
   * binding; `approvals` is the gate already read, when the caller has it.
   */
  async check(
    environment: Environment,
    approvals?: ApprovalState,
  ): Promise<GateResult> {
    const current = await this.revisions.current(environment);
    if (current.problems.length > 0) {
      return {
        ok: false,
        reason: `The Applications do not match the environment's record: ${current.problems.join(
          '; ',
        )}`,
      };
    }
    const state = approvals ?? (await this.approvals.state(environment));
    if (state.rejected) {
      const r = state.rejected;
      return {
        ok: false,
        reason: `Revision ${short(r.revision)} was rejected by ${r.actor}${
          r.comment ? `: ${r.comment}` : ''
        }`,
      };
    }
    if (!state.revision) {
      return {
        ok: false,
        reason:
          'The revision to sync is not known yet: Argo CD has not compared the Applications with Git',
      };
    }
    if (!state.complete) {
      const missing = state.required.filter(r => !r.approval).map(r => r.title);
      return {
        ok: false,
        reason: missing.length
          ? `Revision ${short(state.revision)} still needs: ${missing.join(
              ', ',
            )}`
          : `The approval gate of revision ${short(
              state.revision,
            )} is not complete`,
      };
    }
    if (!current.revision) {
      return {
        ok: false,
        reason: 'The current revision of the Applications cannot be read',
      };
    }
    if (!sameRevision(current.revision, state.revision)) {
      return {
        ok: false,
        reason: `The approvals are for revision ${short(
          state.revision,
        )}, but the Applications now track ${short(
          current.revision,
        )}: that revision needs approval`,
      };
    }
    return { ok: true, revision: state.revision, binding: current.binding };
  }

  /**
   * Why the run may not start an Argo CD operation now, or undefined when
   * it may: the environment's record is gone, the gate no longer passes
   * (a rejection, voided approvals, Applications that do not match the
   * record), or the approved revision or binding changed since the run was
   * requested.
   */
  async recheck(run: StoredSyncRun): Promise<string | undefined> {
    const environment = await this.getEnvironment(run.environmentRef);
    if (!environment) {
      return `${run.environmentRef} has no registered record any more`;
    }
    const gate = await this.check(environment);
    if (!gate.ok) return gate.reason;
    if (!sameRevision(gate.revision, run.revision)) {
      return `the approved revision is now ${short(gate.revision)}, not ${short(
        run.revision,
      )}`;
    }
    const binding = readRunData(run).binding;
    if (binding !== undefined && binding !== gate.binding) {
      return "the Applications' source, project or sync policy changed since the sync was requested";
    }
    return undefined;
  }
}
