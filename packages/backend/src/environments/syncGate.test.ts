/**
 * The sync gate over HTTP: the real plugin in a test backend
 * (startTestBackend, real permission backend and policy) on the sandbox
 * after a real phase 1, one production environment for the whole file.
 * What the sync unit tests show on fakes, through the API here: a
 * rejection filed before the sync blocks it, a sync naming a revision other
 * than the approved one is refused, and an approval does not carry to a
 * commit pushed after it. Each refusal is checked where it matters too:
 * no run is recorded and Argo CD is asked for nothing.
 */
import { Entity } from '@backstage/catalog-model';
import { EnvironmentDetails } from '@internal/plugin-logging-environments-common';
import { Sandbox, startSandbox } from '@internal/sandbox';
import {
  bootstrapEnvironment,
  BootstrapWorld,
  openWorld,
  touch,
} from './__testUtils__/bootstrapEnvironment';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
} from './__testUtils__/portalBackend';

jest.setTimeout(240_000);

const NAME = 'acme-gate';
const ENV = `/environments/default/${NAME}`;
const APPS = [`${NAME}-logging-infrastructure`, `${NAME}-logging-forwarder`];
const short = (revision: string) => revision.slice(0, 7);

describe('the sync gate of a production environment through the API', () => {
  let sandbox: Sandbox;
  let world: BootstrapWorld;
  let portal: PortalBackend;

  const details = async (who = 'viewer') => {
    const res = await portal.call('get', ENV, who);
    expect(res.status).toBe(200);
    return res.body as EnvironmentDetails;
  };
  const app = (name: string): any =>
    sandbox.store.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      namespace: 'openshift-gitops',
      name,
    });

  /**
   * Runs the checklist (which asks Argo CD to compare again, so a commit
   * pushed a moment ago is seen) until it passes at `revision`.
   */
  async function verify(revision: string) {
    for (let i = 0; i < 40; i++) {
      const run = await portal.call('post', `${ENV}/checklist`, 'requester');
      if (run.body.revision === revision && run.body.status === 'pass') return;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`the checklist never passed at ${revision}`);
  }

  async function decide(
    who: string,
    role: string,
    decision: 'approve' | 'reject',
    revision: string,
    comment = `${role}: ${decision}`,
  ) {
    const res = await portal.call('post', `${ENV}/approvals`, who, {
      decision,
      role,
      comment,
      revision,
    });
    expect(res.status).toBe(200);
  }

  const approveAll = async (revision: string) => {
    await decide('security-reviewer', 'security-review', 'approve', revision);
    await decide('approver', 'approval', 'approve', revision);
  };

  const sync = (body: object) =>
    portal.call('post', `${ENV}/sync`, 'approver', body);

  /**
   * After a refusal: the scheduled task has run once (so a run recorded
   * anyway would have been picked up), and there is no run and no Argo CD
   * operation on either Application.
   */
  async function expectNothingStarted() {
    await portal.tick();
    expect((await details()).sync).toBeUndefined();
    for (const name of APPS) {
      const { operation, status } = app(name);
      expect({ name, operation, state: status?.operationState }).toEqual({
        name,
        operation: undefined,
        state: undefined,
      });
    }
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    world = await openWorld(sandbox);
    const { entity } = await bootstrapEnvironment(world, {
      name: NAME,
      tier: 'production',
    });
    const entities: Entity[] = [...orgEntities(), entity];
    portal = await startPortalBackend({
      config: world.config,
      entities,
      knex: world.records.knex,
    });
  });

  afterAll(async () => {
    await portal?.stop();
    await sandbox?.stop();
  });

  it('refuses a sync when a rejection was filed before it was asked for', async () => {
    const revision = (await details()).approvals.revision!;
    await verify(revision);
    await decide('security-reviewer', 'security-review', 'approve', revision);
    await decide(
      'approver',
      'approval',
      'reject',
      revision,
      'the retention is not what was agreed',
    );
    const reason = `Revision ${short(
      revision,
    )} was rejected by user:default/approver: the retention is not what was agreed`;
    expect((await details('approver')).can.sync).toEqual({
      allowed: false,
      reason,
    });

    for (const body of [{}, { revision }]) {
      const res = await sync(body);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toBe(`Cannot sync ${NAME}: ${reason}`);
    }
    await expectNothingStarted();
  });

  it('refuses a sync naming a revision other than the approved one', async () => {
    const rejected = (await details()).approvals.revision!;
    touch(world, `environments/${NAME}/catalog-info.yaml`, '# reworked');
    const approved = await world.push('Retention as agreed');
    await verify(approved);
    await approveAll(approved);
    expect((await details('approver')).can.sync).toEqual({ allowed: true });

    const unknown = '0123456789abcdef0123456789abcdef01234567';
    for (const named of [rejected, unknown, short(rejected)]) {
      const res = await sync({ revision: named });
      expect(res.status).toBe(409);
      expect(res.body.error.message).toBe(
        `Revision ${named} is not the approved revision ${approved} of ${NAME}; only the approved revision can be synced`,
      );
    }
    await expectNothingStarted();
  });

  it('does not carry an approval to a commit pushed after it; the sync is pinned to the revision approved', async () => {
    const approved = (await details()).approvals.revision!;
    expect((await details()).approvals.complete).toBe(true);
    touch(world, `environments/${NAME}/catalog-info.yaml`, '# after approval');
    const pushed = await world.push('A change after the approvals');
    // Argo CD has compared the new commit: what the gate reads moved to it.
    await verify(pushed);
    const d = await details('approver');
    expect(d.approvals).toMatchObject({ revision: pushed, complete: false });
    expect(d.can.sync).toEqual({
      allowed: false,
      reason: expect.stringMatching(
        new RegExp(`^Revision ${short(pushed)} still needs: `),
      ),
    });

    // Neither the new commit nor the one approved before it can be synced.
    const { reason } = d.can.sync as { reason?: string };
    for (const body of [{}, { revision: pushed }, { revision: approved }]) {
      const res = await sync(body);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toBe(`Cannot sync ${NAME}: ${reason}`);
    }
    await expectNothingStarted();

    // Approved in turn, it syncs: at that revision, pinned in Argo CD.
    await approveAll(pushed);
    const res = await sync({ revision: pushed });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ revision: pushed, state: 'pending' });
    for (let i = 0; i < 40 && !app(APPS[0]).status?.operationState; i++) {
      await portal.tick();
      await new Promise(r => setTimeout(r, 250));
    }
    expect(app(APPS[0]).status.operationState.operation.sync.revision).toBe(
      pushed,
    );
  });
});
