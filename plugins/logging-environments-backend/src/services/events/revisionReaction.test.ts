import { mockServices } from '@backstage/backend-test-utils';
import {
  REV_A,
  REV_B,
  environment,
  people,
} from '../approvals/__testUtils__/fakes';
import { approve, setupApprovals } from '../approvals/__testUtils__/setup';
import { Environment } from '../types';
import { revisionReaction } from './revisionReaction';

describe('revisionReaction', () => {
  function setup(
    environments: Environment[],
    voidStale: (
      environment: Environment,
    ) => Promise<{ voided: number; revision?: string }>,
  ) {
    const changes: string[] = [];
    const notified: string[] = [];
    const logger = mockServices.logger.mock();
    const approvals = { voidStale: jest.fn(voidStale) };
    const react = revisionReaction({
      environments: {
        byRefs: async refs =>
          refs.map(ref => environments.find(e => e.entityRef === ref)),
      },
      approvals,
      notifier: {
        notifyIfApprovalNeeded: async asked => {
          notified.push(asked.entityRef);
          return { sent: true, recipients: [] };
        },
      },
      onChange: (ref, change) => changes.push(`${ref}:${change}`),
      logger,
    });
    return { react, approvals, changes, notified, logger };
  }

  it('voids the decisions of an older revision once, signals it and asks the approvers', async () => {
    const { service, env, store, revisions, audited } = await setupApprovals(
      'production',
    );
    await service.decide(env, people.approver, approve('approval'), audited);
    const { react, changes, notified } = setup([env], e =>
      service.voidStale(e),
    );
    await react(env.entityRef);
    expect(changes).toEqual([]);
    expect(notified).toEqual([]);

    revisions.set(env, REV_B);
    await Promise.all([react(env.entityRef), react(env.entityRef)]);
    await react(env.entityRef);
    expect(changes).toEqual([`${env.entityRef}:approval`]);
    expect(notified).toEqual([env.entityRef]);
    const voided = (await store.listHistory(env.entityRef)).filter(
      h => h.type === 'approvals-voided',
    );
    expect(voided).toHaveLength(1);
  });

  it('asks the approvers when the revision changed with nothing to void, but not on first sight', async () => {
    const env = environment('production');
    let revision = REV_A;
    const { react, changes, notified } = setup([env], async () => ({
      voided: 0,
      revision,
    }));
    await react(env.entityRef);
    await react(env.entityRef);
    expect(notified).toEqual([]);
    revision = REV_B;
    await react(env.entityRef);
    expect(notified).toEqual([env.entityRef]);
    expect(changes).toEqual([]);
  });

  it('leaves environments without a registered record alone', async () => {
    const bootstrapping = environment('production', { state: 'bootstrapping' });
    const { react, approvals } = setup([bootstrapping], async () => ({
      voided: 1,
    }));
    await react(bootstrapping.entityRef);
    await react('resource:default/unknown');
    expect(approvals.voidStale).not.toHaveBeenCalled();
  });

  it('runs once at a time per environment, and once more for a burst that arrived meanwhile', async () => {
    const env = environment('production');
    const other = environment('staging');
    const releases: Array<() => void> = [];
    const { react, approvals } = setup(
      [env, other],
      () =>
        new Promise(resolve => {
          releases.push(() => resolve({ voided: 0, revision: REV_A }));
        }),
    );
    const first = react(env.entityRef);
    const burst = [1, 2, 3].map(() => react(env.entityRef));
    const elsewhere = react(other.entityRef);
    await waitFor(() => releases.length === 2);
    expect(approvals.voidStale.mock.calls.map(([e]) => e.entityRef)).toEqual([
      env.entityRef,
      other.entityRef,
    ]);
    releases[0]();
    releases[1]();
    await waitFor(() => releases.length === 3);
    releases[2]();
    await Promise.all([first, ...burst, elsewhere]);
    expect(approvals.voidStale).toHaveBeenCalledTimes(3);

    // Later events run again.
    const later = react(env.entityRef);
    await waitFor(() => releases.length === 4);
    releases[3]();
    await later;
  });

  it('logs a failure and never rejects', async () => {
    const env = environment('production');
    const { react, logger, approvals } = setup([env], async () => {
      throw new Error('database gone');
    });
    await expect(react(env.entityRef)).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledWith(
      `Could not react to a change of ${env.entityRef}: database gone`,
      { environment: env.entityRef },
    );
    await react(env.entityRef);
    expect(approvals.voidStale).toHaveBeenCalledTimes(2);
  });
});

async function waitFor(done: () => boolean) {
  for (let i = 0; i < 100 && !done(); i++) {
    await new Promise(resolve => setImmediate(resolve));
  }
  expect(done()).toBe(true);
}
