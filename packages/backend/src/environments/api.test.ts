/**
 * The backend plugin as a user meets it: the real plugin in a test backend
 * (startTestBackend) with the real permission backend and the portal's
 * policy, against the sandbox after a real phase 1. Covers the checklist,
 * the approval matrix, a stale revision, the sync through the waves with a
 * restart in the middle, the audit trail, and that no secret value leaves.
 */
import { Entity } from '@backstage/catalog-model';
import { EnvironmentDetails } from '@internal/plugin-logging-environments-common';
import { Sandbox, startSandbox } from '@internal/sandbox';
import {
  bootstrapEnvironment,
  BootstrapWorld,
  openWorld,
  readSecretValue,
  touch,
} from './__testUtils__/bootstrapEnvironment';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
} from './__testUtils__/portalBackend';
import { recordReliability } from '../reliability/__testUtils__/summary';

jest.setTimeout(240_000);

describe('the logging-environments API on the sandbox', () => {
  let sandbox: Sandbox;
  let world: BootstrapWorld;
  let portal: PortalBackend;
  let esoKey: { accessKeyId: string; secretAccessKey: string };
  const call: PortalBackend['call'] = (...args) => portal.call(...args);

  const details = async (who = 'viewer') => {
    const res = await call('get', '/environments/default/acme-prod', who);
    if (res.status !== 200) {
      throw new Error(
        `GET environment: ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
    return res.body as EnvironmentDetails;
  };

  /** Runs the scheduled sync task until `done` or it gives up. */
  async function tickUntil(done: (d: EnvironmentDetails) => boolean) {
    for (let i = 0; i < 200; i++) {
      await portal.tick();
      const d = await details();
      if (done(d)) return d;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(
      `sync did not finish: ${JSON.stringify((await details()).sync)}`,
    );
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    world = await openWorld(sandbox);
    const { entity, externalSecrets } = await bootstrapEnvironment(world, {
      name: 'acme-prod',
      tier: 'production',
    });
    esoKey = externalSecrets;
    const entities: Entity[] = [...orgEntities(), entity];
    portal = await startPortalBackend({
      config: world.config,
      entities,
      knex: world.records.knex,
      // The requester is, here, also an approver: only the four-eyes rule
      // stands between them and approving their own environment.
      extraMemberships: {
        'user:default/requester': ['group:default/platform-approvers'],
      },
    });
  });

  afterAll(async () => {
    await portal?.stop();
    await sandbox?.stop();
  });

  it('lists the environment and shows it in phase verify after bootstrap', async () => {
    const list = await call('get', '/environments?tier=production', 'viewer');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        entityRef: 'resource:default/acme-prod',
        phase: 'verify',
        approvalsComplete: false,
      }),
    ]);
    const d = await details();
    expect(d.applications.map(a => [a.name, a.syncStatus])).toEqual([
      ['acme-prod-logging-infrastructure', 'OutOfSync'],
      ['acme-prod-logging-forwarder', 'OutOfSync'],
    ]);
    expect(d.can.approve).toEqual({
      allowed: false,
      reason: expect.any(String),
    });
  });

  it('runs the checklist through the API, all items passing', async () => {
    const res = await call(
      'post',
      '/environments/default/acme-prod/checklist',
      'requester',
    );
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('pass');
    expect(res.body.items).toHaveLength(10);
    // The External Secrets identity the fixture made as the docs say
    // (logging/acme-prod/* only) passes the scope check.
    expect(
      res.body.items.find((i: { id: string }) => i.id === 'secret-scope'),
    ).toMatchObject({
      status: 'pass',
      evidence: { user: 'external-secrets-acme-prod' },
    });
    expect((await details()).checklist?.id).toBe(res.body.id);
    // Approvers of both roles hear that their review is due.
    await waitFor(() => portal.notifications.length > 0);
    expect(portal.notifications[0].recipients).toEqual({
      type: 'entity',
      entityRef: expect.arrayContaining([
        'group:default/security-reviewers',
        'group:default/platform-approvers',
      ]),
      // The requester is never asked to approve their own environment.
      excludeEntityRef: ['user:default/requester'],
    });
  });

  it('refuses a viewer (403) and the requester (four-eyes), and audits both', async () => {
    const viewer = await call(
      'post',
      '/environments/default/acme-prod/approvals',
      'viewer',
      { decision: 'approve', comment: 'lgtm' },
    );
    expect(viewer.status).toBe(403);
    const requester = await call(
      'post',
      '/environments/default/acme-prod/approvals',
      'requester',
      { decision: 'approve', role: 'approval', comment: 'my own' },
    );
    expect(requester.status).toBe(403);
    expect(requester.body.error.message).toMatch(/requester/i);
    const refused = portal.audit.filter(
      e => e.eventId === 'environment-approval' && e.status === 'failed',
    );
    expect(refused.map(e => e.meta.environment)).toEqual([
      'resource:default/acme-prod',
      'resource:default/acme-prod',
    ]);
    expect((await details('requester')).can.approve).toEqual({
      allowed: false,
      reason: expect.stringMatching(/requester/i),
    });
  });

  it('counts two concurrent approvals by one person once, and one person in one role only', async () => {
    const both = await Promise.all(
      [1, 2].map(() =>
        call('post', '/environments/default/acme-prod/approvals', 'dual', {
          decision: 'approve',
          role: 'security-review',
          comment: 'IAM policy is exactly the Loki policy',
        }),
      ),
    );
    expect(both.map(r => r.status)).toEqual([200, 200]);
    let d = await details();
    expect(
      d.approvals.decisions.filter(a => a.actor === 'user:default/dual'),
    ).toHaveLength(1);

    const again = await call(
      'post',
      '/environments/default/acme-prod/approvals',
      'dual',
      { decision: 'approve', role: 'approval', comment: 'and approve too' },
    );
    expect([403, 409]).toContain(again.status);
    d = await details();
    expect(d.approvals.complete).toBe(false);
    expect(
      d.approvals.required.find(r => r.role === 'approval')?.approval,
    ).toBeUndefined();
  });

  it('voids approvals when a new revision arrives, and says why', async () => {
    const before = (await details()).approvals.revision;
    touch(world, 'environments/acme-prod/catalog-info.yaml', '# reviewed');
    const head = await world.push('A change after the security review');
    // The checklist asks Argo CD to compare again, so the new commit is seen.
    const run = await call(
      'post',
      '/environments/default/acme-prod/checklist',
      'requester',
    );
    expect(run.body.revision).toBe(head);
    const d = await waitForDetails(x => x.approvals.revision === head);
    expect(before).not.toBe(head);
    const voided = d.approvals.decisions.find(
      a => a.actor === 'user:default/dual',
    );
    expect(voided?.voidedReason).toMatch(/revision/);
    expect(
      d.approvals.required.find(r => r.role === 'security-review')?.approval,
    ).toBeUndefined();
    const history = await call(
      'get',
      '/environments/default/acme-prod/history',
      'viewer',
    );
    expect(history.body.items.map((e: any) => e.type)).toContain(
      'approvals-voided',
    );
  });

  it('refuses a sync without approvals, then syncs on request through every wave, surviving a restart', async () => {
    const early = await call(
      'post',
      '/environments/default/acme-prod/sync',
      'approver',
      {},
    );
    expect(early.status).toBe(409);

    for (const [who, role] of [
      ['security-reviewer', 'security-review'],
      ['approver', 'approval'],
    ]) {
      const res = await call(
        'post',
        '/environments/default/acme-prod/approvals',
        who,
        { decision: 'approve', role, comment: `${role} done` },
      );
      expect(res.status).toBe(200);
    }
    let d = await details('approver');
    expect(d.approvals.complete).toBe(true);
    expect(d.can.sync).toEqual({ allowed: true });
    // Production never syncs on its own.
    await portal.tick();
    expect((await details()).sync).toBeUndefined();

    const viewer = await call(
      'post',
      '/environments/default/acme-prod/sync',
      'viewer',
      {},
    );
    expect(viewer.status).toBe(403);
    const [first, second] = await Promise.all([
      call('post', '/environments/default/acme-prod/sync', 'approver', {
        revision: d.approvals.revision,
      }),
      call('post', '/environments/default/acme-prod/sync', 'approver', {
        revision: d.approvals.revision,
      }),
    ]);
    expect([first.status, second.status].sort()).toEqual([202, 409]);

    // Into the infrastructure waves, then a restart: a new backend over the
    // same database picks the run up where it was.
    d = await tickUntil(x => x.sync?.state === 'waiting-infrastructure');
    await portal.restart();
    d = await tickUntil(x =>
      ['succeeded', 'failed', 'blocked'].includes(x.sync?.state ?? ''),
    );
    expect(d.sync).toMatchObject({
      state: 'succeeded',
      message: d.sync?.state === 'succeeded' ? d.sync.message : 'see why',
    });
    expect(d.phase).toBe('live');
    recordReliability('restarts survived', 1, 'backend restarted mid-sync');
    for (const app of d.applications) {
      expect({ app: app.name, waves: app.waves.map(w => w.state) }).toEqual({
        app: app.name,
        waves: app.waves.map(() => 'healthy'),
      });
    }
  });

  it('keeps the audit trail of everything that happened', async () => {
    const history = await call(
      'get',
      '/environments/default/acme-prod/history?limit=100',
      'viewer',
    );
    const types: string[] = history.body.items.map((e: any) => e.type);
    for (const type of [
      'checklist',
      'approval',
      'approvals-voided',
      'sync-requested',
      'sync-succeeded',
    ]) {
      expect(types).toContain(type);
    }
    expect(portal.audit.map(e => `${e.eventId}:${e.status}`)).toEqual(
      expect.arrayContaining([
        'checklist-run:succeeded',
        'environment-approval:failed',
        'sync-request:failed',
        'sync-request:succeeded',
      ]),
    );
  });

  it('lets no secret value reach a response, a log line, an audit event or a table', async () => {
    const secrets = [
      sandbox.aws.accessKeyId,
      sandbox.aws.secretAccessKey,
      esoKey.accessKeyId,
      esoKey.secretAccessKey,
      sandbox.kube.token,
      ...Object.values(
        await readSecretValue(sandbox, 'logging/acme-prod/loki-s3'),
      ).filter(v => /^[A-Za-z0-9/+=]{16,}$/.test(v)),
    ];
    const tables = await portal
      .knex('sqlite_master')
      .where({ type: 'table' })
      .pluck('name');
    const rows = await Promise.all(tables.map(t => portal.knex(t).select()));
    const haystack = JSON.stringify([
      portal.responses,
      portal.logs,
      portal.audit,
      portal.notifications,
      rows,
    ]);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      for (const form of [
        secret,
        Buffer.from(secret).toString('base64'),
        JSON.stringify(secret).slice(1, -1),
        encodeURIComponent(secret),
      ]) {
        expect(haystack.includes(form)).toBe(false);
      }
    }
  });

  async function waitForDetails(done: (d: EnvironmentDetails) => boolean) {
    for (let i = 0; i < 100; i++) {
      const d = await details();
      if (done(d)) return d;
      await new Promise(r => setTimeout(r, 200));
    }
    throw new Error('timed out waiting for the environment');
  }
});

async function waitFor(done: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 50));
  }
}
