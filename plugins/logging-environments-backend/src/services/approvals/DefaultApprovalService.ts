import {
  AuditorService,
  CacheService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  assertError,
} from '@backstage/errors';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  Approval,
  ApprovalState,
  Availability,
  loggingEnvironmentApprovePermission,
} from '@internal/plugin-logging-environments-common';
import type { Request } from 'express';
import { LoggingEnvironmentsStore } from '../../database/LoggingEnvironmentsStore';
import { CurrentRevision } from '../revision/binding';
import { ApprovalService, Caller, Environment, RevisionSource } from '../types';
import {
  GateRole,
  GateSnapshot,
  checklistProblem,
  computeGate,
  gateRoles,
  rolesOfCaller,
  sameRef,
  sameRevision,
  shortRevision,
  uniqueRefs,
} from './gate';

/** Longest comment a decision may carry (the API says the same). */
const MAX_COMMENT_LENGTH = 2000;

/** How many (environment, revision) notification keys one process remembers. */
const MAX_REMEMBERED_NOTIFICATIONS = 1000;

/**
 * Topic of the notifications that ask approvers to review an environment.
 *
 * @public
 */
export const APPROVAL_NEEDED_NOTIFICATION_TOPIC =
  'logging-environment-approval';

/**
 * Options of {@link DefaultApprovalService.create}.
 *
 * @public
 */
export interface DefaultApprovalServiceOptions {
  store: LoggingEnvironmentsStore;
  revisions: RevisionSource;
  auditor: AuditorService;
  logger: LoggerService;
  /** Absent when the app does not install the notifications backend. */
  notifications?: NotificationService;
  /**
   * Remembers across replicas and restarts which revisions approvers were
   * already notified about; without it, each process remembers on its own.
   */
  cache?: CacheService;
}

/**
 * What {@link DefaultApprovalService.notifyIfApprovalNeeded} did.
 *
 * @public
 */
export interface ApprovalNotificationResult {
  sent: boolean;
  /** The group entity refs notified. */
  recipients: string[];
  /** Why nothing was sent. */
  reason?: string;
}

type Decision = 'approve' | 'reject';

/** Why a caller has no role left to decide in, and which error that is. */
interface OpenRoles {
  roles: GateRole[];
  reason?: string;
  refusal?: 'conflict' | 'not-allowed';
}

function pastTense(decision: Decision): string {
  return decision === 'approve' ? 'approved' : 'rejected';
}

function sentenceList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function notMemberReason(roles: GateRole[], decision: Decision): string {
  const verb = decision === 'approve' ? 'approve' : 'reject';
  return `you are not a member of a group that may ${verb} this environment (${roles
    .map(r => `${r.title}: ${r.groups.join(' or ')}`)
    .join('; ')})`;
}

/** Why nothing may be decided while the Applications do not match the record. */
function applicationsReason(current: CurrentRevision): string {
  return `the Applications do not match the environment's record: ${current.problems.join(
    '; ',
  )}`;
}

/**
 * Why nobody may approve an environment whose tier keeps the requester out
 * when its requester is not known: four-eyes cannot be checked then.
 */
export function unknownRequesterReason(
  environment: Pick<Environment, 'policy' | 'requester' | 'tier'>,
): string | undefined {
  return !environment.policy.requesterMayApprove && !environment.requester
    ? `the requester of this ${environment.tier} environment is not known, so nobody can be checked against it; an administrator must set the requester in its record`
    : undefined;
}

function toState(gate: GateSnapshot): ApprovalState {
  return {
    revision: gate.revision,
    required: gate.required,
    decisions: gate.decisions,
    complete: gate.complete,
    ...(gate.rejected ? { rejected: gate.rejected } : {}),
  };
}

/** Runs one task at a time per key, in order of arrival. */
class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>(resolve => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/**
 * The phase-2 approval gate (DESIGN "How data flows" 3).
 *
 * @remarks
 * The rules, in the order `decide` checks them:
 *
 * - Who: the tier's required approvals name a role and a group; the
 *   environment's extra approver groups may fill any role. A caller may give
 *   a role only as a member of one of its groups. `role` may be left out
 *   when exactly one still-open role is the caller's.
 * - Four-eyes: with `requesterMayApprove: false` the requester never
 *   approves (a rejection, which only stops, is still theirs to give); with
 *   `distinctApprovers: true` one person decides in one role per revision,
 *   and even approvals that slipped in concurrently count once.
 * - Revision: decisions bind to the revision the Applications will sync. A
 *   new revision voids earlier decisions (rejections included) once, with a
 *   history entry; a caller who confirmed another revision gets a conflict.
 * - Checklist: an approval needs a latest run, made for this revision (when
 *   the run knows its revision), without `fail` or `unknown` items: what
 *   could not be verified cannot be approved. Rejections need no checklist.
 * - One decision per person, role and revision, final for that revision.
 *   Repeating it is a no-op (no second audit event or history entry); the
 *   opposite decision is a conflict. A rejection, which must say why, stands
 *   and keeps the gate incomplete until a new revision voids it. (Replacing
 *   one's own decision would need the store to void a single decision.)
 *
 * Every recorded decision is a history entry and an audit event; every
 * refused attempt is an audit event too.
 *
 * @public
 */
export class DefaultApprovalService implements ApprovalService {
  readonly #store: LoggingEnvironmentsStore;
  readonly #revisions: RevisionSource;
  readonly #auditor: AuditorService;
  readonly #logger: LoggerService;
  readonly #notifications?: NotificationService;
  readonly #cache?: CacheService;
  readonly #locks = new KeyedLock();
  readonly #notified = new Set<string>();

  /** Creates the service. */
  static create(
    options: DefaultApprovalServiceOptions,
  ): DefaultApprovalService {
    return new DefaultApprovalService(options);
  }

  private constructor(options: DefaultApprovalServiceOptions) {
    this.#store = options.store;
    this.#revisions = options.revisions;
    this.#auditor = options.auditor;
    this.#logger = options.logger;
    this.#notifications = options.notifications;
    this.#cache = options.cache;
  }

  /** {@inheritDoc ApprovalService.state} */
  async state(environment: Environment): Promise<ApprovalState> {
    const current = await this.#revisions.current(environment);
    const { gate, voided } = await this.#snapshot(environment, current, true);
    if (voided.length > 0) {
      // Earlier approvals just stopped counting: the approvers have work again.
      await this.#notifySafely(environment, gate);
    }
    return toState(gate);
  }

  /** {@inheritDoc ApprovalService.availability} */
  async availability(
    environment: Environment,
    caller: Caller,
    allowedByPermission: boolean,
  ): Promise<{ approve: Availability; reject: Availability }> {
    const roles = gateRoles(environment);
    if (roles.length === 0) {
      const none = {
        allowed: false,
        reason: `a ${environment.tier} environment needs no approval`,
      };
      return { approve: none, reject: none };
    }
    const current = await this.#revisions.current(environment);
    const revision = current.revision;
    const { gate } = await this.#snapshot(environment, current, false);
    const approve: string[] = [];
    const reject: string[] = [];

    if (!allowedByPermission) {
      approve.push(
        `you do not have the ${loggingEnvironmentApprovePermission.name} permission for this environment`,
      );
      reject.push(approve[0]);
    }
    if (current.problems.length > 0) {
      const reason = applicationsReason(current);
      approve.push(reason);
      reject.push(reason);
    } else if (!revision) {
      approve.push('the revision to sync is not known yet');
      reject.push('the revision to sync is not known yet');
    }
    const unknown = unknownRequesterReason(environment);
    if (unknown) approve.push(unknown);
    if (this.#requesterMayNotApprove(environment, caller)) {
      approve.push(this.#requesterReason(environment));
    }
    const mine = rolesOfCaller(caller, roles);
    if (mine.length === 0) {
      approve.push(notMemberReason(roles, 'approve'));
      reject.push(notMemberReason(roles, 'reject'));
    } else if (revision) {
      const forApproval = this.#openRoles(
        environment,
        gate,
        caller,
        mine,
        'approve',
      );
      if (forApproval.reason) approve.push(forApproval.reason);
      const forRejection = this.#openRoles(
        environment,
        gate,
        caller,
        mine,
        'reject',
      );
      if (forRejection.reason) reject.push(forRejection.reason);
    }
    const problem = checklistProblem(
      await this.#store.latestChecklistRun(environment.entityRef),
      revision,
    );
    if (problem) approve.push(problem);

    const availability = (reasons: string[]): Availability =>
      reasons.length === 0
        ? { allowed: true }
        : { allowed: false, reason: reasons.join('; ') };
    return { approve: availability(approve), reject: availability(reject) };
  }

  /** {@inheritDoc ApprovalService.decide} */
  async decide(
    environment: Environment,
    caller: Caller,
    input: {
      decision: Decision;
      role?: string;
      comment: string;
      revision?: string;
    },
    options?: { request?: Request },
  ): Promise<ApprovalState> {
    // Decisions on one environment are taken one after the other in this
    // process; the store's unique key and computeGate cover other replicas.
    return this.#locks.run(environment.entityRef, () =>
      this.#decide(environment, caller, input, options?.request),
    );
  }

  /**
   * Notifies the members of the groups of the missing roles that the
   * environment waits for their review, once per revision: when the current
   * revision has a passing checklist, the gate is incomplete and no
   * rejection stands. Call it after a checklist run and when the revision
   * changes ({@link DefaultApprovalService.state} calls it itself when it
   * voids earlier approvals). Never throws; without the notifications
   * service it does nothing.
   */
  async notifyIfApprovalNeeded(
    environment: Environment,
  ): Promise<ApprovalNotificationResult> {
    if (!this.#notifications) {
      return {
        sent: false,
        recipients: [],
        reason: 'the notifications backend is not installed',
      };
    }
    try {
      const current = await this.#revisions.current(environment);
      const { gate } = await this.#snapshot(environment, current, true);
      return await this.#notifySafely(environment, gate);
    } catch (error) {
      assertError(error);
      return this.#notificationFailed(environment, error);
    }
  }

  async #notifySafely(
    environment: Environment,
    gate: GateSnapshot,
  ): Promise<ApprovalNotificationResult> {
    try {
      return await this.#notify(environment, gate);
    } catch (error) {
      assertError(error);
      return this.#notificationFailed(environment, error);
    }
  }

  #notificationFailed(
    environment: Environment,
    error: Error,
  ): ApprovalNotificationResult {
    this.#logger.warn(
      `Could not tell the approvers of ${environment.entityRef} that it needs approval: ${error.message}`,
    );
    return {
      sent: false,
      recipients: [],
      reason: `the notification could not be sent: ${error.message}`,
    };
  }

  /**
   * Lists the decisions and computes the gate for `revision`; with
   * `voidStale`, first voids decisions for other revisions and records that
   * once (only a call that voids something writes).
   */
  async #snapshot(
    environment: Environment,
    current: CurrentRevision,
    voidStale: boolean,
  ): Promise<{ gate: GateSnapshot; voided: Approval[] }> {
    const ref = environment.entityRef;
    const { revision, binding } = current;
    let decisions = await this.#store.listDecisions(ref);
    let voided: Approval[] = [];
    if (
      revision &&
      voidStale &&
      decisions.some(
        d =>
          !d.voidedReason && (d.revision !== revision || d.binding !== binding),
      )
    ) {
      voided = await this.#store.voidDecisionsNotFor(
        ref,
        { revision, binding },
        d =>
          d.revision !== revision
            ? `superseded by revision ${shortRevision(revision)}`
            : "the Applications' source, project or sync policy changed",
      );
      if (voided.length > 0) {
        const previous = [
          ...new Set(voided.map(d => shortRevision(d.revision))),
        ];
        const sameCommit = voided.every(d => d.revision === revision);
        await this.#store.addHistory(ref, {
          type: 'approvals-voided',
          actor: 'system',
          message: `${voided.length} decision${
            voided.length === 1 ? '' : 's'
          } for revision ${previous.join(', ')} voided: ${
            sameCommit
              ? "the Applications' source, project or sync policy changed"
              : `superseded by revision ${shortRevision(revision)}`
          }`,
          details: {
            revision,
            count: voided.length,
            previousRevisions: previous.join(','),
          },
        });
        decisions = await this.#store.listDecisions(ref);
      }
    }
    return { gate: computeGate(environment, current, decisions), voided };
  }

  #requesterMayNotApprove(environment: Environment, caller: Caller): boolean {
    return (
      !environment.policy.requesterMayApprove &&
      sameRef(caller.userEntityRef, environment.requester, 'user')
    );
  }

  #requesterReason(environment: Environment): string {
    return `the requester of a ${environment.tier} environment cannot approve it`;
  }

  /**
   * The roles the caller could still decide in for the gate's revision, or
   * why there is none.
   */
  #openRoles(
    environment: Environment,
    gate: GateSnapshot,
    caller: Caller,
    mine: GateRole[],
    decision: Decision,
  ): OpenRoles {
    const distinct = environment.policy.distinctApprovers;
    const short = gate.revision ? shortRevision(gate.revision) : '';
    const myDecisions = gate.current.filter(d =>
      sameRef(d.actor, caller.userEntityRef, 'user'),
    );
    const filled = new Set(
      gate.required.filter(r => r.approval).map(r => r.role),
    );
    const open = mine.filter(
      r =>
        !myDecisions.some(d => d.role === r.role) &&
        !(distinct && myDecisions.length > 0) &&
        (decision === 'reject' || !filled.has(r.role)),
    );
    if (open.length > 0) return { roles: open };

    const title = (role: string) =>
      gate.roles.find(r => r.role === role)?.title ?? role;
    const last = myDecisions[myDecisions.length - 1];
    if (last) {
      const onlyOne =
        distinct && mine.some(r => r.role !== last.role)
          ? '; one person may fill only one role per revision'
          : '';
      return {
        roles: [],
        reason: `you already ${pastTense(
          last.decision,
        )} revision ${short} as ${title(last.role)}${onlyOne}`,
        refusal: 'conflict',
      };
    }
    if (filled.size === gate.roles.length) {
      return {
        roles: [],
        reason: `nothing left to approve: every required approval is given for revision ${short}`,
        refusal: 'conflict',
      };
    }
    const missing = gate.required.filter(r => !r.approval);
    return {
      roles: [],
      reason: `the missing ${sentenceList(missing.map(r => r.title))} ${
        missing.length === 1 ? 'is' : 'are'
      } not yours to give (members of ${uniqueRefs(
        missing.flatMap(r => r.groups),
      ).join(' or ')})`,
      refusal: 'not-allowed',
    };
  }

  async #decide(
    environment: Environment,
    caller: Caller,
    input: {
      decision: Decision;
      role?: string;
      comment: string;
      revision?: string;
    },
    request: Request | undefined,
  ): Promise<ApprovalState> {
    const meta: Record<string, string> = {
      environment: environment.entityRef,
      decision: String(input.decision),
      actor: caller.userEntityRef,
    };
    if (typeof input.role === 'string') meta.role = input.role;
    if (typeof input.revision === 'string') meta.revision = input.revision;

    let outcome: { created: boolean; approval: Approval };
    try {
      outcome = await this.#record(environment, caller, input, meta);
    } catch (error) {
      assertError(error);
      await this.#audit(meta, request, error);
      throw error;
    }

    if (outcome.created) {
      const { approval } = outcome;
      await this.#audit(meta, request);
      const title =
        environment.policy.requiredApprovals.find(r => r.role === approval.role)
          ?.title ?? approval.role;
      await this.#store.addHistory(environment.entityRef, {
        type: approval.decision === 'approve' ? 'approval' : 'rejection',
        actor: approval.actor,
        message: `${
          approval.decision === 'approve' ? 'Approved' : 'Rejected'
        } as ${title} for revision ${shortRevision(approval.revision)}${
          approval.comment ? `: ${approval.comment}` : ''
        }`,
        details: {
          decision: approval.decision,
          role: approval.role,
          revision: approval.revision,
          approvalId: approval.id,
        },
      });
    }
    return this.state(environment);
  }

  /**
   * Checks every rule and records the decision; throws the refusal.
   * Returns `created: false` for a repeat of a standing decision.
   */
  async #record(
    environment: Environment,
    caller: Caller,
    input: {
      decision: Decision;
      role?: string;
      comment: string;
      revision?: string;
    },
    meta: Record<string, string>,
  ): Promise<{ created: boolean; approval: Approval }> {
    const { decision } = input;
    if (decision !== 'approve' && decision !== 'reject') {
      throw new InputError('decision must be "approve" or "reject"');
    }
    if (input.comment !== undefined && typeof input.comment !== 'string') {
      throw new InputError('comment must be a string');
    }
    const comment = (input.comment ?? '').trim();
    if (comment.length > MAX_COMMENT_LENGTH) {
      throw new InputError(
        `comment must be at most ${MAX_COMMENT_LENGTH} characters`,
      );
    }
    if (decision === 'reject' && comment.length === 0) {
      throw new InputError('a rejection needs a comment saying why');
    }

    const roles = gateRoles(environment);
    if (roles.length === 0) {
      throw new ConflictError(
        `a ${environment.tier} environment needs no approval`,
      );
    }
    if (input.role !== undefined && !roles.some(r => r.role === input.role)) {
      throw new InputError(
        `role "${input.role}" is not a role of the ${
          environment.tier
        } tier; choose one of: ${roles.map(r => r.role).join(', ')}`,
      );
    }

    const current = await this.#revisions.current(environment);
    if (current.problems.length > 0) {
      throw new ConflictError(applicationsReason(current));
    }
    const revision = current.revision;
    if (!revision) {
      throw new ConflictError('the revision to sync is not known yet');
    }
    meta.revision = revision;
    if (
      input.revision !== undefined &&
      !sameRevision(input.revision, revision)
    ) {
      throw new ConflictError(
        `the revision changed from ${shortRevision(
          input.revision,
        )} to ${shortRevision(
          revision,
        )}; re-run the checklist and review again`,
      );
    }
    const { gate } = await this.#snapshot(environment, current, true);

    if (
      decision === 'approve' &&
      this.#requesterMayNotApprove(environment, caller)
    ) {
      throw new NotAllowedError(this.#requesterReason(environment));
    }
    const unknown = unknownRequesterReason(environment);
    if (decision === 'approve' && unknown) {
      throw new ConflictError(unknown);
    }

    const mine = rolesOfCaller(caller, roles);
    const myDecisions = gate.current.filter(d =>
      sameRef(d.actor, caller.userEntityRef, 'user'),
    );
    let role: GateRole;
    if (input.role !== undefined) {
      role = roles.find(r => r.role === input.role)!;
      if (!mine.includes(role)) {
        throw new NotAllowedError(
          `only members of ${role.groups.join(' or ')} may ${
            decision === 'approve'
              ? `give the ${role.title}`
              : `reject as ${role.title}`
          }`,
        );
      }
    } else {
      if (mine.length === 0) {
        throw new NotAllowedError(notMemberReason(roles, decision));
      }
      const open = this.#openRoles(environment, gate, caller, mine, decision);
      const repeated = myDecisions.find(
        d => d.decision === decision && mine.some(r => r.role === d.role),
      );
      if (open.roles.length === 1) {
        role = open.roles[0];
      } else if (open.roles.length > 1) {
        throw new InputError(
          `say which role you ${decision} as: role must be one of ${open.roles
            .map(r => `${r.role} (${r.title})`)
            .join(', ')}`,
        );
      } else if (repeated) {
        // The same decision again (a second click): answered below as a no-op.
        role = roles.find(r => r.role === repeated.role)!;
      } else if (open.refusal === 'not-allowed') {
        throw new NotAllowedError(open.reason);
      } else {
        throw new ConflictError(open.reason);
      }
    }
    meta.role = role.role;

    const short = shortRevision(revision);
    const standing = myDecisions.find(d => d.role === role.role);
    if (standing) {
      if (standing.decision === decision) {
        return { created: false, approval: standing };
      }
      throw new ConflictError(
        `you already ${pastTense(standing.decision)} revision ${short} as ${
          role.title
        }; a decision stands until the revision changes`,
      );
    }
    if (environment.policy.distinctApprovers) {
      const other = myDecisions.find(d => d.role !== role.role);
      if (other) {
        const otherTitle =
          roles.find(r => r.role === other.role)?.title ?? other.role;
        throw new NotAllowedError(
          `one person may fill only one role per revision: you already ${pastTense(
            other.decision,
          )} revision ${short} as ${otherTitle}`,
        );
      }
    }
    if (decision === 'approve') {
      const given = gate.required.find(r => r.role === role.role)?.approval;
      if (given) {
        throw new ConflictError(
          `the ${role.title} is already given by ${given.actor} for revision ${short}`,
        );
      }
      const problem = checklistProblem(
        await this.#store.latestChecklistRun(environment.entityRef),
        revision,
      );
      if (problem) throw new ConflictError(problem);
    }

    const result = await this.#store.addDecision(environment.entityRef, {
      decision,
      role: role.role,
      actor: caller.userEntityRef,
      comment,
      revision,
      binding: current.binding,
    });
    if (!result.created && result.approval.decision !== decision) {
      // An opposite decision won a race with this one.
      throw new ConflictError(
        `you already ${pastTense(
          result.approval.decision,
        )} revision ${short} as ${
          role.title
        }; a decision stands until the revision changes`,
      );
    }
    return result;
  }

  async #audit(
    meta: Record<string, string>,
    request: Request | undefined,
    error?: Error,
  ): Promise<void> {
    // The event is created once the outcome is known, so that a repeated
    // decision (a double click) leaves no audit trace at all.
    try {
      const event = await this.#auditor.createEvent({
        eventId: 'environment-approval',
        severityLevel: 'medium',
        request,
        meta: { ...meta },
      });
      if (error) {
        await event.fail({ error });
      } else {
        await event.success();
      }
    } catch (auditError) {
      assertError(auditError);
      this.#logger.error(
        `Could not write the audit event of a decision on ${meta.environment}: ${auditError.message}`,
      );
    }
  }

  async #notify(
    environment: Environment,
    gate: GateSnapshot,
  ): Promise<ApprovalNotificationResult> {
    const skip = (reason: string): ApprovalNotificationResult => ({
      sent: false,
      recipients: [],
      reason,
    });
    const notifications = this.#notifications;
    if (!notifications)
      return skip('the notifications backend is not installed');
    if (gate.roles.length === 0) {
      return skip(`a ${environment.tier} environment needs no approval`);
    }
    const revision = gate.revision;
    if (!revision) return skip('the revision to sync is not known yet');
    if (gate.rejected) return skip('a rejection stands for this revision');
    if (gate.complete) return skip('every required approval is given');
    const problem = checklistProblem(
      await this.#store.latestChecklistRun(environment.entityRef),
      revision,
    );
    // Approvers hear about a revision when they can act on it.
    if (problem) return skip(problem);

    const key = `${environment.entityRef}@${revision}`;
    if (this.#notified.has(key)) {
      return skip('the approvers were already notified for this revision');
    }
    this.#remember(key);
    const missing = gate.required.filter(r => !r.approval);
    const recipients = uniqueRefs(missing.flatMap(r => r.groups));
    const exclude = uniqueRefs([
      ...(!environment.policy.requesterMayApprove && environment.requester
        ? [environment.requester]
        : []),
      // With distinct approvers, who already decided cannot fill another role.
      ...(environment.policy.distinctApprovers
        ? gate.current.map(d => d.actor)
        : []),
    ]);
    const cacheKey = `approval-notified:${key}`;
    try {
      if (this.#cache && (await this.#cache.get(cacheKey))) {
        return skip('the approvers were already notified for this revision');
      }
      const { namespace, name } = parseEntityRef(environment.entityRef);
      const short = shortRevision(revision);
      await notifications.send({
        recipients: {
          type: 'entity',
          entityRef: recipients,
          ...(exclude.length > 0 ? { excludeEntityRef: exclude } : {}),
        },
        payload: {
          title: `Approval needed: ${environment.title ?? environment.name}`,
          description: `Revision ${short} of the ${
            environment.tier
          } logging environment ${
            environment.name
          } passed its checklist and needs: ${missing
            .map(r => r.title)
            .join(', ')}.`,
          link: `/catalog/${namespace}/resource/${name}/logging`,
          severity: environment.tier === 'production' ? 'high' : 'normal',
          topic: APPROVAL_NEEDED_NOTIFICATION_TOPIC,
          // The notifications backend updates rather than duplicates a
          // notification with the same scope.
          scope: `${APPROVAL_NEEDED_NOTIFICATION_TOPIC}:${environment.entityRef}:${revision}`,
        },
      });
      await this.#cache?.set(cacheKey, true, { ttl: { days: 30 } });
      this.#logger.info(
        `Asked ${recipients.join(', ')} to review ${
          environment.entityRef
        } at revision ${short}`,
      );
      return { sent: true, recipients };
    } catch (error) {
      // Forget the key so that the next call tries again.
      this.#notified.delete(key);
      throw error;
    }
  }

  #remember(key: string) {
    this.#notified.add(key);
    if (this.#notified.size > MAX_REMEMBERED_NOTIFICATIONS) {
      const oldest = this.#notified.values().next().value;
      if (oldest !== undefined) this.#notified.delete(oldest);
    }
  }
}
