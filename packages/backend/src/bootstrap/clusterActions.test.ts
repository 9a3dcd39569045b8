import { ConfigReader } from '@backstage/config';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  ConfigClusterRegistry,
  argoCdHealthCheckKey,
  argoCdHealthCheckSettings,
} from '@internal/plugin-logging-environments-node';
import {
  createApplyClusterCredentialsAction,
  createEnsureOperatorsAction,
  createEnsureSecretStoreAction,
  createRegisterArgoCdAction,
} from '@internal/plugin-scaffolder-backend-module-logging-environments';
// The records are the backend plugin's; only this package may drive them
// beside the sandbox.
import { localRecords } from '@internal/plugin-logging-environments-backend/testUtils';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
  let records: Awaited<ReturnType<typeof localRecords>>;
  /** The same records, as a signed-in user who neither requested nor owns acme-prod. */
  let strangers: Awaited<ReturnType<typeof localRecords>>;
  /** The same records, as a platform administrator. */
  let admins: Awaited<ReturnType<typeof localRecords>>;
  // Every action checks its input with the environment's record.
  const deps = () => ({
    clusters,
    records: records.api,
    gitops: { repoUrl: sandbox.git.url, branch: 'main' },
  });

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
            // The same sandbox, configured for Red Hat's External Secrets.
            {
              name: 'sandbox-redhat',
              kubeconfig: join(dir, 'kubeconfig'),
              externalSecretsFlavour: 'redhat',
            },
          ],
        },
      }),
    );
    records = await localRecords({
      clusters,
      gitops: { repoUrl: sandbox.git.url },
    });
    strangers = await localRecords({
      clusters,
      gitops: { repoUrl: sandbox.git.url },
      knex: records.knex,
      caller: {
        userEntityRef: 'user:default/viewer',
        ownershipEntityRefs: [
          'user:default/viewer',
          'group:default/checkout-team',
        ],
        mayCreate: true,
      },
    });
    admins = await localRecords({
      clusters,
      gitops: { repoUrl: sandbox.git.url },
      knex: records.knex,
      administrators: ['group:default/platform-admins'],
      caller: {
        userEntityRef: 'user:default/admin',
        ownershipEntityRefs: [
          'user:default/admin',
          'group:default/platform-admins',
        ],
        mayCreate: true,
        mayAdminister: true,
      },
    });
    await records.api.claim(
      {
        name: 'acme-prod',
        tier: 'production',
        cluster: 'sandbox',
        owner: 'group:default/platform-team',
        region: sandbox.aws.region,
        bucket: 'acme-prod-loki',
      },
      { credentials: undefined as any },
    );
    await records.api.claim(
      {
        name: 'acme-rh',
        tier: 'production',
        cluster: 'sandbox-redhat',
        owner: 'group:default/platform-team',
        region: sandbox.aws.region,
        bucket: 'acme-rh-loki',
      },
      { credentials: undefined as any },
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
  afterAll(async () => {
    await records?.knex.destroy();
    await sandbox?.stop();
  });

  it('applies the credentials Secret from the task secrets, never showing them', async () => {
    const action = createApplyClusterCredentialsAction(deps());
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
    const action = createEnsureSecretStoreAction(deps());
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
    const action = createEnsureSecretStoreAction(deps());
    const run = context({
      environment: 'acme-prod',
      cluster: 'sandbox',
      manifest: 'environments/acme-prod/bootstrap/cluster-secret-store.yaml',
      timeoutSeconds: 2,
    });
    await expect(action.handler(run.ctx)).rejects.toThrow(
      /ClusterSecretStore aws-secrets-manager: wait for Ready failed \(InvalidProviderConfig\): External Secrets reports:/,
    );
    // Put the credentials back for the next tests.
    await createApplyClusterCredentialsAction(deps()).handler(
      context({ environment: 'acme-prod', cluster: 'sandbox' }).ctx,
    );
  });

  it('installs the operators through OLM and skips them the second time', async () => {
    const action = createEnsureOperatorsAction(deps());
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

  it('installs External Secrets with the OperatorConfig its operator waits for, and leaves both alone the second time', async () => {
    const action = createEnsureOperatorsAction(deps());
    const first = context(inputOf(action.examples, 1));
    await action.handler(first.ctx);
    expect(first.lines.join('\n')).toMatch(
      /Subscription openshift-operators\/external-secrets-operator created: installed external-secrets-operator\.v[\d.]+/,
    );
    expect(first.lines).toContain(
      'OperatorConfig openshift-operators/cluster created: controller running: OperatorConfig openshift-operators/cluster Deployed (InstallSuccessful)',
    );
    const config = JSON.parse(
      await kubectl(
        dir,
        'get',
        'operatorconfig',
        'cluster',
        '-n',
        'openshift-operators',
        '-o',
        'json',
      ),
    );
    expect(config.spec).toEqual({ installCRDs: false });
    expect(
      config.status.conditions.find((c: any) => c.type === 'Deployed'),
    ).toMatchObject({ status: 'True', reason: 'InstallSuccessful' });

    const second = context(inputOf(action.examples, 1));
    await action.handler(second.ctx);
    expect(second.lines).toEqual(
      expect.arrayContaining([
        'Subscription openshift-operators/external-secrets-operator unchanged: external-secrets-operator.v0.20.4 already installed',
        expect.stringMatching(
          /^OperatorConfig openshift-operators\/cluster unchanged: controller running: /,
        ),
      ]),
    );
  });

  it("refuses Red Hat's External Secrets beside the community one, and installs it with its ExternalSecretsConfig once that one is gone", async () => {
    const action = createEnsureOperatorsAction(deps());
    const input = {
      environment: 'acme-rh',
      cluster: 'sandbox-redhat',
      operators: ['externalSecrets'],
      timeoutSeconds: 60,
    };
    await expect(action.handler(context(input).ctx)).rejects.toThrow(
      'External Secrets (redhat): check the installed External Secrets failed (Conflict): the cluster already subscribes to external-secrets-operator (Subscription openshift-operators/external-secrets-operator, the "community" flavour)',
    );

    // An administrator uninstalls the community operator, its
    // OperatorConfig first: the operator's finalizer holds it until the
    // operator has uninstalled the release.
    for (const args of [
      ['operatorconfig', 'cluster'],
      ['subscription', 'external-secrets-operator'],
      ['csv', 'external-secrets-operator.v0.20.4'],
    ]) {
      await kubectl(dir, 'delete', ...args, '-n', 'openshift-operators');
    }
    const run = context(input);
    await action.handler(run.ctx);
    expect(run.lines).toContain(
      'ExternalSecretsConfig cluster created: controller running: ExternalSecretsConfig cluster Ready',
    );
    const config = JSON.parse(
      await kubectl(
        dir,
        'get',
        'externalsecretsconfig',
        'cluster',
        '-o',
        'json',
      ),
    );
    expect(config.spec.controllerConfig.networkPolicies).toEqual([
      {
        name: 'allow-aws-secrets-manager',
        componentName: 'ExternalSecretsCoreController',
        egress: [{ ports: [{ protocol: 'TCP', port: 443 }] }],
      },
    ]);
  });

  it('registers production Applications exactly as rendered, without syncing them', async () => {
    const action = createRegisterArgoCdAction(deps());
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

    // Registered, and not synced: nothing of the stack exists and no
    // operation ran, once Argo CD has reconciled the Application (it writes
    // status.sync), rather than after a fixed wait.
    const readApp = async () =>
      JSON.parse(
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
    let app = await readApp();
    for (let i = 0; i < 100 && !app.status?.sync?.status; i++) {
      await new Promise(r => setTimeout(r, 100));
      app = await readApp();
    }
    expect(app.status.sync.status).toEqual(expect.any(String));
    expect(app.spec.syncPolicy.automated).toBeUndefined();
    expect(app.operation).toBeUndefined();
    expect(app.status?.operationState).toBeUndefined();
    expect(
      JSON.parse(await kubectl(dir, 'get', 'lokistacks', '-A', '-o', 'json'))
        .items,
    ).toEqual([]);
  });

  it('binds the registered Applications to the record', async () => {
    const record = await records.records.get('resource:default/acme-prod');
    expect(record?.state).toBe('registered');
    const uid = JSON.parse(
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
    ).metadata.uid;
    expect(record?.applications.infrastructure.uid).toBe(uid);
  });

  it('installed the Argo CD health checks first: only their argocd-cm keys, as the product, and leaves them once right', async () => {
    const shipped = await argoCdHealthCheckSettings().healthChecks();
    const cm = () =>
      sandbox.store.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'openshift-gitops',
        name: 'argocd-cm',
      }) as any;
    // The registration above installed them (the sandbox seeds none).
    expect(cm().data).toEqual(
      Object.fromEntries(
        shipped.checks.map(c => [argoCdHealthCheckKey(c), c.check]),
      ),
    );
    expect(cm().metadata.labels).toEqual(shipped.labels);
    const ours = cm().metadata.managedFields.find(
      (f: any) => f.manager === 'backstage-logging-environments',
    );
    expect(ours.operation).toBe('Apply');

    // Someone else's key, and an edited check.
    const lokiKey = argoCdHealthCheckKey(shipped.checks[0]);
    sandbox.store.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-cm', namespace: 'openshift-gitops' },
        data: { url: 'https://argocd.example.com', [lokiKey]: 'return {}' },
      },
      { fieldManager: 'someone', force: true },
    );
    const register = createRegisterArgoCdAction(deps());
    const dry = context(inputOf(register.examples), { isDryRun: true });
    await register.handler(dry.ctx);
    expect(dry.lines).toContain(
      'Argo CD health checks: ConfigMap openshift-gitops/argocd-cm would update: replaced the health check of loki.grafana.com/LokiStack (it differed from the shipped script)',
    );
    expect(cm().data[lokiKey]).toBe('return {}');

    const fix = context(inputOf(register.examples));
    await register.handler(fix.ctx);
    expect(fix.lines[0]).toBe(
      'Argo CD health checks: ConfigMap openshift-gitops/argocd-cm updated: replaced the health check of loki.grafana.com/LokiStack (it differed from the shipped script)',
    );
    expect(cm().data[lokiKey]).toBe(shipped.checks[0].check);
    expect(cm().data.url).toBe('https://argocd.example.com');

    const version = cm().metadata.resourceVersion;
    const again = context(inputOf(register.examples));
    await register.handler(again.ctx);
    expect(again.lines[0]).toBe(
      'Argo CD health checks: ConfigMap openshift-gitops/argocd-cm unchanged',
    );
    expect(cm().metadata.resourceVersion).toBe(version);
  });

  it('refuses to register a production Application that would sync on its own', async () => {
    const action = createRegisterArgoCdAction(deps());
    // The development rendering of the same environment: an automated
    // infrastructure Application.
    const devWorkspace = mkdtempSync(join(tmpdir(), 'workspace-'));
    await renderSkeleton(devWorkspace, {
      name: 'acme-prod',
      tier: 'development',
      cluster: 'sandbox',
      region: sandbox.aws.region,
      repoUrl: sandbox.git.url,
    });
    const run = context({
      environment: 'acme-prod',
      cluster: 'sandbox',
      manifests: [
        'environments/acme-prod/argocd/appproject.yaml',
        'environments/acme-prod/argocd/applications.yaml',
      ],
    });
    run.ctx.workspacePath = devWorkspace;
    await expect(action.handler(run.ctx)).rejects.toThrow(
      'spec.syncPolicy.automated is not allowed: a production Application is synced only after approval',
    );
  });

  it.each([
    [
      'an AppProject that allows every destination, source and cluster kind',
      'argocd/appproject.yaml',
      (text: string) =>
        text
          .replace(/sourceRepos:\n {4}- .*\n/, "sourceRepos:\n    - '*'\n")
          .replace(
            /destinations:\n(.*\n){2}/,
            "destinations:\n    - server: '*'\n      namespace: '*'\n",
          )
          .replace(
            /clusterResourceWhitelist:\n/,
            "clusterResourceWhitelist:\n    - group: '*'\n      kind: '*'\n",
          ),
      /spec.sourceRepos must be exactly the GitOps repository .*spec.destinations must be exactly the namespace openshift-logging .*spec.clusterResourceWhitelist\[0\] must name one of the collector's ClusterRoleBindings/,
    ],
    [
      'a ClusterRoleBinding to cluster-admin',
      'argocd/appproject.yaml',
      (text: string) =>
        text.replace(
          'name: logging-collector-write-logs',
          'name: make-me-cluster-admin',
        ),
      /spec.clusterResourceWhitelist\[0\] must name one of the collector's ClusterRoleBindings/,
    ],
    [
      "an Application that reads another environment's path",
      'argocd/applications.yaml',
      (text: string) =>
        text.replace(
          'path: environments/acme-prod/forwarder',
          'path: environments/evil/forwarder',
        ),
      /Application openshift-gitops\/acme-prod-logging-forwarder: spec.source.path must be "environments\/acme-prod\/forwarder"/,
    ],
  ])('refuses %s', async (_what, file, edit, message) => {
    const path = join(workspace, 'environments/acme-prod', file);
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, edit(original));
    try {
      const run = context({
        environment: 'acme-prod',
        cluster: 'sandbox',
        manifests: [
          'environments/acme-prod/argocd/appproject.yaml',
          'environments/acme-prod/argocd/applications.yaml',
        ],
      });
      await expect(
        createRegisterArgoCdAction(deps()).handler(run.ctx),
      ).rejects.toThrow(message);
    } finally {
      writeFileSync(path, original);
    }
  });

  it('refuses manifests outside the workspace', async () => {
    const action = createRegisterArgoCdAction(deps());
    await expect(
      action.handler(
        context({
          environment: 'acme-prod',
          cluster: 'sandbox',
          manifests: ['../../etc/passwd'],
        }).ctx,
      ),
    ).rejects.toThrow(
      'manifests[0]: must be a path inside the task workspace, not "../../etc/passwd"',
    );
  });

  it('replaces the External Secrets credentials only when asked to rotate, and for production only as an administrator', async () => {
    const action = createApplyClusterCredentialsAction(deps());
    const asAdmin = createApplyClusterCredentialsAction({
      ...deps(),
      records: admins.api,
    });
    const other = (input: object) =>
      context(input, {
        secrets: {
          awsAccessKeyId: 'FAKE-OTHER-IDENTITY-KEY-ID',
          awsSecretAccessKey: 'another-secret-value-of-someone',
        },
      });
    const refused = other({ environment: 'acme-prod', cluster: 'sandbox' });
    await expect(action.handler(refused.ctx)).rejects.toThrow(
      'Secret external-secrets-system/aws-credentials: replace the credentials failed (Conflict): it already holds the credentials of another access key; replacing them is a rotation and needs the explicit rotation input (rotate: true)',
    );
    // The requester of a production environment may not rotate it.
    const byRequester = other({
      environment: 'acme-prod',
      cluster: 'sandbox',
      rotate: true,
    });
    await expect(action.handler(byRequester.ctx)).rejects.toThrow(
      'rotate: only an administrator may replace the External Secrets credentials of the production environment acme-prod',
    );
    const rotated = other({
      environment: 'acme-prod',
      cluster: 'sandbox',
      rotate: true,
    });
    await asAdmin.handler(rotated.ctx);
    expect(rotated.outputs()).toContainEqual(['action', 'updated']);
    // And back, for the others.
    await asAdmin.handler(
      context({ environment: 'acme-prod', cluster: 'sandbox', rotate: true })
        .ctx,
    );
  });

  it('refuses a ClusterSecretStore that serves more than the environment namespace', async () => {
    const path = join(
      workspace,
      'environments/acme-prod/bootstrap/cluster-secret-store.yaml',
    );
    const original = readFileSync(path, 'utf8');
    writeFileSync(
      path,
      original.replace(
        '    - namespaces: [openshift-logging]',
        () =>
          "    - namespaces: [openshift-logging]\n    - namespaceRegexes: ['^logging-dev-.*$']",
      ),
    );
    try {
      await expect(
        createEnsureSecretStoreAction(deps()).handler(
          context({
            environment: 'acme-prod',
            cluster: 'sandbox',
            manifest:
              'environments/acme-prod/bootstrap/cluster-secret-store.yaml',
          }).ctx,
        ),
      ).rejects.toThrow(
        "manifest: the ClusterSecretStore is not the one acme-prod's record implies: spec.conditions must allow exactly the namespace openshift-logging (no regex, no other namespace)",
      );
    } finally {
      writeFileSync(path, original);
    }
  });

  it("replaces another environment's ClusterSecretStore only by an administrator's rotation", async () => {
    // What a cluster has when an earlier environment left its store there.
    await kubectl(
      dir,
      'label',
      'clustersecretstore',
      'aws-secrets-manager',
      'logging-environments.io/environment=old-env',
      '--overwrite',
    );
    const input = {
      environment: 'acme-prod',
      cluster: 'sandbox',
      manifest: 'environments/acme-prod/bootstrap/cluster-secret-store.yaml',
    };
    await expect(
      createEnsureSecretStoreAction(deps()).handler(context(input).ctx),
    ).rejects.toThrow(
      'ClusterSecretStore aws-secrets-manager: replace the store failed (Conflict): it already exists for the environment old-env; replacing it is a rotation and needs the explicit rotation input (rotate: true)',
    );
    await expect(
      createEnsureSecretStoreAction(deps()).handler(
        context({ ...input, rotate: true }).ctx,
      ),
    ).rejects.toThrow('rotate: only an administrator may replace');
    const run = context({ ...input, rotate: true });
    await createEnsureSecretStoreAction({
      ...deps(),
      records: admins.api,
    }).handler(run.ctx);
    expect(run.outputs()).toContainEqual(['action', 'updated']);
  });

  it("acts for nobody who may not run the environment's bootstrap, and nowhere but its cluster", async () => {
    await expect(
      createApplyClusterCredentialsAction({
        ...deps(),
        records: strangers.api,
      }).handler(context({ environment: 'acme-prod', cluster: 'sandbox' }).ctx),
    ).rejects.toThrow(
      'only the requester of acme-prod (user:default/requester), members of its owner group (group:default/platform-team) or an administrator may run its bootstrap',
    );
    await expect(
      createEnsureOperatorsAction(deps()).handler(
        context({ environment: 'acme-prod', cluster: 'elsewhere' }).ctx,
      ),
    ).rejects.toThrow(
      'logging:operators:ensure refused for acme-prod: cluster: the record of acme-prod says "sandbox", not "elsewhere"',
    );
  });
});
