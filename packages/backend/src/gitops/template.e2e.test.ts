import { mockCredentials } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModelModule from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModule from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { REPO_ROOT } from './__testUtils__/kustomize';
import { startPortalBackend } from './__testUtils__/portal';

const git = (repoDir: string, ...args: string[]) =>
  promisify(execFile)('git', ['--git-dir', repoDir, ...args]).then(
    r => r.stdout,
  );

describe('creating a production environment from the template, end to end', () => {
  jest.setTimeout(180_000);
  let sandbox: Sandbox;
  let server: any;
  const user = mockCredentials.user.header('user:default/requester');

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    ({ server } = await startPortalBackend(
      sandbox,
      [scaffolderPlugin, scaffolderModule, catalogPlugin, catalogModelModule],
      {
        catalog: {
          rules: [
            {
              allow: [
                'Component',
                'System',
                'Resource',
                'Location',
                'Template',
                'User',
                'Group',
              ],
            },
          ],
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
    ));
  }, 120_000);
  afterAll(() => sandbox?.stop());

  async function waitFor<T>(
    what: string,
    fn: () => Promise<T | undefined>,
    ms = 60_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 250));
    }
  }

  const values = {
    name: 'acme-prod',
    tier: 'production',
    owner: 'group:default/platform-team',
    cluster: 'sandbox',
    region: 'us-east-1',
    tlsStrategy: 'system-ca',
  };

  /** Runs the template as a real task; returns the task and its log. */
  async function runTask(secrets: Record<string, string>) {
    const created = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('authorization', user)
      .send({
        templateRef: 'template:default/logging-environment',
        values,
        secrets,
      });
    expect(created.status).toBe(201);
    const task = await waitFor(
      'the task to finish',
      async () => {
        const res = await request(server)
          .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
          .set('authorization', user);
        return ['completed', 'failed', 'cancelled'].includes(res.body.status)
          ? res.body
          : undefined;
      },
      120_000,
    );
    const events = await request(server)
      .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
      .set('authorization', user);
    const log = events.body.map((e: any) => e.body?.message ?? '').join('\n');
    if (task.status !== 'completed')
      throw new Error(`task ${task.status}:\n${log}`);
    return { task, events: events.body, log };
  }

  it('publishes, bootstraps, registers unsynced and catalogs the environment', async () => {
    await waitFor('the template in the catalog', async () => {
      const res = await request(server)
        .get(
          '/api/catalog/entities/by-name/template/default/logging-environment',
        )
        .set('authorization', user);
      return res.status === 200 ? true : undefined;
    });

    const secrets = {
      awsAccessKeyId: sandbox.aws.accessKeyId,
      awsSecretAccessKey: sandbox.aws.secretAccessKey,
    };
    const { task, events, log } = await runTask(secrets);

    // Phase 1's AWS resources.
    const aws = await sandbox.awsInventory();
    const bucket = aws.buckets.find(b => b.name === 'acme-prod-loki') as any;
    expect(bucket).toBeDefined();
    expect(bucket.tags['logging-environments.io/environment']).toBe(
      'acme-prod',
    );
    const lokiUser = aws.iam.users.find(u => u.name === 'loki-acme-prod')!;
    expect(lokiUser.accessKeys).toHaveLength(1);
    expect(aws.secrets.map(x => x.name)).toContain('logging/acme-prod/loki-s3');

    // The cluster side: credentials, a Ready store, Applications registered
    // and, for production, not synced.
    expect(
      sandbox.store.get({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'external-secrets-system',
        name: 'aws-credentials',
      }),
    ).toBeDefined();
    const store: any = sandbox.store.get({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      name: 'aws-secrets-manager',
    });
    expect(
      store.status.conditions.find((c: any) => c.type === 'Ready').status,
    ).toBe('True');
    for (const name of [
      'acme-prod-logging-infrastructure',
      'acme-prod-logging-forwarder',
    ]) {
      const app: any = sandbox.store.get({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        namespace: 'openshift-gitops',
        name,
      });
      expect(app.spec.syncPolicy.automated).toBeUndefined();
      expect(app.operation).toBeUndefined();
      expect(app.status?.operationState).toBeUndefined();
    }
    expect(sandbox.store.list('loki.grafana.com/v1', 'LokiStack')).toEqual([]);

    // The GitOps repository holds the environment at the published commit.
    const files = (
      await git(sandbox.git.repoDir, 'ls-tree', '-r', '--name-only', 'main')
    ).split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'environments/acme-prod/catalog-info.yaml',
        'environments/acme-prod/infrastructure/kustomization.yaml',
        'environments/acme-prod/forwarder/kustomization.yaml',
        'environments/acme-prod/argocd/applications.yaml',
      ]),
    );
    expect(log).toContain('Committed environments/acme-prod');

    // The environment is in the catalog, from the repository.
    const entity = await waitFor('the environment entity', async () => {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/resource/default/acme-prod')
        .set('authorization', user);
      return res.status === 200 ? res.body : undefined;
    });
    expect(entity.metadata.annotations).toMatchObject({
      'logging-environments.io/tier': 'production',
      'logging-environments.io/requester': 'user:default/requester',
    });

    // No secret in the task's log or output.
    const everything = JSON.stringify([events, task]);
    expect(everything).not.toContain(secrets.awsSecretAccessKey);
    expect(everything).not.toContain(secrets.awsAccessKeyId);

    // A second run with the same input changes nothing, and says so.
    const head = (await git(sandbox.git.repoDir, 'rev-parse', 'main')).trim();
    const again = await runTask(secrets);
    expect(again.log).toContain('environments/acme-prod in');
    expect(again.log).toContain('is already up to date');
    expect(again.log).toContain('S3 bucket "acme-prod-loki" adopted');
    expect(again.log).toContain('IAM user "loki-acme-prod" unchanged');
    expect(again.log).toContain(
      'Secret external-secrets-system/aws-credentials unchanged',
    );
    expect((await git(sandbox.git.repoDir, 'rev-parse', 'main')).trim()).toBe(
      head,
    );
    const after = await sandbox.awsInventory();
    expect(
      after.iam.users.find(u => u.name === 'loki-acme-prod')!.accessKeys,
    ).toHaveLength(1);
    const secret = after.secrets.find(
      x => x.name === 'logging/acme-prod/loki-s3',
    )!;
    expect(Object.keys(secret.versions)).toHaveLength(1);
  });
});
