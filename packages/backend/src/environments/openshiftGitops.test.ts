/**
 * The development bootstrap from the official template on a sandbox in
 * OpenShift GitOps mode, where the operator owns argocd-cm: the
 * registration puts the product's health checks into the ArgoCD resource's
 * spec.resourceHealthChecks, the operator renders them into argocd-cm, and
 * with them the forwarder's wave turns healthy and the environment goes
 * live. Nothing is seeded into Argo CD beforehand, and External Secrets
 * (installed through OLM) deploys no controller until the operators step
 * created its OperatorConfig.
 *
 * Then, on that one environment, what an administrator may undo: removing
 * the health checks from the ArgoCD resource or deleting the External
 * Secrets operator's configuration fails the checklist with the fix, and
 * doing what the fix says makes it pass again.
 */
import {
  ChecklistItem,
  ChecklistRun,
  EnvironmentDetails,
} from '@internal/plugin-logging-environments-common';
import {
  argoCdHealthCheckKey,
  argoCdHealthCheckSettings,
  DEFAULT_EXTERNAL_SECRETS_FLAVOUR,
  EXTERNAL_SECRETS_CONFIGS,
  EXTERNAL_SECRETS_OPERATORS,
} from '@internal/plugin-logging-environments-node';
import { Sandbox, startSandbox, seedSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
const ARGOCD_INSTANCE = 'ArgoCD openshift-gitops/openshift-gitops';
/** The External Secrets operator the operators step installs, and its configuration. */
const ESO_PACKAGE =
  EXTERNAL_SECRETS_OPERATORS[DEFAULT_EXTERNAL_SECRETS_FLAVOUR].package;
const ESO_CONFIG = EXTERNAL_SECRETS_CONFIGS[DEFAULT_EXTERNAL_SECRETS_FLAVOUR];
const ESO_KIND = ESO_CONFIG.kind!;
const ESO_CONFIG_NAME = `${ESO_KIND} ${ESO_CONFIG.metadata!.namespace}/${
  ESO_CONFIG.metadata!.name
}`;

describe('a development environment on OpenShift GitOps', () => {
  let sandbox: Sandbox;
  let portal: PortalBackend;
  let kubeDir: string;

  /** kubectl on the sandbox, as an administrator runs it. */
  const kubectl = (...args: string[]) =>
    promisify(execFile)('kubectl', [
      '--kubeconfig',
      join(kubeDir, 'kubeconfig'),
      ...args,
    ]).then(r => r.stdout);
  const argocdCm = () =>
    sandbox.store.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'openshift-gitops',
      name: 'argocd-cm',
    }) as any;
  const checklist = async () => {
    const res = await portal.call(
      'post',
      `/environments/default/${NAME}/checklist`,
      'requester',
    );
    expect(res.status).toBe(200);
    const run = res.body as ChecklistRun;
    const item = (id: string) =>
      run.items.find((i: ChecklistItem) => i.id === id)!;
    return { run, item };
  };

  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'fast',
      argoCdFlavour: 'openshift-gitops',
    });
    kubeDir = mkdtempSync(join(tmpdir(), 'openshift-gitops-kube-'));
    await sandbox.writeFiles(kubeDir);
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
      `Argo CD health checks: ${ARGOCD_INSTANCE} updated: added an entry for loki.grafana.com/LokiStack; added an entry for observability.openshift.io/ClusterLogForwarder`,
    );
    // External Secrets ran only once the operators step configured it.
    expect(task.log).toContain(
      `${ESO_CONFIG_NAME} created: controller running: ${ESO_CONFIG_NAME} Deployed`,
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

    // The checklist agrees: the health checks are there, script for
    // script, and External Secrets' operator deployed its controller.
    const { item } = await checklist();
    expect(item('argocd-health-checks')).toMatchObject({
      status: 'pass',
      evidence: {
        flavour: 'openshift-gitops',
        configuredIn: ARGOCD_INSTANCE,
      },
    });
    expect(item('operators')).toMatchObject({
      status: 'pass',
      evidence: {
        'external-secrets controller': `${ESO_CONFIG_NAME} Deployed (InstallSuccessful)`,
      },
    });
  });

  it('fails the health checks item with its fix when an administrator removes them from the ArgoCD resource, and passes once they are put back by hand', async () => {
    const shipped = await argoCdHealthCheckSettings().healthChecks();
    await kubectl(
      '-n',
      'openshift-gitops',
      'patch',
      'argocd',
      'openshift-gitops',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'remove', path: '/spec/resourceHealthChecks' }]),
    );
    // The operator drops what it rendered from them.
    await waitUntil('the operator to render argocd-cm without them', async () =>
      shipped.checks.every(
        c => argocdCm()?.data?.[argoCdHealthCheckKey(c)] === undefined,
      )
        ? true
        : undefined,
    );

    const broken = await checklist();
    expect(broken.run.status).toBe('fail');
    const kinds = shipped.checks.map(c => c.kind).join(' and ');
    const problems = shipped.checks
      .map(
        c =>
          `${c.group}/${c.kind}: no entry in spec.resourceHealthChecks of ${ARGOCD_INSTANCE}`,
      )
      .join('; ');
    expect(broken.item('argocd-health-checks')).toMatchObject({
      status: 'fail',
      message: `Without the shipped health checks of ${kinds}, Argo CD cannot tell whether they are healthy (the forwarder's wave never turns healthy): ${problems}. Fix: re-run the template's "Register with Argo CD" step (logging:argocd:register puts the scripts of manifests/argocd/health into spec.resourceHealthChecks of ${ARGOCD_INSTANCE}), or put them there yourself (manifests/README.md shows how)`,
    });

    // The fix's second way, as manifests/README.md shows it.
    await kubectl(
      '-n',
      'openshift-gitops',
      'patch',
      'argocd',
      'openshift-gitops',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { resourceHealthChecks: shipped.checks } }),
    );
    const fixed = await waitUntil(
      'the health checks item to pass',
      async () => {
        const { item } = await checklist();
        return item('argocd-health-checks').status === 'pass'
          ? item('argocd-health-checks')
          : undefined;
      },
    );
    expect(fixed.evidence).toMatchObject({ configuredIn: ARGOCD_INSTANCE });
    for (const c of shipped.checks) {
      expect(argocdCm().data[argoCdHealthCheckKey(c)]).toBe(c.check);
    }
  });

  it("fails the operators item with its fix when an administrator deletes External Secrets' operator configuration, and passes once it is created again", async () => {
    await kubectl(
      '-n',
      ESO_CONFIG.metadata!.namespace!,
      'delete',
      ESO_KIND.toLowerCase(),
      ESO_CONFIG.metadata!.name!,
    );

    const broken = await checklist();
    expect(broken.run.status).toBe('fail');
    expect(broken.item('operators')).toMatchObject({
      status: 'fail',
      message: `${ESO_PACKAGE}: no ${ESO_KIND}: ${ESO_PACKAGE} deploys no External Secrets controller until one exists. Fix: create the ${ESO_CONFIG_NAME} (${ESO_CONFIG.apiVersion}) as manifests/operators does, or run the operators step (logging:operators:ensure) again`,
      evidence: { 'external-secrets controller': 'not running' },
    });

    // The fix's first way: the object manifests/operators holds.
    await kubectl(
      'apply',
      '-f',
      join(
        REPO_ROOT,
        `manifests/operators/components/external-secrets-${DEFAULT_EXTERNAL_SECRETS_FLAVOUR}/${ESO_KIND.toLowerCase()}.yaml`,
      ),
    );
    const fixed = await waitUntil('the operators item to pass', async () => {
      const { item } = await checklist();
      return item('operators').status === 'pass'
        ? item('operators')
        : undefined;
    });
    expect(fixed.evidence['external-secrets controller']).toBe(
      `${ESO_CONFIG_NAME} Deployed (InstallSuccessful)`,
    );
  });
});
