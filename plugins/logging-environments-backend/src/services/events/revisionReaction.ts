import { LoggerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import { ApprovalService, EnvironmentCatalog } from '../types';
import { ApproverNotifier } from './approverNotifications';

/**
 * What {@link revisionReaction} needs.
 *
 * @public
 */
export interface RevisionReactionOptions {
  environments: Pick<EnvironmentCatalog, 'byRefs'>;
  approvals: Pick<ApprovalService, 'voidStale'>;
  notifier: Pick<ApproverNotifier, 'notifyIfApprovalNeeded'>;
  /** Tells browsers that the approvals of an environment changed. */
  onChange: (environmentRef: string, change: 'approval') => void;
  logger: LoggerService;
}

/**
 * The reaction to a change the watch cache saw on an environment's
 * Applications (a listener for `WaveStatusService.onChange`): voids the
 * decisions a new revision or binding made stale and, when it voided any,
 * says so to browsers; when it voided any or the revision changed, asks the
 * approvers for a review (which the notifier sends only when they can act).
 *
 * @remarks
 * Only environments with a registered record count. Runs one at a time per
 * environment; events that arrive meanwhile make one more run, not one each.
 * The returned promise settles when the run covering the event is done; it
 * never rejects (a failure is logged).
 *
 * @public
 */
export function revisionReaction(
  options: RevisionReactionOptions,
): (environmentRef: string) => Promise<void> {
  const { environments, approvals, notifier, onChange, logger } = options;
  const lastRevision = new Map<string, string>();
  const runs = new Map<string, { again: boolean; done: Promise<void> }>();

  const react = async (ref: string) => {
    const [environment] = await environments.byRefs([ref]);
    if (environment?.state !== 'registered') return;
    const { voided, revision } = await approvals.voidStale(environment);
    const previous = lastRevision.get(ref);
    if (revision) lastRevision.set(ref, revision);
    if (voided > 0) onChange(ref, 'approval');
    const changed = Boolean(previous && revision && previous !== revision);
    if (voided > 0 || changed) {
      await notifier.notifyIfApprovalNeeded(environment);
    }
  };

  const drain = async (ref: string, run: { again: boolean }) => {
    do {
      run.again = false;
      try {
        await react(ref);
      } catch (error) {
        logger.warn(
          `Could not react to a change of ${ref}: ${toError(error).message}`,
          { environment: ref },
        );
      }
    } while (run.again);
    runs.delete(ref);
  };

  return ref => {
    const running = runs.get(ref);
    if (running) {
      running.again = true;
      return running.done;
    }
    const run = { again: false, done: Promise.resolve() };
    runs.set(ref, run);
    run.done = drain(ref, run);
    return run.done;
  };
}
