/**
 * The development bootstrap from the official template on a sandbox in
 * OpenShift GitOps mode, where the operator owns argocd-cm: the
 * registration puts the product's health checks into the ArgoCD resource's
 * spec.resourceHealthChecks, the operator renders them into argocd-cm, and
 * with them the forwarder's wave turns healthy and the environment goes
 * live. Nothing is seeded into Argo CD beforehand.
 */
import { EnvironmentDetails } from '@internal/plugin-logging-environments-common';
import {
  argoCdHealthCheckKey,
  argoCdHealthCheckSettings,
} from '@internal/plugin-logging-environments-node';
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

const NAME = 'team-b-dev';

describe('a development environment on OpenShift GitOps', () => {
  let sandbox: Sandbox;
  let portal: PortalBackend;

  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'fast',
      argoCdFlavour: 'openshift-gitops',
    });
    await seedSandbox(sandbox, { manifestsDir: join(REPO_ROOT, 'manifests') });
    const config = await sandboxConfig(sandbox);
    portal = await startPortalBackend({
      config: { ...config, catalog: templateCatalogConfig() },
      users: orgEntities(),
      features: TEMPLATE_PORTAL_FEATURES,
      databaseDir: mkdtempSync(join(tmpdir(), 'openshift-gitops-db-')),
    });
    await waitForTemplate(portal.server());
  });

  afterAll(async () => {
    await portal?.stop();
    await sandbox?.stop();
  });

  it('installs the health checks through the ArgoCD resource, and the forwarder wave turns healthy with them', async () => {
    const shipped = await argoCdHealthCheckSettings().healthChecks();
    const argocdCm = () =>
      sandbox.store.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'openshift-gitops',
        name: 'argocd-cm',
      }) as any;
    // Before the bootstrap, Argo CD has none of them.
    for (const c of shipped.checks) {
      expect(argocdCm()?.data?.[argoCdHealthCheckKey(c)]).toBeUndefined();
    }

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
    expect(task.log).toContain(
      'Argo CD health checks: ArgoCD openshift-gitops/openshift-gitops updated: added an entry for loki.grafana.com/LokiStack; added an entry for observability.openshift.io/ClusterLogForwarder',
    );

    // In the ArgoCD resource, and rendered by the operator (not applied by
    // the product) into argocd-cm.
    const argocd: any = sandbox.store.get({
      apiVersion: 'argoproj.io/v1beta1',
      kind: 'ArgoCD',
      namespace: 'openshift-gitops',
      name: 'openshift-gitops',
    });
    expect(argocd.spec.resourceHealthChecks).toEqual(shipped.checks);
    for (const c of shipped.checks) {
      expect(argocdCm().data[argoCdHealthCheckKey(c)]).toBe(c.check);
    }
    expect(
      argocdCm().metadata.managedFields.map((f: any) => f.manager),
    ).not.toContain('backstage-logging-environments');

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
    const forwarderWave = done.applications
      .find(a => a.role === 'forwarder')!
      .waves.find(w => w.wave === 30)!;
    expect(forwarderWave.state).toBe('healthy');
    expect(
      forwarderWave.resources.find(r => r.kind === 'ClusterLogForwarder')
        ?.health,
    ).toBe('Healthy');

    // The checklist agrees: the health checks are there, script for script.
    const checklist = await portal.call(
      'post',
      `/environments/default/${NAME}/checklist`,
      'requester',
    );
    const item = checklist.body.items.find(
      (i: { id: string }) => i.id === 'argocd-health-checks',
    );
    expect(item).toMatchObject({
      status: 'pass',
      evidence: {
        flavour: 'openshift-gitops',
        configuredIn: 'ArgoCD openshift-gitops/openshift-gitops',
      },
    });
  });
});
