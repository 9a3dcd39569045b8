/**
 * The trust boundary, attacked as an unprivileged user would: the viewer
 * (checkout team: no approve, sync or create permission under the bundled
 * policy), a platform-team member who is not the requester, and the
 * requester themself, against a production environment created for real
 * from the official template, through the real catalog, scaffolder,
 * permission backend and sandbox. Every attack runs twice: under the
 * portal's bundled permission policy and under a policy that allows
 * everything, where only the product's own checks stand (the record, the
 * gate, the actions' checks). Each attack asserts that nothing it aimed at
 * changed: the GitOps repository, the cluster credentials, the
 * ClusterSecretStore, the record, the production Applications.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import { EnvironmentDetails } from '@internal/plugin-logging-environments-common';
import { Sandbox, startSandbox, seedSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import yaml from 'yaml';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
  userHeader,
} from '../environments/__testUtils__/portalBackend';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';
import { sandboxConfig } from '../gitops/__testUtils__/portal';
import { createExternalSecretsIdentity } from '../__testUtils__/externalSecretsIdentity';
import {
  TEMPLATE_PORTAL_FEATURES,
  runTemplateTask,
  templateCatalogConfig,
  waitForTemplate,
  waitUntil,
} from '../environments/__testUtils__/templatePortal';
import { recordReliability } from './__testUtils__/summary';

// `attack` wraps `it` to count each attack for the summary; jest's lint
// rules cannot see through the wrapper.
/* eslint-disable jest/no-standalone-expect, jest/valid-title, jest/expect-expect */

jest.setTimeout(600_000);

const git = (repoDir: string, ...args: string[]) =>
  promisify(execFile)('git', ['--git-dir', repoDir, ...args]).then(r =>
    r.stdout.trim(),
  );

const SOURCE = 'trust boundary';
const PROD = 'acme-prod';
const APPS = [`${PROD}-logging-infrastructure`, `${PROD}-logging-forwarder`];

/**
 * How the scaffolder reports a step the permission policy does not allow:
 * under the bundled policy the attack stops there; under allow-all it goes
 * on to the product's own check, whose words the test expects instead.
 */
const POLICY_REFUSAL = /not allowed|Unauthorized|NotAllowedError/i;

/** A web server an attacker controls, serving what it is given. */
async function startAttackerServer() {
  const files = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, {
      'content-type': 'text/yaml',
    });
    res.end(body ?? 'not found');
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    serve: (path: string, docs: object[]) =>
      files.set(path, docs.map(d => yaml.stringify(d)).join('---\n')),
    stop: () => new Promise(resolve => server.close(resolve)),
  };
}

describe.each([
  ['the bundled permission policy', 'bundled'],
  ['a permission policy that allows everything', 'allow-all'],
] as const)('the trust boundary under %s', (_title, policy) => {
  let sandbox: Sandbox;
  let portal: PortalBackend;
  let attacker: Awaited<ReturnType<typeof startAttackerServer>>;
  let requesterKeys: Record<string, string>;
  let viewerKeys: Record<string, string>;

  const server = () => portal.server();
  const API_VERSIONS: Record<string, string> = {
    Secret: 'v1',
    ClusterSecretStore: 'external-secrets.io/v1',
    Application: 'argoproj.io/v1alpha1',
  };
  const kube = (kind: string, name: string, namespace?: string) =>
    sandbox.store.get({
      apiVersion: API_VERSIONS[kind],
      kind,
      name,
      ...(namespace ? { namespace } : {}),
    }) as any;

  /** What no attack may change. */
  async function protectedState() {
    const [record] = await portal
      .knex('environment_records')
      .where({ name: PROD })
      .select('tier', 'cluster', 'owner', 'requester', 'extra_approvers');
    const store = kube('ClusterSecretStore', 'aws-secrets-manager');
    return {
      gitopsHead: await git(sandbox.git.repoDir, 'rev-parse', 'main'),
      credentials: kube('Secret', 'aws-credentials', 'external-secrets-system')
        ?.data,
      store: {
        owner: store?.metadata.labels?.['logging-environments.io/environment'],
        spec: store?.spec,
      },
      record,
      applications: APPS.map(name => {
        const app = kube('Application', name, 'openshift-gitops');
        return {
          name,
          source: app?.spec.source,
          automated: Boolean(app?.spec.syncPolicy?.automated),
          operation: app?.operation,
          synced: app?.status?.operationState?.phase,
        };
      }),
      projects: sandbox.store
        .list('argoproj.io/v1alpha1', 'AppProject')
        .map((p: any) => p.metadata.name)
        .sort(),
      clusterRoleBindings: sandbox.store
        .list('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')
        .map((b: any) => `${b.metadata.name}->${b.roleRef?.name}`)
        .sort(),
    };
  }

  /**
   * An attack: counted as tried, and as refused only once its assertions
   * passed (the summary prints "attacks refused N of N").
   */
  const attack = (title: string, fn: () => Promise<void>) =>
    it(title, async () => {
      recordReliability('attacks tried', 1, `${SOURCE} (${policy})`);
      await fn();
      recordReliability('attacks refused', 1, `${SOURCE} (${policy})`);
    });

  const waitFor = waitUntil;
  const runTask = (
    who: string,
    templateRef: string,
    values: object,
    secrets: object = {},
  ) => runTemplateTask(server(), who, templateRef, values, secrets);

  /** Registers a catalog location as the viewer and waits for its entity. */
  async function registerAsViewer(path: string, entityPath: string) {
    const res = await request(server())
      .post('/api/catalog/locations')
      .set('authorization', userHeader('viewer'))
      .send({ type: 'url', target: attacker.url(path) });
    expect(res.status).toBe(201);
    await waitFor(`${entityPath} in the catalog`, async () => {
      const e = await request(server())
        .get(`/api/catalog/entities/by-name/${entityPath}`)
        .set('authorization', userHeader('viewer'));
      return e.status === 200 ? true : undefined;
    });
  }

  const details = async (who = 'viewer', name = PROD) =>
    portal.call('get', `/environments/default/${name}`, who);

  const officialTemplate = 'template:default/logging-environment';
  const prodValues = {
    name: PROD,
    tier: 'production',
    owner: 'group:default/platform-team',
    cluster: 'sandbox',
    tlsStrategy: 'system-ca',
    installOperators: true,
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    await seedSandbox(sandbox, { manifestsDir: join(REPO_ROOT, 'manifests') });
    attacker = await startAttackerServer();
    const asSecrets = (i: {
      accessKeyId: string;
      secretAccessKey: string;
    }) => ({
      awsAccessKeyId: i.accessKeyId,
      awsSecretAccessKey: i.secretAccessKey,
    });
    requesterKeys = asSecrets(
      await createExternalSecretsIdentity(sandbox, { environment: PROD }),
    );
    viewerKeys = asSecrets(
      await createExternalSecretsIdentity(sandbox, {
        environment: 'viewer-own',
      }),
    );
    const config = await sandboxConfig(sandbox);
    portal = await startPortalBackend({
      policy,
      config: {
        ...config,
        backend: {
          ...config.backend,
          reading: {
            allow: [
              ...(config.backend?.reading?.allow ?? []),
              { host: attacker.host },
            ],
          },
        },
        catalog: templateCatalogConfig(),
        loggingEnvironments: {
          ...config.loggingEnvironments,
          administrators: ['group:default/platform-admins'],
          // A second cluster the platform configured (here the same
          // sandbox under another name).
          clusters: [
            ...config.loggingEnvironments.clusters,
            { ...config.loggingEnvironments.clusters[0], name: 'sandbox-2' },
          ],
        },
      },
      users: orgEntities(),
      extraMemberships: {
        // A platform-team member who neither requested nor administers.
        'user:default/teammate': ['group:default/platform-team'],
      },
      features: TEMPLATE_PORTAL_FEATURES,
      // A database of its own for each plugin, as in production.
      databaseDir: mkdtempSync(join(tmpdir(), 'trust-boundary-db-')),
    });
    await waitForTemplate(server());

    // The production environment, created as it is meant to be.
    const created = await runTask(
      'requester',
      officialTemplate,
      { ...prodValues, region: sandbox.aws.region },
      requesterKeys,
    );
    expect([
      created.status,
      created.status === 'completed' ? '' : created.log,
    ]).toEqual(['completed', '']);
    await waitFor('the environment page', async () =>
      (await details()).status === 200 ? true : undefined,
    );
    // Verified and approved, not synced.
    await waitFor('a passing checklist', async () => {
      const run = await portal.call(
        'post',
        `/environments/default/${PROD}/checklist`,
        'requester',
      );
      return run.body.status === 'pass' ? true : undefined;
    });
    for (const [who, role] of [
      ['security-reviewer', 'security-review'],
      ['approver', 'approval'],
    ]) {
      const res = await portal.call(
        'post',
        `/environments/default/${PROD}/approvals`,
        who,
        { decision: 'approve', role, comment: 'checked' },
      );
      expect(res.status).toBe(200);
    }
    expect((await details()).body.approvals.complete).toBe(true);
  });

  afterAll(async () => {
    await portal?.stop();
    await attacker?.stop();
    await sandbox?.stop();
  });

  attack(
    "1. a catalog entity naming production's Applications makes nothing sync",
    async () => {
      const before = await protectedState();
      attacker.serve('/c1-dev.yaml', [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: {
            name: 'c1-dev',
            annotations: {
              'logging-environments.io/cluster': 'sandbox',
              'logging-environments.io/tier': 'development',
              'logging-environments.io/argocd-apps': APPS.join(','),
              'logging-environments.io/requester': 'user:default/viewer',
            },
          },
          spec: {
            type: 'logging-environment',
            owner: 'group:default/checkout-team',
          },
        },
      ]);
      await registerAsViewer('/c1-dev.yaml', 'resource/default/c1-dev');
      for (let i = 0; i < 4; i++) {
        await portal.tick();
        await new Promise(r => setTimeout(r, 250));
      }
      expect(await protectedState()).toEqual(before);
      const page = await details('viewer', 'c1-dev');
      expect(page.status).toBe(404);
      expect(page.body.error.message).toContain(
        'resource:default/c1-dev is not a registered logging environment: no trusted record exists for it',
      );
      const list = await portal.call('get', '/environments', 'viewer');
      expect(list.body.items.map((e: any) => e.name)).toEqual([PROD]);
      const history = await portal.call(
        'get',
        `/environments/default/${PROD}/history`,
        'viewer',
      );
      expect(
        history.body.items.filter((e: any) => e.type.startsWith('sync')),
      ).toEqual([]);
    },
  );

  attack(
    "2. the viewer re-running the official template with production's name, as development and with its own keys, changes nothing",
    async () => {
      const before = await protectedState();
      const run = await runTask(
        'viewer',
        officialTemplate,
        {
          ...prodValues,
          tier: 'development',
          owner: 'group:default/checkout-team',
          region: sandbox.aws.region,
        },
        viewerKeys,
      );
      expect(run.status).toBe('failed');
      expect(run.log).toMatch(
        policy === 'bundled'
          ? POLICY_REFUSAL
          : /only the requester of acme-prod \(user:default\/requester\), members of its owner group \(group:default\/platform-team\) or an administrator may run its bootstrap/,
      );
      expect(await protectedState()).toEqual(before);
    },
  );

  attack(
    '2b. the requester re-running the template as development is refused, naming the field',
    async () => {
      const before = await protectedState();
      const run = await runTask(
        'requester',
        officialTemplate,
        { ...prodValues, tier: 'development', region: sandbox.aws.region },
        requesterKeys,
      );
      expect(run.status).toBe('failed');
      expect(run.log).toContain(
        'tier: acme-prod is a production environment; a downgrade from production to development is refused (only an administrator can change a tier)',
      );
      expect(await protectedState()).toEqual(before);
    },
  );

  attack(
    "2c. an owner-group member re-running the template with its own AWS keys does not replace the cluster's credentials, with or without rotation",
    async () => {
      const before = await protectedState();
      for (const rotateCredentials of [false, true]) {
        const run = await runTask(
          'teammate',
          officialTemplate,
          { ...prodValues, region: sandbox.aws.region, rotateCredentials },
          viewerKeys,
        );
        expect(run.status).toBe('failed');
        let refusal =
          /it already holds the credentials of another access key; replacing them is a rotation/;
        if (rotateCredentials) {
          refusal =
            policy === 'bundled'
              ? POLICY_REFUSAL
              : /rotate: only an administrator may replace the External Secrets credentials of the production environment acme-prod/;
        }
        expect(run.log).toMatch(refusal);
      }
      expect(await protectedState()).toEqual(before);
    },
  );

  attack(
    "3. logging:* actions in the viewer's own template neither sync, register nor publish for production",
    async () => {
      const before = await protectedState();
      const permissive = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: {
          name: `${PROD}-logging`,
          namespace: 'openshift-gitops',
          labels: { 'logging-environments.io/environment': PROD },
        },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        },
      };
      attacker.serve('/project.yaml', [permissive]);
      attacker.serve('/own-template.yaml', [
        {
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: { name: 'viewer-tools' },
          spec: {
            owner: 'group:default/checkout-team',
            type: 'service',
            parameters: [{ properties: { step: { type: 'string' } } }],
            steps: [
              {
                id: 'fetch',
                action: 'fetch:plain:file',
                input: {
                  url: attacker.url('/project.yaml'),
                  targetPath: 'argocd/appproject.yaml',
                },
              },
              {
                id: 'sync',
                if: "${{ parameters.step === 'sync' }}",
                action: 'logging:argocd:sync',
                input: {
                  cluster: 'sandbox',
                  applications: APPS,
                  revision: 'attacker-branch',
                },
              },
              {
                id: 'register',
                if: "${{ parameters.step === 'register' }}",
                action: 'logging:argocd:register',
                input: {
                  environment: PROD,
                  cluster: 'sandbox',
                  manifests: ['argocd/appproject.yaml'],
                },
              },
              {
                id: 'publish',
                if: "${{ parameters.step === 'publish' }}",
                action: 'logging:gitops:publish',
                input: {
                  environment: PROD,
                  sourcePath: 'argocd',
                  commitMessage: 'nothing to see',
                },
              },
            ],
          },
        },
      ]);
      await registerAsViewer(
        '/own-template.yaml',
        'template/default/viewer-tools',
      );
      for (const step of ['sync', 'register', 'publish']) {
        const run = await runTask('viewer', 'template:default/viewer-tools', {
          step,
        });
        expect([step, run.status]).toEqual([step, 'failed']);
        // The sync action does not exist: only the backend's state machine
        // starts Argo CD operations.
        let refusal =
          policy === 'bundled'
            ? POLICY_REFUSAL
            : /only the requester of acme-prod/;
        if (step === 'sync') refusal = /logging:argocd:sync/;
        expect([step, run.log]).toEqual([step, expect.stringMatching(refusal)]);
      }
      expect(await protectedState()).toEqual(before);
    },
  );

  attack(
    "3b. an environment of the viewer's own cannot register a permissive AppProject or grant itself production's bucket",
    async () => {
      const before = await protectedState();
      attacker.serve('/evil-project.yaml', [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: {
            name: 'evil-logging',
            namespace: 'openshift-gitops',
            labels: { 'logging-environments.io/environment': 'evil' },
          },
          spec: {
            sourceRepos: ['*'],
            destinations: [{ server: '*', namespace: '*' }],
            clusterResourceWhitelist: [
              {
                group: 'rbac.authorization.k8s.io',
                kind: 'ClusterRoleBinding',
                name: 'make-me-cluster-admin',
              },
            ],
          },
        },
      ]);
      attacker.serve('/evil-template.yaml', [
        {
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: { name: 'viewer-evil' },
          spec: {
            owner: 'group:default/checkout-team',
            type: 'service',
            parameters: [{ properties: { step: { type: 'string' } } }],
            steps: [
              {
                id: 'claim',
                action: 'logging:environment:claim',
                input: {
                  name: 'evil',
                  tier: 'development',
                  cluster: 'sandbox-2',
                  owner: 'group:default/checkout-team',
                  region: sandbox.aws.region,
                  bucketName: 'evil-loki',
                },
              },
              {
                id: 'fetch',
                action: 'fetch:plain:file',
                input: {
                  url: attacker.url('/evil-project.yaml'),
                  targetPath: 'argocd/appproject.yaml',
                },
              },
              {
                id: 'register',
                if: "${{ parameters.step === 'register' }}",
                action: 'logging:argocd:register',
                input: {
                  environment: 'evil',
                  cluster: 'sandbox-2',
                  manifests: ['argocd/appproject.yaml'],
                },
              },
              {
                id: 'iam',
                if: "${{ parameters.step === 'iam' }}",
                action: 'logging:iam:ensure',
                input: {
                  environment: 'evil',
                  bucket: `${PROD}-loki`,
                  region: sandbox.aws.region,
                },
              },
            ],
          },
        },
      ]);
      await registerAsViewer(
        '/evil-template.yaml',
        'template/default/viewer-evil',
      );
      for (const step of ['register', 'iam']) {
        const run = await runTask('viewer', 'template:default/viewer-evil', {
          step,
        });
        expect([step, run.status]).toEqual([step, 'failed']);
        const own: Record<string, RegExp> = {
          register:
            /spec.sourceRepos must be exactly the GitOps repository .*spec.clusterResourceWhitelist\[0\] must name one of the collector's ClusterRoleBindings/,
          iam: /bucket: the record of evil says "evil-loki", not "acme-prod-loki"/,
        };
        const refusal = policy === 'bundled' ? POLICY_REFUSAL : own[step];
        expect([step, run.log]).toEqual([step, expect.stringMatching(refusal)]);
      }
      const users = (await sandbox.awsInventory()).iam.users.map(u => u.name);
      expect(users).not.toContain('loki-evil');
      expect(await protectedState()).toEqual(before);
    },
  );

  attack(
    "4. the requester cannot choose who gives a production environment's reviews",
    async () => {
      const before = await protectedState();
      const run = await runTask(
        'requester',
        officialTemplate,
        {
          ...prodValues,
          name: 'acme-prod-2',
          cluster: 'sandbox-2',
          region: sandbox.aws.region,
          approverGroups: [
            'group:default/platform-team',
            'group:default/checkout-team',
          ],
        },
        requesterKeys,
      );
      expect(run.status).toBe('failed');
      expect(run.log).toContain(
        'approverGroups: the production tier has no approval role that accepts extra groups',
      );
      // Refused at the claim, before anything was published or created.
      expect(await protectedState()).toEqual(before);
      expect(
        (await sandbox.awsInventory()).buckets.map(b => b.name),
      ).not.toContain('acme-prod-2-loki');
      // And production's own gate asks only the configured groups.
      const page = await details();
      expect(
        page.body.approvals.required.map((r: any) => [r.role, r.groups]),
      ).toEqual([
        ['security-review', ['group:default/security-reviewers']],
        ['approval', ['group:default/platform-approvers']],
      ]);
    },
  );

  attack(
    '5a. no record is written for a service alone, and the four-eyes rule always has a requester to check',
    async () => {
      const before = await protectedState();
      const res = await portal.call(
        'post',
        '/records',
        { header: mockCredentials.service.header() },
        {
          name: 'headless',
          tier: 'production',
          cluster: 'sandbox-2',
          owner: 'group:default/platform-team',
          region: sandbox.aws.region,
          bucket: 'headless-loki',
        },
      );
      expect(res.status).toBe(403);
      expect(await protectedState()).toEqual(before);
      // The record names the requester, so four-eyes holds: the requester
      // may not approve their own production environment.
      expect((await details('requester')).body.requester).toBe(
        'user:default/requester',
      );
      const own = await portal.call(
        'post',
        `/environments/default/${PROD}/approvals`,
        'requester',
        { decision: 'approve', role: 'approval', comment: 'mine' },
      );
      expect(own.status).toBe(403);
      if (policy === 'allow-all') {
        expect(own.body.error.message).toBe(
          'the requester of a production environment cannot approve it',
        );
      }
    },
  );

  attack(
    '5b. a rejection filed after a sync was requested stops it before Argo CD is asked',
    async () => {
      const requested = await portal.call(
        'post',
        `/environments/default/${PROD}/sync`,
        'approver',
        {},
      );
      expect(requested.status).toBe(202);
      // Someone else of the security reviewers objects meanwhile.
      const rejected = await portal.call(
        'post',
        `/environments/default/${PROD}/approvals`,
        'dual',
        {
          decision: 'reject',
          role: 'security-review',
          comment: 'the bucket policy is not what we reviewed',
        },
      );
      expect(rejected.status).toBe(200);
      const before = await protectedState();
      await portal.tick();
      const page: EnvironmentDetails = (await details()).body;
      expect(page.sync?.state).toBe('failed');
      expect(page.sync?.message).toBe(
        `Stopped before syncing ${
          APPS[0]
        }: Revision ${page.approvals.revision?.slice(
          0,
          7,
        )} was rejected by user:default/dual: the bucket policy is not what we reviewed`,
      );
      expect(await protectedState()).toEqual(before);
      expect(before.applications.map(a => a.synced)).toEqual([
        undefined,
        undefined,
      ]);
    },
  );

  attack(
    "5c. changing the forwarder's source outside the portal voids the approvals and blocks the sync",
    async () => {
      // As anyone who can edit Applications in the Argo CD namespace would.
      const forwarder = kube('Application', APPS[1], 'openshift-gitops');
      sandbox.store.update({
        ...forwarder,
        spec: {
          ...forwarder.spec,
          source: {
            ...forwarder.spec.source,
            path: 'environments/someone-else/forwarder',
          },
        },
      });
      const page: EnvironmentDetails = (await details('approver')).body;
      expect(page.approvals.complete).toBe(false);
      expect(page.can.sync.allowed).toBe(false);
      expect(page.can.sync.reason).toContain(
        `The Applications do not match the environment's record: Application openshift-gitops/${APPS[1]}: spec.source.path must be "environments/acme-prod/forwarder"`,
      );
      const sync = await portal.call(
        'post',
        `/environments/default/${PROD}/sync`,
        'approver',
        {},
      );
      expect(sync.status).toBe(409);
      expect(sync.body.error.message).toContain(
        "The Applications do not match the environment's record",
      );
      const approve = await portal.call(
        'post',
        `/environments/default/${PROD}/approvals`,
        'approver',
        { decision: 'approve', role: 'approval', comment: 'again' },
      );
      expect(approve.status).toBe(409);
      const app = kube('Application', APPS[1], 'openshift-gitops');
      expect(app.operation).toBeUndefined();
      expect(app.status?.operationState).toBeUndefined();
    },
  );
});
