/**
 * A staging environment through the real plugin in a test backend
 * (startTestBackend, real permission backend and policy) on the sandbox:
 * it syncs on its own once its configuration review is given, and when a
 * new revision breaks the LokiStack the sync fails at the health check, the
 * forwarder is never synced at that revision, the environment is rolled
 * back to the last healthy revision and its owner is told.
 */
import { Entity } from '@backstage/catalog-model';
import { EnvironmentDetails } from '@internal/plugin-logging-environments-common';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  bootstrapEnvironment,
  BootstrapWorld,
  openWorld,
} from './__testUtils__/bootstrapEnvironment';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
} from './__testUtils__/portalBackend';

jest.setTimeout(240_000);

const ENV = '/environments/default/acme-stage';

describe('a staging environment through the API', () => {
  let sandbox: Sandbox;
  let world: BootstrapWorld;
  let portal: PortalBackend;

  const details = async () => {
    const res = await portal.call('get', ENV, 'viewer');
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

  /** Runs the scheduled sync task until the latest run at `revision` is final. */
  async function tickUntilFinal(revision: string) {
    for (let i = 0; i < 200; i++) {
      await portal.tick();
      const d = await details();
      if (
        d.sync?.revision === revision &&
        ['succeeded', 'failed', 'blocked'].includes(d.sync.state)
      ) {
        return d;
      }
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`no final run at ${revision}`);
  }

  /**
   * Checklist, then the configuration review, for the current revision. The
   * gate takes a checklist that passes or only warns (after the first sync
   * the applications item warns that they were synced before).
   */
  async function verifyAndApprove(revision: string) {
    for (let i = 0; i < 40; i++) {
      const run = await portal.call('post', `${ENV}/checklist`, 'requester');
      if (
        run.body.revision === revision &&
        ['pass', 'warn'].includes(run.body.status)
      ) {
        break;
      }
      await new Promise(r => setTimeout(r, 250));
    }
    const res = await portal.call('post', `${ENV}/approvals`, 'approver', {
      decision: 'approve',
      role: 'configuration-review',
      comment: `reviewed ${revision.slice(0, 7)}`,
      revision,
    });
    expect(res.body).toMatchObject({ complete: true });
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    world = await openWorld(sandbox);
    const { entity } = await bootstrapEnvironment(world, {
      name: 'acme-stage',
      tier: 'staging',
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

  it('syncs on its own once the configuration review is given', async () => {
    await portal.tick();
    expect((await details()).sync).toBeUndefined();

    const revision = (await details()).approvals.revision!;
    await verifyAndApprove(revision);
    const d = await tickUntilFinal(revision);
    expect(d.sync).toMatchObject({ state: 'succeeded', requestedBy: 'system' });
    expect(d.phase).toBe('live');
  });

  it('rolls back a revision whose LokiStack fails, never syncing the forwarder at it', async () => {
    const healthy = (await details()).sync!.revision;
    const path = join(
      world.clone,
      'environments/acme-stage/infrastructure/kustomization.yaml',
    );
    const kustomization = parse(readFileSync(path, 'utf8'));
    kustomization.patches = [
      ...(kustomization.patches ?? []),
      {
        target: { kind: 'LokiStack', name: 'logging-loki' },
        patch: stringify([
          {
            op: 'replace',
            path: '/spec/storage/secret/name',
            value: 'logging-loki-s3-missing',
          },
        ]),
      },
    ];
    writeFileSync(path, stringify(kustomization));
    const broken = await world.push(
      'acme-stage: point the LokiStack at a Secret that does not exist',
    );

    // The checklist's refresh shows the new revision; it voids the review.
    await verifyAndApprove(broken);
    const d = await tickUntilFinal(broken);
    expect(d.sync?.state).toBe('failed');
    expect(d.sync?.message).toMatch(
      new RegExp(`^rolled back to ${healthy.slice(0, 7)} after: The sync`),
    );

    // Back at the healthy revision; the forwarder never synced the broken one.
    const lokiStack: any = sandbox.store.get({
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      namespace: 'openshift-logging',
      name: 'logging-loki',
    });
    expect(lokiStack.spec.storage.secret.name).toBe('logging-loki-s3');
    expect(
      app('acme-stage-logging-forwarder').status.operationState.syncResult
        .revision,
    ).toBe(healthy);

    // The audit trail and the owner say so.
    const history = await portal.call('get', `${ENV}/history`, 'viewer');
    const types: string[] = history.body.items.map((e: any) => e.type);
    expect(types.slice(0, 2)).toEqual(['rollback', 'sync-failed']);
    expect(
      portal.notifications
        .filter(n => n.recipients?.entityRef === 'group:default/platform-team')
        .map(n => n.payload.title),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^acme-stage: /)]));
  });
});
