import { mockServices } from '@backstage/backend-test-utils';
import {
  ApprovalState,
  ChecklistRun,
  Tier,
} from '@internal/plugin-logging-environments-common';
import { createTestStore } from '../../../database/__testUtils__/createTestStore';
import { Environment } from '../../types';
import { AuditStarter } from '../audit';
import { DefaultApprovalService } from '../DefaultApprovalService';
import { DecisionInput } from '../rules';
import {
  REV_A,
  RecordingAuditor,
  StaticRevisionSource,
  checklistRun,
  environment,
  people,
} from './fakes';

/** A checklist run that allows approvals: passing items and a warning. */
export const passing = (revision: string = REV_A) =>
  checklistRun(
    {
      'S3 bucket': 'pass',
      'Loki credentials secret': 'pass',
      Operators: 'warn',
    },
    revision,
  );

/** An approval, in `role` when given. */
export const approve = (
  role?: string,
  extra: Partial<DecisionInput> = {},
): DecisionInput => ({
  decision: 'approve',
  ...(role ? { role } : {}),
  comment: '',
  ...extra,
});

/** A rejection, in `role` when given. */
export const reject = (
  role: string | undefined,
  comment: string,
): DecisionInput => ({
  decision: 'reject',
  ...(role ? { role } : {}),
  comment,
});

/** Who gave each required approval. */
export const filledBy = (state: ApprovalState) =>
  Object.fromEntries(state.required.map(r => [r.role, r.approval?.actor]));

/**
 * A real approval service over a fresh store, for an environment of `tier`
 * requested by Rita, at revision REV_A (unless `revision` says otherwise)
 * with a passing checklist (unless `checklist` says otherwise; null: none).
 * `audited` is what the router passes to `decide`, without a request.
 */
export async function setupApprovals(
  tier: Tier,
  options: {
    overrides?: Partial<Environment>;
    checklist?: ChecklistRun | null;
    revision?: string | null;
  } = {},
) {
  const { store, knex } = await createTestStore();
  const revisions = new StaticRevisionSource();
  const auditor = new RecordingAuditor();
  const env = environment(tier, options.overrides);
  revisions.set(
    env,
    options.revision === null ? undefined : options.revision ?? REV_A,
  );
  if (options.checklist !== null) {
    await store.addChecklistRun(
      env.entityRef,
      options.checklist ?? passing(),
      people.requester.userEntityRef,
    );
  }
  /** The signals every service created here sent, as `<ref>:<change>`. */
  const changes: string[] = [];
  const create = () =>
    new DefaultApprovalService({
      store,
      revisions,
      logger: mockServices.logger.mock(),
      events: { changed: (ref, change) => changes.push(`${ref}:${change}`) },
    });
  const audit: AuditStarter = o => auditor.createEvent(o);
  return {
    store,
    knex,
    revisions,
    auditor,
    audited: { audit },
    env,
    service: create(),
    create,
    changes,
  };
}
