import { ConfigReader } from '@backstage/config';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { ConfigClusterRegistry } from '@internal/plugin-logging-environments-node';
import {
  createApplyClusterCredentialsAction,
  createEnsureOperatorsAction,
  createEnsureSecretStoreAction,
  createRegisterArgoCdAction,
  createSyncArgoCdAction,
} from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import { renderSkeleton } from '../gitops/__testUtils__/render';

const kubectl = (dir: string, ...args: string[]) =>
  promisify(execFile)('kubectl', [
    '--kubeconfig',
    join(dir, 'kubeconfig'),
    ...args,
  ]).then(r => r.stdout);

describe('cluster bootstrap actions against the sandbox', () => {
  jest.setTimeout(120_000);
  let sandbox: Sandbox;
  let dir: string;
  let clusters: ConfigClusterRegistry;
  let workspace: string;

  const context = (input: any, extra: Record<string, unknown> = {}) => {
    const lines: string[] = [];
    const ctx = Object.assign(
      createMockActionContext({
        input,
        workspacePath: workspace,
        secrets: {
          awsAccessKeyId: sandbox.aws.accessKeyId,
          awsSecretAccessKey: sandbox.aws.secretAccessKey,
        },
      }),
      extra,
    );
    for (const level of ['info', 'warn', 'error'] as const) {
      jest.spyOn(ctx.logger, level).mockImplementation(((m: string) => {
        lines.push(String(m));
      }) as any);
    }
    return { ctx, lines, outputs: () => (ctx.output as jest.Mock).mock.calls };
  };
  const inputOf = (examples: { example: string }[] | undefined, i = 0) =>
    yaml.parse(examples![i].example).steps[0].input;

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    dir = mkdtempSync(join(tmpdir(), 'sandbox-'));
    await sandbox.writeFiles(dir);
    clusters = ConfigClusterRegistry.fromConfig(
      new ConfigReader({
        loggingEnvironments: {
          clusters: [
            {
              name: 'sandbox',
              kubeconfig: join(dir, 'kubeconfig'),
              argocdUrl: sandbox.argocd.url,
              argocdToken: sandbox.argocd.token,
            },
          ],
        },
      }),
    );
    workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
    for (const [name, tier] of [
      ['acme-prod', 'production'],
      ['team-a-dev', 'development'],
    ] as const) {
      await renderSkeleton(workspace, {
        name,
        tier,
        cluster: 'sandbox',
        region: sandbox.aws.region,
        repoUrl: sandbox.git.url,
      });
    }
  }, 120_000);
  afterAll(() => sandbox?.stop());

  it('applies the credentials Secret from the task secrets, never showing them', async () => {
    const action = createApplyClusterCredentialsAction({ clusters });
    const first = context(inputOf(action.examples));
    await action.handler(first.ctx);
    expect(first.outputs()).toContainEqual(['action', 'created']);
    const second = context(inputOf(action.examples));
    await action.handler(second.ctx);
    expect(second.outputs()).toContainEqual(['action', 'unchanged']);

    const data = JSON.parse(
      await kubectl(
        dir,
        'get',
        'secret',
        'aws-credentials',
        '-n',
        'external-secrets-system',
        '-o',
        'json',
      ),
    ).data;
    expect(Buffer.from(data['access-key-id'], 'base64').toString()).toBe(
      sandbox.aws.accessKeyId,
    );
    const shown = JSON.stringify([
      first.lines,
      first.outputs(),
      second.lines,
      second.outputs(),
    ]);
    expect(shown).not.toContain(sandbox.aws.secretAccessKey);
    expect(shown).not.toContain(sandbox.aws.accessKeyId);
  });

  it('applies the rendered ClusterSecretStore and waits until External Secrets says Ready', async () => {
    const action = createEnsureSecretStoreAction({ clusters });
    const run = context(inputOf(action.examples));
    await action.handler(run.ctx);
    expect(run.outputs()).toContainEqual(['action', 'created']);
    const store = JSON.parse(
      await kubectl(
        dir,
        'get',
        'clustersecretstore',
        'aws-secrets-manager',
        '-o',
        'json',
      ),
    );
    expect(
      store.status.conditions.find((c: any) => c.type === 'Ready').status,
    ).toBe('True');
    expect(store.spec.conditions).toEqual([
      { namespaces: ['openshift-logging'] },
    ]);
  });

  it("reports External Secrets' own reason when the store cannot become Ready", async () => {
    await kubectl(
      dir,
      'delete',
      'secret',
      'aws-credentials',
      '-n',
      'external-secrets-system',
    );
    const action = createEnsureSecretStoreAction({ clusters });
    const run = context({
      cluster: 'sandbox',
      manifest: 'environments/acme-prod/bootstrap/cluster-secret-store.yaml',
      timeoutSeconds: 2,
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      /ClusterSecretStore aws-secrets-manager: wait for Ready failed \(InvalidProviderConfig\): External Secrets reports:/,
    );
    // Put the credentials back for the next tests.
    await createApplyClusterCredentialsAction({ clusters }).handler(
      context({ cluster: 'sandbox' }).ctx,
    );
  });

  it('installs the operators through OLM and skips them the second time', async () => {
    const action = createEnsureOperatorsAction({ clusters });
    const first = context(inputOf(action.examples));
    await action.handler(first.ctx);
    expect(first.lines.join('\n')).toMatch(
      /Subscription openshift-operators-redhat\/loki-operator created: installed loki-operator\.v6\.2\.\d+/,
    );
    const second = context(inputOf(action.examples));
    await action.handler(second.ctx);
    expect(second.lines.join('\n')).toContain(
      'Subscription openshift-operators-redhat/loki-operator unchanged',
    );
  });

  it('registers production Applications exactly as rendered, without syncing them', async () => {
    const action = createRegisterArgoCdAction({ clusters });
    const run = context(inputOf(action.examples));
    await action.handler(run.ctx);
    const [[, apps]] = run
      .outputs()
      .filter(([k]: [string]) => k === 'applications');
    expect(apps.map((a: any) => a.name)).toEqual([
      'acme-prod-logging-infrastructure',
      'acme-prod-logging-forwarder',
    ]);
    expect(apps[0].url).toBe(
      `${sandbox.argocd.url}/applications/openshift-gitops/acme-prod-logging-infrastructure`,
    );

    // Registered, and not synced: nothing of the stack exists, no operation ran.
    await new Promise(r => setTimeout(r, 300));
    const app = JSON.parse(
      await kubectl(
        dir,
        'get',
        'applications.argoproj.io',
        'acme-prod-logging-infrastructure',
        '-n',
        'openshift-gitops',
        '-o',
        'json',
      ),
    );
    expect(app.spec.syncPolicy.automated).toBeUndefined();
    expect(app.operation).toBeUndefined();
    expect(app.status?.operationState).toBeUndefined();
    expect(
      JSON.parse(await kubectl(dir, 'get', 'lokistacks', '-A', '-o', 'json'))
        .items,
    ).toEqual([]);
  });

  it('refuses to register a production Application that would sync on its own', async () => {
    const action = createRegisterArgoCdAction({ clusters });
    // The development rendering, registered as production.
    const run = context({
      cluster: 'sandbox',
      tier: 'production',
      manifests: ['environments/team-a-dev/argocd/applications.yaml'],
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      /must not have syncPolicy.automated: it is synced only after approval/,
    );
  });

  it('refuses manifests outside the workspace', async () => {
    const action = createRegisterArgoCdAction({ clusters });
    await expect(
      action.handler(
        context({
          cluster: 'sandbox',
          tier: 'production',
          manifests: ['../../etc/passwd'],
        }).ctx,
      ),
    ).rejects.toThrow(
      'manifests[0]: must be a path inside the task workspace, not "../../etc/passwd"',
    );
  });

  it('syncs through the Argo CD API at the pinned revision', async () => {
    await createRegisterArgoCdAction({ clusters }).handler(
      context({
        cluster: 'sandbox',
        tier: 'development',
        manifests: [
          'environments/team-a-dev/argocd/appproject.yaml',
          'environments/team-a-dev/argocd/applications.yaml',
        ],
      }).ctx,
    );
    const action = createSyncArgoCdAction({ clusters });
    const run = context(inputOf(action.examples));
    await action.handler(run.ctx);
    expect(run.lines.join('\n')).toContain(
      'Started a sync of Application openshift-gitops/team-a-dev-logging-infrastructure at main through the Argo CD API',
    );
  });

  it('starts exactly the requested sync of an Application that never syncs on its own', async () => {
    // acme-prod was registered above (production: no automated policy).
    const action = createSyncArgoCdAction({ clusters });
    await action.handler(
      context({
        cluster: 'sandbox',
        applications: ['acme-prod-logging-forwarder'],
        revision: 'main',
      }).ctx,
    );
    const head = (
      await promisify(execFile)('git', [
        '--git-dir',
        sandbox.git.repoDir,
        'rev-parse',
        'main',
      ])
    ).stdout.trim();
    let state: any;
    for (let i = 0; i < 100 && !state?.syncResult; i++) {
      await new Promise(r => setTimeout(r, 100));
      const app = JSON.parse(
        await kubectl(
          dir,
          'get',
          'applications.argoproj.io',
          'acme-prod-logging-forwarder',
          '-n',
          'openshift-gitops',
          '-o',
          'json',
        ),
      );
      state = app.status?.operationState;
    }
    expect(state.operation.initiatedBy.automated).toBeFalsy();
    expect(state.syncResult.revision).toBe(head);
  });
});
