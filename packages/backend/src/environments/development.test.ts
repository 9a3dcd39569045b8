/**
 * A development environment created from the official template, through
 * the real scaffolder, catalog and plugin on the sandbox: the task
 * completes (no step syncs: Argo CD syncs the automated infrastructure
 * Application, the backend's scheduled sync the forwarder once the health
 * check passed), and the environment ends up live, forwarder last.
 */
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModelModule from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { EnvironmentDetails } from '@internal/plugin-logging-environments-common';
import scaffolderModule from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { seedSandbox } from '@internal/sandbox/src/seed';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createExternalSecretsIdentity } from '../__testUtils__/externalSecretsIdentity';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';
import { sandboxConfig } from '../gitops/__testUtils__/portal';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
  userHeader,
} from './__testUtils__/portalBackend';

jest.setTimeout(300_000);

const NAME = 'team-a-dev';

describe('a development environment created from the template', () => {
  let sandbox: Sandbox;
  let portal: PortalBackend;

  const app = (role: string): any =>
    sandbox.store.get({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      namespace: 'openshift-gitops',
      name: `${NAME}-logging-${role}`,
    });

  async function waitFor<T>(
    what: string,
    fn: () => Promise<T | undefined>,
    ms = 120_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise(r => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    await seedSandbox(sandbox, { manifestsDir: join(REPO_ROOT, 'manifests') });
    const config = await sandboxConfig(sandbox);
    portal = await startPortalBackend({
      config: {
        ...config,
        catalog: {
          rules: [{ allow: ['Component', 'Resource', 'Location', 'Template'] }],
          locations: [
            {
              type: 'file',
              target: join(
                REPO_ROOT,
                'templates/logging-environment/template.yaml',
              ),
            },
          ],
          processingInterval: { seconds: 1 },
        },
      },
      users: orgEntities(),
      features: [
        scaffolderPlugin,
        scaffolderModule,
        catalogPlugin,
        catalogModelModule,
      ],
      databaseDir: mkdtempSync(join(tmpdir(), 'development-db-')),
    });
    await waitFor('the template in the catalog', async () => {
      const res = await request(portal.server())
        .get(
          '/api/catalog/entities/by-name/template/default/logging-environment',
        )
        .set('authorization', userHeader('requester'));
      return res.status === 200 ? true : undefined;
    });
  });

  afterAll(async () => {
    await portal?.stop();
    await sandbox?.stop();
  });

  it('completes the bootstrap, then goes live on its own, forwarder after the health check', async () => {
    const user = userHeader('requester');
    // The key the platform team gave the requester: an identity that may
    // read only this environment's secrets.
    const key = await createExternalSecretsIdentity(sandbox, {
      environment: NAME,
    });
    const created = await request(portal.server())
      .post('/api/scaffolder/v2/tasks')
      .set('authorization', user)
      .send({
        templateRef: 'template:default/logging-environment',
        values: {
          name: NAME,
          tier: 'development',
          owner: 'group:default/platform-team',
          cluster: 'sandbox',
          region: sandbox.aws.region,
          installOperators: true,
        },
        secrets: {
          awsAccessKeyId: key.accessKeyId,
          awsSecretAccessKey: key.secretAccessKey,
        },
      });
    expect(created.status).toBe(201);
    const task = await waitFor('the task to end', async () => {
      const res = await request(portal.server())
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set('authorization', user);
      return ['completed', 'failed', 'cancelled'].includes(res.body.status)
        ? res.body
        : undefined;
    });
    const events = await request(portal.server())
      .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
      .set('authorization', user);
    const log = events.body.map((e: any) => e.body?.message ?? '').join('\n');
    expect([task.status, task.status === 'completed' ? '' : log]).toEqual([
      'completed',
      '',
    ]);

    // The infrastructure is Argo CD's to sync (automated); the forwarder is
    // synced by the backend's scheduled sync once the health check passed.
    const done = await waitFor(
      'the environment to go live',
      async () => {
        await portal.tick();
        const res = await portal.call(
          'get',
          `/environments/default/${NAME}`,
          'viewer',
        );
        const d = res.body as EnvironmentDetails;
        return res.status === 200 &&
          ['succeeded', 'failed', 'blocked'].includes(d.sync?.state ?? '')
          ? d
          : undefined;
      },
      180_000,
    );
    expect(`${done.sync?.state}: ${done.sync?.message}`).toMatch(
      /^succeeded: /,
    );
    expect(done.phase).toBe('live');
    expect(done.record?.state).toBe('registered');
    const infra = app('infrastructure');
    const forwarder = app('forwarder');
    expect(infra.spec.syncPolicy.automated).toBeDefined();
    expect(forwarder.spec.syncPolicy?.automated).toBeUndefined();
    const healthCheck = infra.status.operationState.syncResult.resources.find(
      (r: any) => r.kind === 'Job',
    );
    expect(healthCheck?.hookPhase).toBe('Succeeded');
    expect(
      Date.parse(forwarder.status.operationState.startedAt),
    ).toBeGreaterThanOrEqual(
      Date.parse(infra.status.operationState.finishedAt),
    );
  });
});
