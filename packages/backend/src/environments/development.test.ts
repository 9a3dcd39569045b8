/**
 * A development environment created from the official template, through
 * the real scaffolder, catalog and plugin on the sandbox: the task
 * completes (no step syncs: Argo CD syncs the automated infrastructure
 * Application, the backend's scheduled sync the forwarder once the health
 * check passed), and the environment ends up live, forwarder last. The
 * sandbox seeds no Argo CD health checks: the bootstrap installs them (on
 * OpenShift GitOps: openshiftGitops.test.ts).
 */
import {
  EnvironmentDetails,
  HistoryEvent,
} from '@internal/plugin-logging-environments-common';
import { Sandbox, startSandbox, seedSandbox } from '@internal/sandbox';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExternalSecretsIdentity } from '../__testUtils__/externalSecretsIdentity';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';
import { sandboxConfig } from '../gitops/__testUtils__/portal';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
} from './__testUtils__/portalBackend';
import {
  TEMPLATE_PORTAL_FEATURES,
  runTemplateTask,
  templateCatalogConfig,
  waitForTemplate,
  waitUntil,
} from './__testUtils__/templatePortal';

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

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    await seedSandbox(sandbox, { manifestsDir: join(REPO_ROOT, 'manifests') });
    const config = await sandboxConfig(sandbox);
    portal = await startPortalBackend({
      config: {
        ...config,
        catalog: templateCatalogConfig(),
      },
      users: orgEntities(),
      features: TEMPLATE_PORTAL_FEATURES,
      databaseDir: mkdtempSync(join(tmpdir(), 'development-db-')),
    });
    await waitForTemplate(portal.server());
  });

  afterAll(async () => {
    await portal?.stop();
    await sandbox?.stop();
  });

  it('completes the bootstrap, then goes live on its own, forwarder after the health check', async () => {
    // The External Secrets identity the docs ask for: this environment's
    // secrets only.
    const key = await createExternalSecretsIdentity(sandbox, {
      environment: NAME,
    });
    const task = await runTemplateTask(
      portal.server(),
      'requester',
      'template:default/logging-environment',
      {
        name: NAME,
        tier: 'development',
        owner: 'group:default/platform-team',
        cluster: 'sandbox',
        region: sandbox.aws.region,
        installOperators: true,
      },
      {
        awsAccessKeyId: key.accessKeyId,
        awsSecretAccessKey: key.secretAccessKey,
      },
    );
    expect([task.status, task.status === 'completed' ? '' : task.log]).toEqual([
      'completed',
      '',
    ]);
    // The template run is in the environment's history, linking its task:
    // the claim and the binding of the Applications, by the requester.
    // (once the catalog has ingested the entity the template registered).
    const history = await waitUntil(
      'the environment in the catalog',
      async () => {
        const res = await portal.call(
          'get',
          `/environments/default/${NAME}/history`,
          'viewer',
        );
        return res.status === 404 ? undefined : res;
      },
    );
    expect(history.status).toBe(200);
    expect(
      (history.body.items as HistoryEvent[])
        .filter(e => e.type === 'bootstrap')
        .map(e => [e.actor, e.details?.taskId]),
    ).toEqual([
      ['user:default/requester', task.task.id],
      ['user:default/requester', task.task.id],
    ]);

    // The infrastructure is Argo CD's to sync (automated); the forwarder is
    // synced by the backend's scheduled sync once the health check passed.
    const done = await waitUntil(
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

    // The health checks that let the forwarder's wave turn healthy are the
    // product's: server-side applied into argocd-cm by the registration.
    const argocdCm: any = sandbox.store.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'openshift-gitops',
      name: 'argocd-cm',
    });
    expect(argocdCm.metadata.managedFields.map((f: any) => f.manager)).toEqual([
      'backstage-logging-environments',
    ]);
    const forwarderWave = done.applications
      .find(a => a.role === 'forwarder')!
      .waves.find(w => w.wave === 30)!;
    expect(forwarderWave.state).toBe('healthy');
    expect(
      forwarderWave.resources.find(r => r.kind === 'ClusterLogForwarder')
        ?.health,
    ).toBe('Healthy');
  });
});
