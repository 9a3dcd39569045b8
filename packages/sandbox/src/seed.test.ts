import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runGit, startGitServer } from './controllers/git';
import { Sandbox, startSandbox } from './index';
import { KubeObject } from './kube/types';
import {
  PLATFORM_COMMIT_SUBJECT,
  SEED_FIELD_MANAGER,
  seedPlatformManifests,
  seedSandbox,
} from './seed';

/** This repository's manifests/, what `yarn start` seeds with. */
const MANIFESTS = resolve(__dirname, '../../../manifests');

const gitIn = (repoDir: string, ...args: string[]) =>
  runGit(['--git-dir', repoDir, ...args]).then(out => out.trim());

const commitCount = async (repoDir: string) =>
  Number(await gitIn(repoDir, 'rev-list', '--count', 'main'));

async function waitFor<T>(
  fn: () => T | undefined | null | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

/** Clones the sandbox's repository over HTTP, writes files, pushes to main. */
async function push(
  sandbox: Sandbox,
  files: Record<string, string>,
  message: string,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'seed-clone-'));
  try {
    const url = new URL(sandbox.git.url);
    url.username = 'test';
    url.password = sandbox.kube.token;
    await runGit(['clone', '--quiet', url.toString(), dir]);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    await runGit(['add', '--all'], { cwd: dir });
    await runGit(['commit', '--quiet', '-m', message], { cwd: dir });
    await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir });
    return (await runGit(['rev-parse', 'HEAD'], { cwd: dir })).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('seedPlatformManifests', () => {
  let dataDir: string;
  let repoDir: string;
  let close: () => Promise<void>;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'seed-git-'));
    const server = await startGitServer({ dataDir, token: 't' });
    repoDir = server.repoDir;
    close = server.close;
  });
  afterEach(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('commits manifests/ as platform/ once, then only when it changes, keeping other paths', async () => {
    const manifests = join(dataDir, 'manifests');
    cpSync(MANIFESTS, manifests, { recursive: true });
    const initial = await gitIn(repoDir, 'rev-parse', 'main');

    const first = await seedPlatformManifests({
      repoDir,
      manifestsDir: manifests,
    });
    expect(first.changed).toBe(true);
    expect(await gitIn(repoDir, 'rev-parse', 'main')).toBe(first.commit);
    expect(await gitIn(repoDir, 'rev-parse', `${first.commit}^`)).toBe(initial);
    expect(await gitIn(repoDir, 'log', '-1', '--format=%s', 'main')).toBe(
      PLATFORM_COMMIT_SUBJECT,
    );
    // platform/ is byte for byte what manifests/ holds (git's own tree of
    // the directory), and the initial README is still there.
    const files = (
      await gitIn(repoDir, 'ls-tree', '-r', '--name-only', 'main')
    ).split('\n');
    expect(files).toContain('README.md');
    expect(files).toContain(
      'platform/overlays/production/infrastructure/kustomization.yaml',
    );
    expect(files).toContain('platform/argocd/health/kustomization.yaml');
    expect(
      await gitIn(
        repoDir,
        'show',
        'main:platform/base/infrastructure/lokistack.yaml',
      ),
    ).toBe(
      readFileSync(
        join(MANIFESTS, 'base/infrastructure/lokistack.yaml'),
        'utf8',
      ).trim(),
    );

    // Unchanged: no commit.
    const again = await seedPlatformManifests({
      repoDir,
      manifestsDir: manifests,
    });
    expect(again).toEqual({ commit: first.commit, changed: false });
    expect(await commitCount(repoDir)).toBe(2);

    // An environment committed meanwhile (as the publish step does) stays;
    // a changed manifest gives one new commit on top of it.
    const work = join(dataDir, 'work');
    mkdirSync(work);
    const wt = (...args: string[]) =>
      runGit(['--git-dir', repoDir, '--work-tree', work, ...args]);
    await wt('checkout', '-q', '-f', 'main');
    mkdirSync(join(work, 'environments/acme'), { recursive: true });
    writeFileSync(join(work, 'environments/acme/x.yaml'), 'a: 1\n');
    await wt('add', '-A');
    await wt('commit', '-q', '-m', 'acme');
    writeFileSync(join(manifests, 'operators/extra.yaml'), 'b: 2\n');
    rmSync(join(manifests, 'README.md'));

    const changed = await seedPlatformManifests({
      repoDir,
      manifestsDir: manifests,
    });
    expect(changed.changed).toBe(true);
    expect(await commitCount(repoDir)).toBe(4);
    expect(await gitIn(repoDir, 'diff', '--name-status', 'main^', 'main')).toBe(
      'D\tplatform/README.md\nA\tplatform/operators/extra.yaml',
    );
    expect(await gitIn(repoDir, 'show', 'main:environments/acme/x.yaml')).toBe(
      'a: 1',
    );
  });
});

describe('seedSandbox', () => {
  jest.setTimeout(90_000);
  let stateDir: string;
  let sandbox: Sandbox | undefined;

  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'seed-state-'));
  });
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  const argocdCm = (s: Sandbox) =>
    s.store.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'openshift-gitops',
      name: 'argocd-cm',
    });

  it('leaves the health checks to the bootstrap unless asked for them', async () => {
    const log: string[] = [];
    sandbox = await startSandbox();
    const result = await seedSandbox(sandbox, {
      manifestsDir: MANIFESTS,
      log: l => log.push(l),
    });
    expect(result.healthChecks).toEqual([]);
    expect(argocdCm(sandbox)).toBeUndefined();
    expect(log).toEqual([
      expect.stringMatching(/^seed: committed platform\/ from .*manifests/),
    ]);
  });

  it('is idempotent across restarts: no second commit, argocd-cm left as it is', async () => {
    const log: string[] = [];
    sandbox = await startSandbox({ stateDir });
    const first = await seedSandbox(sandbox, {
      manifestsDir: MANIFESTS,
      log: l => log.push(l),
      argoCdHealthChecks: true,
    });
    expect(first.platform.changed).toBe(true);
    expect(first.healthChecks).toEqual([
      { name: 'ConfigMap/argocd-cm', outcome: 'created' },
    ]);
    const cm = argocdCm(sandbox)!;
    expect(Object.keys(cm.data as object).sort()).toEqual([
      'resource.customizations.health.loki.grafana.com_LokiStack',
      'resource.customizations.health.observability.openshift.io_ClusterLogForwarder',
    ]);
    expect(
      (cm.data as Record<string, string>)[
        'resource.customizations.health.loki.grafana.com_LokiStack'
      ],
    ).toContain('Waiting for the Loki Operator to report status');
    expect(
      (cm.metadata.managedFields as Array<{ manager: string }>).map(
        f => f.manager,
      ),
    ).toContain(SEED_FIELD_MANAGER);
    expect(log).toEqual([
      expect.stringMatching(/^seed: committed platform\/ from .*manifests/),
      'seed: Argo CD health checks: ConfigMap/argocd-cm created',
    ]);

    // Someone else's key in argocd-cm survives the next seed.
    sandbox.store.update({
      ...cm,
      data: { ...(cm.data as object), url: 'https://argocd.example' },
    });
    const repoDir = sandbox.git.repoDir;
    const commits = await commitCount(repoDir);
    const version = argocdCm(sandbox)!.metadata.resourceVersion;
    await sandbox.stop();

    sandbox = await startSandbox({ stateDir });
    const second = await seedSandbox(sandbox, {
      manifestsDir: MANIFESTS,
      argoCdHealthChecks: true,
    });
    expect(second.platform).toEqual({
      commit: first.platform.commit,
      changed: false,
    });
    expect(second.healthChecks).toEqual([
      { name: 'ConfigMap/argocd-cm', outcome: 'unchanged' },
    ]);
    expect(await commitCount(sandbox.git.repoDir)).toBe(commits);
    const after = argocdCm(sandbox)!;
    expect(after.metadata.resourceVersion).toBe(version);
    expect((after.data as Record<string, string>).url).toBe(
      'https://argocd.example',
    );
  });

  it('refuses to seed the health checks into argocd-cm in OpenShift GitOps mode', async () => {
    sandbox = await startSandbox({ argoCdFlavour: 'openshift-gitops' });
    await expect(
      seedSandbox(sandbox, {
        manifestsDir: MANIFESTS,
        argoCdHealthChecks: true,
      }),
    ).rejects.toThrow(
      'the health checks cannot be seeded into argocd-cm in OpenShift GitOps mode (the operator reverts them): let the bootstrap install them',
    );
  });

  it('lets Argo CD hold the waves after a LokiStack until it is Ready, on the seeded platform/', async () => {
    // Argo CD 2.x's persisted health: the Lua check's verdicts show on the
    // Application as they change (3.x keeps them in the resource tree).
    sandbox = await startSandbox({
      profile: 'fast',
      persistResourceHealth: true,
    });
    const s = sandbox;
    // The health checks as the bootstrap would have installed them.
    await seedSandbox(s, { manifestsDir: MANIFESTS, argoCdHealthChecks: true });

    // Phase 1 of an environment, as the bootstrap leaves it: the bucket and
    // the Secrets Manager secret (here with the sandbox's admin key), the
    // credentials Secret and the ClusterSecretStore.
    const aws = {
      endpoint: s.aws.url,
      region: s.aws.region,
      credentials: {
        accessKeyId: s.aws.accessKeyId,
        secretAccessKey: s.aws.secretAccessKey,
      },
    };
    await new S3Client({ ...aws, forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: 'seed-test-loki' }),
    );
    await new SecretsManagerClient(aws).send(
      new CreateSecretCommand({
        Name: 'logging/seed-test/loki-s3',
        SecretString: JSON.stringify({
          bucketnames: 'seed-test-loki',
          endpoint: `https://s3.${s.aws.region}.amazonaws.com`,
          region: s.aws.region,
          access_key_id: s.aws.accessKeyId,
          access_key_secret: s.aws.secretAccessKey,
        }),
      }),
    );
    const create = (o: KubeObject) => s.store.create(o);
    for (const name of ['openshift-logging', 'external-secrets-system']) {
      create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'aws-credentials',
        namespace: 'external-secrets-system',
      },
      data: {
        'access-key-id': Buffer.from(s.aws.accessKeyId).toString('base64'),
        'secret-access-key': Buffer.from(s.aws.secretAccessKey).toString(
          'base64',
        ),
      },
    });
    const ref = (key: string) => ({
      name: 'aws-credentials',
      namespace: 'external-secrets-system',
      key,
    });
    create({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: 'aws-secrets-manager' },
      spec: {
        provider: {
          aws: {
            service: 'SecretsManager',
            region: s.aws.region,
            auth: {
              secretRef: {
                accessKeyIDSecretRef: ref('access-key-id'),
                secretAccessKeySecretRef: ref('secret-access-key'),
              },
            },
          },
        },
        conditions: [{ namespaces: ['openshift-logging'] }],
      },
    });

    // The environment as the template lays it out: a kustomization that
    // only references the seeded platform/ overlay.
    const revision = await push(
      s,
      {
        'environments/seed-test/infrastructure/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../platform/overlays/development/infrastructure
patches:
  - target: { kind: ExternalSecret, name: logging-loki-s3 }
    patch: |-
      - op: replace
        path: /spec/dataFrom/0/extract/key
        value: logging/seed-test/loki-s3
`,
      },
      'seed-test environment',
    );

    // What happened, in order: watch events are delivered synchronously, so
    // no state in between is missed.
    const events: string[] = [];
    const lokiHealth: Array<{ status: string; message?: string }> = [];
    s.store.watch('loki.grafana.com/v1', 'LokiStack', e => {
      const ready = (
        e.object.status as { conditions?: Array<Record<string, string>> }
      )?.conditions?.some(c => c.type === 'Ready' && c.status === 'True');
      if (ready && !events.includes('LokiStack Ready')) {
        events.push('LokiStack Ready');
      }
    });
    s.store.watch('batch/v1', 'Job', e => {
      if (e.type === 'ADDED')
        events.push(`Job ${e.object.metadata.name} created`);
    });
    s.store.watch('argoproj.io/v1alpha1', 'Application', e => {
      const resources = (e.object.status as any)?.resources ?? [];
      const health = resources.find((r: any) => r.kind === 'LokiStack')?.health;
      const last = lokiHealth[lokiHealth.length - 1];
      if (health && health.status !== last?.status) lokiHealth.push(health);
    });
    // Loki's storage probe (a PutObject) takes a second, so the stack is
    // visibly not Ready for a while.
    s.faults.add({
      target: 'aws',
      match: 's3:PutObject',
      action: { type: 'latency', ms: 1000 },
    });

    create({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'seed-test-logging', namespace: 'openshift-gitops' },
      spec: {
        sourceRepos: [s.git.url],
        destinations: [
          {
            server: 'https://kubernetes.default.svc',
            namespace: 'openshift-logging',
          },
        ],
      },
    });
    const app = create({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'seed-test-logging-infrastructure',
        namespace: 'openshift-gitops',
      },
      spec: {
        project: 'seed-test-logging',
        source: {
          repoURL: s.git.url,
          targetRevision: 'main',
          path: 'environments/seed-test/infrastructure',
        },
        destination: {
          server: 'https://kubernetes.default.svc',
          namespace: 'openshift-logging',
        },
      },
    });
    s.store.update({ ...app, operation: { sync: { revision } } } as KubeObject);

    const getApp = () =>
      s.store.get({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        namespace: 'openshift-gitops',
        name: 'seed-test-logging-infrastructure',
      }) as any;
    const final = await waitFor(() => {
      const phase = getApp()?.status?.operationState?.phase;
      if (phase && phase !== 'Running') return getApp();
      return undefined;
    }, 'the sync to end');
    expect(final.status.operationState).toMatchObject({
      phase: 'Succeeded',
      message: expect.stringMatching(/^successfully synced/),
    });

    // The seeded Lua check made the LokiStack Progressing until Ready
    // (Missing: before wave 10 applied it)...
    expect(lokiHealth.map(h => h.status)).toEqual([
      'Missing',
      'Progressing',
      'Healthy',
    ]);
    expect(lokiHealth[1].message).toMatch(
      /^(Waiting for the Loki Operator to report status|Some LokiStack components pending on dependencies)$/,
    );
    // ...so wave 20 (the health-check hook) started only after Ready.
    expect(events).toEqual([
      'LokiStack Ready',
      'Job logging-loki-health-check created',
    ]);
    expect(final.status.sync).toMatchObject({
      status: 'Synced',
      revision,
    });
  });
});
