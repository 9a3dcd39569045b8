import { LoggerService } from '@backstage/backend-plugin-api';
import { assertError } from '@backstage/errors';
import {
  Approval,
  ApprovalState,
  Availability,
} from '@internal/plugin-logging-environments-common';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import { CurrentRevision } from '../revision/binding';
import {
  ApprovalService,
  ApprovalView,
  Caller,
  Environment,
  PendingReview,
  RevisionSource,
} from '../types';
import { AuditStarter, auditDecision } from './audit';
import { decisionEntry, voidedEntry } from './history';
import { GateSnapshot } from './gate';
import { KeyedLock } from './keyedLock';
import {
  DecisionInput,
  GateContext,
  availabilityOf,
  computeGate,
  evaluateDecision,
  lostRaceRefusal,
  pendingReviewOf,
  refusalError,
  requestRefusal,
  staleReason,
  voidReason,
} from './rules';
import type { EnvironmentChanges } from '../events/EnvironmentEvents';

/**
 * Options of the {@link DefaultApprovalService} constructor.
 *
 * @public
 */
export interface DefaultApprovalServiceOptions {
  store: LoggingEnvironmentsStore;
  revisions: RevisionSource;
  logger: LoggerService;
  /** Told about every recorded decision (browsers get a signal). */
  events?: EnvironmentChanges;
}

/** The gate as the API shows it: without its roles and current decisions. */
function toState({
  roles,
  current,
  rejected,
  ...state
}: GateSnapshot): ApprovalState {
  return { ...state, ...(rejected ? { rejected } : {}) };
}

/**
 * The phase-2 approval gate (DESIGN "How data flows" 3).
 *
 * @remarks
 * The rules live in `./rules` (see `evaluateDecision` for the order in
 * which a decision is judged):
 *
 * - Who: the tier's required approvals name a role and a group; the
 *   environment's extra approver groups may fill extendable roles. A caller
 *   may give a role only as a member of one of its groups. `role` may be
 *   left out when exactly one still-open role is the caller's.
 * - Four-eyes: with `requesterMayApprove: false` the requester never
 *   approves (a rejection, which only stops, is still theirs to give); with
 *   `distinctApprovers: true` one person decides in one role per revision,
 *   and even approvals that slipped in concurrently count once.
 * - Revision: decisions bind to the revision the Applications will sync. A
 *   decision bound to another revision or binding stops counting at once
 *   for every read; {@link DefaultApprovalService.voidStale} records that
 *   (once, with a history entry). A caller who confirmed another revision
 *   gets a conflict.
 * - Checklist: an approval needs a latest run, made for this revision (when
 *   the run knows its revision), without `fail` or `unknown` items.
 *   Rejections need no checklist.
 * - One decision per person, role and revision, final for that revision.
 *   Repeating it is a no-op (no second audit event or history entry); the
 *   opposite decision is a conflict. A rejection, which must say why, stands
 *   and keeps the gate incomplete until a new revision voids it.
 *
 * Reads (`state`, `availability`, `view`, `pendingReview`) never write. Every
 * recorded decision is a history entry and an audit event; every refused
 * attempt is an audit event too.
 *
 * @public
 */
export class DefaultApprovalService implements ApprovalService {
  readonly #store: LoggingEnvironmentsStore;
  readonly #revisions: RevisionSource;
  readonly #logger: LoggerService;
  readonly #events?: EnvironmentChanges;
  readonly #locks = new KeyedLock();

  constructor(options: DefaultApprovalServiceOptions) {
    this.#store = options.store;
    this.#revisions = options.revisions;
    this.#logger = options.logger;
    this.#events = options.events;
  }

  /** {@inheritDoc ApprovalService.state} */
  async state(environment: Environment): Promise<ApprovalState> {
    const current = await this.#revisions.current(environment);
    return toState(await this.#gate(environment, current));
  }

  /** {@inheritDoc ApprovalService.availability} */
  async availability(
    environment: Environment,
    caller: Caller,
    allowedByPermission: boolean,
  ): Promise<{ approve: Availability; reject: Availability }> {
    return availabilityOf(
      await this.#context(environment),
      caller,
      allowedByPermission,
    );
  }

  /** {@inheritDoc ApprovalService.view} */
  async view(
    environment: Environment,
    caller: Caller,
    allowedByPermission: boolean,
  ): Promise<ApprovalView> {
    const context = await this.#context(environment);
    return {
      state: toState(context.gate),
      ...availabilityOf(context, caller, allowedByPermission),
    };
  }

  /** {@inheritDoc ApprovalService.pendingReview} */
  async pendingReview(environment: Environment): Promise<PendingReview> {
    return pendingReviewOf(await this.#context(environment));
  }

  /** {@inheritDoc ApprovalService.voidStale} */
  async voidStale(
    environment: Environment,
  ): Promise<{ voided: number; revision?: string }> {
    return this.#serialized(environment, async () => {
      const current = await this.#revisions.current(environment);
      const voided = await this.#voidStale(environment, current);
      return {
        voided,
        ...(current.revision ? { revision: current.revision } : {}),
      };
    });
  }

  /** {@inheritDoc ApprovalService.decide} */
  async decide(
    environment: Environment,
    caller: Caller,
    input: DecisionInput,
    options: { audit: AuditStarter },
  ): Promise<ApprovalState> {
    return this.#serialized(environment, () =>
      this.#decide(environment, caller, input, options.audit),
    );
  }

  /**
   * Runs the writes of one environment's gate one after the other, across
   * replicas as within one: a decision reads the revision and the gate,
   * voids what is stale, then records, and no other decision or voiding on
   * the environment interleaves with those steps. The in-process queue keeps
   * arrival order and spares the database the polling of callers from the
   * same process; the store's lease covers the other replicas.
   */
  #serialized<T>(environment: Environment, work: () => Promise<T>): Promise<T> {
    return this.#locks.run(environment.entityRef, () =>
      this.#store.withLock(`approval:${environment.entityRef}`, work),
    );
  }

  async #gate(
    environment: Environment,
    current: CurrentRevision,
  ): Promise<GateSnapshot> {
    const decisions = await this.#store.listDecisions(environment.entityRef);
    return computeGate(environment, current, decisions);
  }

  async #context(environment: Environment): Promise<GateContext> {
    const current = await this.#revisions.current(environment);
    const [gate, checklist] = await Promise.all([
      this.#gate(environment, current),
      this.#store.latestChecklistRun(environment.entityRef),
    ]);
    return { environment, current, gate, checklist };
  }

  /**
   * Voids the active decisions bound to another revision or binding than
   * `current`, with one history entry; only a call that finds something to
   * void writes.
   */
  async #voidStale(
    environment: Environment,
    current: CurrentRevision,
  ): Promise<number> {
    const { revision, binding } = current;
    if (!revision) return 0;
    const ref = environment.entityRef;
    const decisions = await this.#store.listDecisions(ref);
    if (!decisions.some(d => staleReason(d, current))) return 0;
    const voided = await this.#store.voidDecisionsNotFor(
      ref,
      { revision, binding },
      d => voidReason(d, revision),
    );
    if (voided.length > 0) {
      await this.#store.addHistory(ref, voidedEntry(revision, voided));
    }
    return voided.length;
  }

  async #decide(
    environment: Environment,
    caller: Caller,
    input: DecisionInput,
    audit: AuditStarter,
  ): Promise<ApprovalState> {
    const meta: Record<string, string> = {
      environment: environment.entityRef,
      decision: String(input.decision),
      actor: caller.userEntityRef,
    };
    if (typeof input.role === 'string') meta.role = input.role;
    if (typeof input.revision === 'string') meta.revision = input.revision;

    let recorded: Approval | undefined;
    try {
      recorded = await this.#record(environment, caller, input, meta);
    } catch (error) {
      assertError(error);
      await auditDecision(audit, this.#logger, meta, error);
      throw error;
    }
    if (recorded) {
      await auditDecision(audit, this.#logger, meta);
      await this.#store.addHistory(
        environment.entityRef,
        decisionEntry(environment.policy, recorded),
      );
      this.#events?.changed(environment.entityRef, 'approval');
    }
    return this.state(environment);
  }

  /**
   * Judges the decision, completing `meta` with what it was judged for, and
   * records it; throws the refusal. Returns undefined for a repeat of a
   * standing decision.
   */
  async #record(
    environment: Environment,
    caller: Caller,
    input: DecisionInput,
    meta: Record<string, string>,
  ): Promise<Approval | undefined> {
    // What the request alone refuses is refused before anything is read.
    const early = requestRefusal(environment, input);
    if (early) throw refusalError(early);

    const context = await this.#context(environment);
    const verdict = evaluateDecision(context, caller, input);
    if (verdict.revision) meta.revision = verdict.revision;
    if (verdict.role) meta.role = verdict.role.role;
    if (verdict.refusal) throw refusalError(verdict.refusal);
    if (verdict.repeat) return undefined;
    const { role, revision } = verdict;

    // Decisions for an older revision are void before this one counts.
    await this.#voidStale(environment, context.current);
    const result = await this.#store.addDecision(environment.entityRef, {
      decision: input.decision,
      role: role.role,
      actor: caller.userEntityRef,
      comment: verdict.comment,
      revision,
      binding: context.current.binding,
    });
    if (!result.created && result.approval.decision !== input.decision) {
      // An opposite decision won a race with this one.
      throw refusalError(lostRaceRefusal(result.approval, role));
    }
    return result.created ? result.approval : undefined;
  }
}
