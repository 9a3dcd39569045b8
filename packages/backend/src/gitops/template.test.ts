import { mockCredentials } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModule from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { isGroupKindPermitted } from '@internal/sandbox/testUtils';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import request from 'supertest';
import { parse, parseAllDocuments } from 'yaml';
import { Manifest, REPO_ROOT, kustomize } from './__testUtils__/kustomize';
import { startPortalBackend } from './__testUtils__/portal';

const templateDir = join(REPO_ROOT, 'templates', 'logging-environment');
const template = parse(
  readFileSync(join(templateDir, 'template.yaml'), 'utf8'),
);

function filesOf(dir: string): Array<{ path: string; base64Content: string }> {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesOf(path);
    return [
      {
        path: relative(templateDir, path),
        base64Content: readFileSync(path).toString('base64'),
      },
    ];
  });
}

// The sandbox's administrator keys (set once it runs): the first step's
// pre-flight asks AWS who they are, and the account root may read the
// environment's secret.
const secrets = { awsAccessKeyId: '', awsSecretAccessKey: '' };
const values = {
  name: 'acme-prod',
  tier: 'production',
  owner: 'group:default/platform-team',
  cluster: 'sandbox',
  region: 'us-east-2',
  tlsStrategy: 'system-ca',
};

describe('the logging-environment template', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    // The dry run reads the sandbox (AWS and the cluster) to report what
    // each step would change; it changes nothing.
    sandbox = await startSandbox({ profile: 'fast' });
    secrets.awsAccessKeyId = sandbox.aws.accessKeyId;
    secrets.awsSecretAccessKey = sandbox.aws.secretAccessKey;
    ({ server } = await startPortalBackend(sandbox, [
      scaffolderPlugin,
      scaffolderModule,
      catalogServiceMock.factory({ entities: [] }),
    ]));
  }, 120_000);
  afterAll(() => sandbox?.stop());

  const dryRun = (body: { values: object; secrets?: object }) =>
    request(server)
      .post('/api/scaffolder/v2/dry-run')
      .set(
        'authorization',
        mockCredentials.user.header('user:default/requester'),
      )
      .send({
        template,
        secrets,
        directoryContents: filesOf(templateDir),
        ...body,
      });

  /** The dry-run output laid out like the GitOps repository, platform included. */
  function gitopsTree(files: Array<{ path: string; base64Content: string }>) {
    const root = mkdtempSync(join(tmpdir(), 'gitops-'));
    symlinkSync(join(REPO_ROOT, 'manifests'), join(root, 'platform'));
    for (const f of files) {
      const target = join(root, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, Buffer.from(f.base64Content, 'base64'));
    }
    return root;
  }
  const docs = (root: string, path: string): Manifest[] =>
    parseAllDocuments(readFileSync(join(root, path), 'utf8'))
      .map(d => d.toJS())
      .filter(Boolean);

  it.each(['development', 'staging', 'production'])(
    'passes the dry run for %s and renders what Argo CD and the bootstrap need',
    async tier => {
      const res = await dryRun({
        values: { ...values, tier, name: `acme-${tier}` },
      });
      expect(res.status).toBe(200);
      const failed = res.body.log.filter(
        (l: any) => l.body.status === 'failed',
      );
      expect(failed).toEqual([]);

      const root = gitopsTree(res.body.directoryContents);
      const env = `environments/acme-${tier}`;
      // Every rendered kustomization builds with the real kubectl.
      const infra = await kustomize(join(root, env, 'infrastructure'));
      const forwarder = await kustomize(join(root, env, 'forwarder'));
      expect(
        infra.find(o => o.kind === 'ExternalSecret')?.spec.dataFrom[0].extract
          .key,
      ).toBe(`logging/acme-${tier}/loki-s3`);
      expect(forwarder.map(o => o.kind)).toContain('ClusterLogForwarder');

      // The registration: never automated outside development.
      const apps = docs(root, `${env}/argocd/applications.yaml`);
      expect(apps.map(a => a.metadata.name)).toEqual([
        `acme-${tier}-logging-infrastructure`,
        `acme-${tier}-logging-forwarder`,
      ]);
      for (const app of apps) {
        // Only a development infrastructure syncs on its own; the forwarder
        // always waits for the portal (after the health check).
        expect(Boolean(app.spec.syncPolicy.automated)).toBe(
          tier === 'development' &&
            app.metadata.labels?.['logging-environments.io/application'] ===
              'infrastructure',
        );
        expect(app.spec.project).toBe(`acme-${tier}-logging`);
        expect(app.spec.source).toEqual({
          repoURL: sandbox.git.url,
          targetRevision: 'main',
          path: `${env}/${app.metadata.labels?.['logging-environments.io/application']}`,
        });
      }
      const [project] = docs(root, `${env}/argocd/appproject.yaml`);
      expect(project.spec.sourceRepos).toEqual([sandbox.git.url]);
      expect(project.spec.destinations).toEqual([
        {
          server: 'https://kubernetes.default.svc',
          namespace: 'openshift-logging',
        },
      ]);
      // The project permits every object the two Applications render, as
      // Argo CD decides it, and no cluster-scoped object beyond them: its
      // cluster-scoped allow list names exactly the rendered ones.
      const rendered = [...infra, ...forwarder].map(o => ({
        o,
        group: o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '',
        namespaced: sandbox.store.typeOf(o.apiVersion, o.kind).namespaced,
      }));
      for (const { o, group, namespaced } of rendered) {
        expect([
          o.kind,
          o.metadata.name,
          isGroupKindPermitted(
            project as any,
            group,
            o.kind,
            namespaced,
            o.metadata.name,
          ),
        ]).toEqual([o.kind, o.metadata.name, true]);
      }
      expect(
        project.spec.clusterResourceWhitelist
          .map((i: any) => `${i.group}/${i.kind}/${i.name}`)
          .sort(),
      ).toEqual(
        rendered
          .filter(r => !r.namespaced)
          .map(r => `${r.group}/${r.o.kind}/${r.o.metadata.name}`)
          .sort(),
      );
      const [store] = docs(root, `${env}/bootstrap/cluster-secret-store.yaml`);
      expect(store.spec.provider.aws.region).toBe('us-east-2');
      // Only the logging namespace, in every tier: no regex, no selector.
      expect(store.spec.conditions).toEqual([
        { namespaces: ['openshift-logging'] },
      ]);

      const [entity] = docs(root, `${env}/catalog-info.yaml`);
      expect(entity).toMatchObject({
        kind: 'Resource',
        spec: {
          type: 'logging-environment',
          owner: 'group:default/platform-team',
        },
      });
      expect(entity.metadata.annotations).toMatchObject({
        'logging-environments.io/tier': tier,
        'logging-environments.io/cluster': 'sandbox',
        'logging-environments.io/bucket': `acme-${tier}-loki`,
        'logging-environments.io/requester': 'user:default/requester',
      });
      // The dry run reports what the bootstrap would create, and creates nothing.
      const messages = res.body.log.map((l: any) => l.body.message).join('\n');
      expect(messages).toContain(`S3 bucket "acme-${tier}-loki" would create`);
      expect(messages).toContain(
        'Secret external-secrets-system/aws-credentials would create',
      );
      expect(messages).toContain(
        `Application openshift-gitops/acme-${tier}-logging-infrastructure would create`,
      );
      expect((await sandbox.awsInventory()).buckets).toEqual([]);
      expect(sandbox.store.list('argoproj.io/v1alpha1', 'Application')).toEqual(
        [],
      );
      // The secrets appear nowhere.
      const everything = JSON.stringify(res.body);
      expect(everything).not.toContain(secrets.awsSecretAccessKey);
      expect(everything).not.toContain(secrets.awsAccessKeyId);
    },
  );

  it('applies the stack settings: retention, size and the custom-ca TLS strategy', async () => {
    const res = await dryRun({
      values: {
        ...values,
        retentionDays: 90,
        lokiSize: '1x.medium',
        tlsStrategy: 'custom-ca',
      },
    });
    expect(res.status).toBe(200);
    const root = gitopsTree(res.body.directoryContents);
    const loki = (
      await kustomize(join(root, 'environments/acme-prod/infrastructure'))
    ).find(o => o.kind === 'LokiStack')!;
    expect(loki.spec.limits.global.retention.days).toBe(90);
    expect(loki.spec.size).toBe('1x.medium');
    expect(loki.spec.storage.tls).toEqual({
      caName: 'logging-loki-s3-ca',
      caKey: 'ca-bundle.crt',
    });
  });

  it.each([
    [{ name: 'Acme_Prod' }, 'name', 'does not match pattern'],
    [{ name: 'a'.repeat(41) }, 'name', 'does not meet maximum length'],
    [{ tier: 'prod' }, 'tier', 'is not one of enum values'],
    [{ bucketName: 'acme.prod.loki' }, 'bucketName', 'does not match pattern'],
    [{ region: 'mars-1' }, 'region', 'does not match pattern'],
    [
      { retentionDays: 0 },
      'retentionDays',
      'must be greater than or equal to 1',
    ],
  ])(
    'rejects bad parameters before anything runs: %j',
    async (bad, field, rule) => {
      const res = await dryRun({ values: { ...values, ...bad } });
      expect(res.status).toBe(400);
      const messages = res.body.errors
        .map((e: any) => `${e.property} ${e.message}`)
        .join('; ');
      expect(messages).toContain(`instance.${field}`);
      expect(messages).toContain(rule);
    },
  );

  it('rejects a missing secret, naming it', async () => {
    const res = await dryRun({
      values,
      secrets: { awsAccessKeyId: secrets.awsAccessKeyId },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.message)).toEqual([
      'secrets.awsSecretAccessKey is required',
    ]);
  });

  it('rejects an unknown cluster in the first step, naming the field', async () => {
    const res = await dryRun({ values: { ...values, cluster: 'elsewhere' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      'Invalid logging environment request: cluster: must be a configured cluster (sandbox)',
    );
  });
});
