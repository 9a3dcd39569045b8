import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { execFile } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { Sandbox, startSandbox } from './index';
import { INITIAL_NAMESPACES } from './kube/builtins';
import { WatchEvent } from './kube/types';

const run = promisify(execFile);

// Each test starts whole sandboxes (moto included) on 2 shared cores.
jest.setTimeout(60_000);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-index-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function clients(sandbox: Sandbox) {
  const config = {
    endpoint: sandbox.aws.url,
    region: sandbox.aws.region,
    credentials: {
      accessKeyId: sandbox.aws.accessKeyId,
      secretAccessKey: sandbox.aws.secretAccessKey,
    },
  };
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    iam: new IAMClient(config),
    sm: new SecretsManagerClient(config),
  };
}

async function control(
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${sandbox.control.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${sandbox.kube.token}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const namespaces = (sandbox: Sandbox) =>
  sandbox.store.list('v1', 'Namespace').map(n => n.metadata.name);

describe('startSandbox', () => {
  it('serves everything on loopback and writes the client files (mode 0600)', async () => {
    const sandbox = await startSandbox();
    try {
      for (const url of [
        sandbox.aws.url,
        sandbox.control.url,
        sandbox.git.url,
      ]) {
        expect(new URL(url).hostname).toBe('127.0.0.1');
      }
      expect(sandbox.aws.accessKeyId).toMatch(/^SANDBOX/);
      expect(namespaces(sandbox)).toEqual(
        expect.arrayContaining(INITIAL_NAMESPACES),
      );
      expect(
        sandbox.store.get({
          apiVersion: 'v1',
          kind: 'Namespace',
          name: 'default',
        })?.status,
      ).toEqual({ phase: 'Active' });

      await sandbox.writeFiles(join(dir, 'out'));
      for (const f of ['kubeconfig', 'aws.env', 'sandbox.json', 'ca.pem']) {
        expect((await stat(join(dir, 'out', f))).mode & 0o777).toBe(0o600);
      }
      // The AWS endpoint over HTTPS: same port, the Kubernetes API's certificate.
      expect(sandbox.aws.httpsUrl).toBe(
        sandbox.aws.url.replace(/^http:/, 'https:'),
      );
      expect(sandbox.aws.caData).toBe(sandbox.kube.caData);
      expect(await readFile(join(dir, 'out', 'ca.pem'), 'utf8')).toBe(
        Buffer.from(sandbox.kube.caData, 'base64').toString('utf8'),
      );
      const kubeconfig = parse(
        await readFile(join(dir, 'out', 'kubeconfig'), 'utf8'),
      );
      expect(kubeconfig['current-context']).toBe('sandbox');
      expect(kubeconfig.users[0].user.token).toBe(sandbox.kube.token);
      expect(kubeconfig.clusters[0].cluster.server).toBe(sandbox.kube.url);
      const env = await readFile(join(dir, 'out', 'aws.env'), 'utf8');
      expect(env).toContain(`AWS_ENDPOINT_URL=${sandbox.aws.url}\n`);
      expect(env).toContain('AWS_REGION=us-east-1\n');
      expect(env).toContain(`AWS_ACCESS_KEY_ID=${sandbox.aws.accessKeyId}\n`);
      expect(env).toContain(
        `AWS_SECRET_ACCESS_KEY=${sandbox.aws.secretAccessKey}\n`,
      );
      const json = JSON.parse(
        await readFile(join(dir, 'out', 'sandbox.json'), 'utf8'),
      );
      expect(json).toMatchObject({
        kube: sandbox.kube,
        argocd: sandbox.argocd,
        aws: {
          url: sandbox.aws.url,
          httpsUrl: sandbox.aws.httpsUrl,
          caData: sandbox.aws.caData,
          accessKeyId: sandbox.aws.accessKeyId,
        },
        control: { url: sandbox.control.url, token: sandbox.kube.token },
        git: { url: sandbox.git.url },
      });

      // The portal's client reads the kubeconfig as it is.
      const kc = new KubeConfig();
      kc.loadFromString(sandbox.kubeconfig);
      expect(kc.getCurrentCluster()?.server).toMatch(
        /^https:\/\/127\.0\.0\.1:/,
      );
      const core = kc.makeApiClient(CoreV1Api);
      const list = await core.listNamespace();
      expect(list.items.map(n => n.metadata?.name)).toEqual(
        expect.arrayContaining(INITIAL_NAMESPACES),
      );

      // Argo CD API and git server take the same token.
      const apps = await fetch(`${sandbox.argocd.url}/api/v1/applications`, {
        headers: { authorization: `Bearer ${sandbox.argocd.token}` },
      });
      expect(apps.status).toBe(200);
      const refs = await run('git', [
        'ls-remote',
        sandbox.git.url.replace('http://', `http://x:${sandbox.kube.token}@`),
      ]);
      expect(refs.stdout).toContain('refs/heads/main');

      // The admin credentials work through the proxy, and calls are counted.
      const { s3 } = clients(sandbox);
      await s3.send(new CreateBucketCommand({ Bucket: 'first' }));
      expect(sandbox.faults.calls.aws).toContain('s3:CreateBucket');
    } finally {
      await sandbox.stop();
    }
    expect(isAlive(sandbox.moto.pid)).toBe(false);
  });

  it('resets AWS and Kubernetes state; operators keep running', async () => {
    const sandbox = await startSandbox();
    try {
      const { s3 } = clients(sandbox);
      await s3.send(new CreateBucketCommand({ Bucket: 'gone-after-reset' }));
      const { store } = sandbox;
      store.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'team-a' },
      });
      store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'team-a' },
      });
      store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'd', namespace: 'default' },
      });
      const events: WatchEvent[] = [];
      store.watch('v1', 'ConfigMap', e => events.push(e));
      const operatorGroup = () =>
        store.list('operators.coreos.com/v1', 'OperatorGroup', {
          namespace: 'openshift-operators',
        });
      expect(operatorGroup()).toHaveLength(1);
      sandbox.faults.add({
        target: 'aws',
        match: '*',
        action: { type: 'drop' },
      });

      const res = await control(sandbox, 'POST', '/reset');
      expect(res.status).toBe(200);

      expect(namespaces(sandbox).sort()).toEqual(
        [...INITIAL_NAMESPACES].sort(),
      );
      expect(store.list('v1', 'ConfigMap')).toEqual([]);
      expect(
        events.map(e => `${e.type} ${e.object.metadata.name}`).sort(),
      ).toEqual(['DELETED c', 'DELETED d']);
      // The OLM operator seeded its OperatorGroup again.
      expect(operatorGroup()).toHaveLength(1);
      expect(sandbox.faults.list()).toEqual([]);
      const buckets = await s3.send(new ListBucketsCommand({}));
      expect(buckets.Buckets ?? []).toEqual([]);
    } finally {
      await sandbox.stop();
    }
  });

  it('snapshots AWS without secret values', async () => {
    const sandbox = await startSandbox();
    try {
      const { s3, iam, sm } = clients(sandbox);
      const Bucket = 'logs-dev';
      await s3.send(new CreateBucketCommand({ Bucket }));
      await s3.send(
        new PutBucketTaggingCommand({
          Bucket,
          Tagging: { TagSet: [{ Key: 'env', Value: 'dev' }] },
        }),
      );
      const policy = {
        Version: '2012-10-17',
        Statement: [
          // Not a conditional Deny: moto 5.2.1 ignores conditions and
          // would then refuse every object call (see README, Limits).
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:root' },
            Action: 's3:GetObject',
            Resource: `arn:aws:s3:::${Bucket}/*`,
          },
        ],
      };
      await s3.send(
        new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(policy) }),
      );
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
              },
            ],
          },
        }),
      );
      await s3.send(
        new PutBucketVersioningCommand({
          Bucket,
          VersioningConfiguration: { Status: 'Enabled' },
        }),
      );
      await s3.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
        }),
      );
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: 'expire',
                Status: 'Enabled',
                Filter: { Prefix: '' },
                Expiration: { Days: 30 },
              },
            ],
          },
        }),
      );
      await s3.send(
        new PutObjectCommand({ Bucket, Key: 'index/a', Body: 'abc' }),
      );
      await iam.send(new CreateUserCommand({ UserName: 'loki-dev' }));
      const key = await iam.send(
        new CreateAccessKeyCommand({ UserName: 'loki-dev' }),
      );
      await iam.send(
        new PutUserPolicyCommand({
          UserName: 'loki-dev',
          PolicyName: 'bucket',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
          }),
        }),
      );
      const managed = await iam.send(
        new CreatePolicyCommand({
          PolicyName: 'read',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
          }),
        }),
      );
      await iam.send(
        new AttachUserPolicyCommand({
          UserName: 'loki-dev',
          PolicyArn: managed.Policy!.Arn,
        }),
      );
      const secret = await sm.send(
        new CreateSecretCommand({
          Name: 'logging/dev',
          SecretString: 'first-secret-value',
        }),
      );
      const second = await sm.send(
        new PutSecretValueCommand({
          SecretId: 'logging/dev',
          SecretString: 'second-secret-value',
        }),
      );

      const res = await control(sandbox, 'GET', '/snapshot');
      expect(res.status).toBe(200);
      const { aws, kube } = res.body;
      expect(kube.objects.map((o: any) => o.metadata.name)).toEqual(
        expect.arrayContaining(INITIAL_NAMESPACES),
      );
      expect(aws.buckets).toEqual([
        {
          name: Bucket,
          creationDate: expect.any(String),
          tags: { env: 'dev' },
          policy,
          encryption: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
              BucketKeyEnabled: false,
            },
          ],
          versioning: { status: 'Enabled' },
          publicAccessBlock: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
          lifecycle: [
            expect.objectContaining({
              ID: 'expire',
              Status: 'Enabled',
              Expiration: { Days: 30 },
            }),
          ],
          ownershipControls: null,
          objects: [{ key: 'index/a', size: 3 }],
          objectsTruncated: false,
        },
      ]);
      expect(aws.iam.users).toEqual([
        {
          name: 'loki-dev',
          arn: expect.stringContaining(':user/loki-dev'),
          tags: {},
          accessKeys: [
            {
              accessKeyId: key.AccessKey!.AccessKeyId,
              status: 'Active',
              createDate: expect.any(String),
            },
          ],
          attachedPolicies: [{ name: 'read', arn: managed.Policy!.Arn }],
          inlinePolicies: {
            bucket: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
            },
          },
        },
      ]);
      expect(aws.iam.policies).toEqual([
        expect.objectContaining({
          name: 'read',
          arn: managed.Policy!.Arn,
          document: expect.objectContaining({ Version: '2012-10-17' }),
        }),
      ]);
      expect(aws.secrets).toEqual([
        expect.objectContaining({
          name: 'logging/dev',
          versions: {
            [secret.VersionId!]: ['AWSPREVIOUS'],
            [second.VersionId!]: ['AWSCURRENT'],
          },
        }),
      ]);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain('first-secret-value');
      expect(text).not.toContain('second-secret-value');
      expect(text).not.toContain(key.AccessKey!.SecretAccessKey);
    } finally {
      await sandbox.stop();
    }
  });

  it("keeps per-resource health in Argo CD's resource tree (3.x) unless persistResourceHealth (2.x)", async () => {
    // One commit with a ConfigMap; an Application for it, never synced: its
    // resource is Missing, which is a health Argo CD assesses.
    const work = join(dir, 'work');
    const remote = (s: Sandbox) =>
      s.git.url.replace('http://', `http://x:${s.kube.token}@`);
    const commit = async (s: Sandbox) => {
      await rm(work, { recursive: true, force: true });
      await run('git', ['clone', '--quiet', remote(s), work]);
      await mkdir(join(work, 'app'), { recursive: true });
      await writeFile(
        join(work, 'app', 'cm.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  k: v\n',
      );
      const git = (...args: string[]) =>
        run('git', [
          '-C',
          work,
          '-c',
          'user.name=t',
          '-c',
          'user.email=t@t',
          ...args,
        ]);
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'one');
      await git('push', '--quiet', 'origin', 'HEAD:main');
    };
    const refreshed = async (s: Sandbox) => {
      s.store.create({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'p', namespace: 'openshift-gitops' },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
        },
      });
      s.store.create({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'a', namespace: 'openshift-gitops' },
        spec: {
          project: 'p',
          source: { repoURL: s.git.url, targetRevision: 'main', path: 'app' },
          destination: {
            server: 'https://kubernetes.default.svc',
            namespace: 'default',
          },
        },
      });
      for (let i = 0; i < 300; i++) {
        const app: any = s.store.get({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          namespace: 'openshift-gitops',
          name: 'a',
        });
        if (app?.status?.resources?.length) return app.status;
        await new Promise(r => setTimeout(r, 50));
      }
      throw new Error('the Application was never refreshed');
    };

    const v3 = await startSandbox({ profile: 'fast' });
    try {
      await commit(v3);
      const status = await refreshed(v3);
      expect(status.resourceHealthSource).toBe('appTree');
      expect(status.resources[0]).toMatchObject({ kind: 'ConfigMap' });
      expect(status.resources[0].health).toBeUndefined();
    } finally {
      await v3.stop();
    }
    const v2 = await startSandbox({
      profile: 'fast',
      persistResourceHealth: true,
    });
    try {
      await commit(v2);
      const status = await refreshed(v2);
      expect(status.resourceHealthSource).toBeUndefined();
      expect(status.resources[0]).toMatchObject({
        kind: 'ConfigMap',
        health: { status: 'Missing' },
      });
    } finally {
      await v2.stop();
    }
  });

  it('switches the profile through the control API', async () => {
    const sandbox = await startSandbox({ profile: 'fast' });
    try {
      const res = await control(sandbox, 'PUT', '/profile', { name: 'demo' });
      expect(res.body.name).toBe('demo');
      expect(sandbox.profile().csvInstallMs).toBe(3000);
    } finally {
      await sandbox.stop();
    }
  });

  it('keeps Kubernetes objects, AWS state and credentials in a state dir', async () => {
    const stateDir = join(dir, 'state');
    const first = await startSandbox({ stateDir });
    let keyId: string;
    let rv: string;
    try {
      const created = first.store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kept', namespace: 'default' },
        data: { a: 'b' },
      });
      rv = created.metadata.resourceVersion!;
      const { s3, iam } = clients(first);
      await s3.send(new CreateBucketCommand({ Bucket: 'kept-bucket' }));
      await iam.send(new CreateUserCommand({ UserName: 'kept' }));
      const key = await iam.send(
        new CreateAccessKeyCommand({ UserName: 'kept' }),
      );
      keyId = key.AccessKey!.AccessKeyId!;
    } finally {
      await first.stop();
    }
    const second = await startSandbox({ stateDir });
    try {
      expect(second.kube.token).toBe(first.kube.token);
      expect(second.kube.caData).toBe(first.kube.caData);
      expect(second.aws.accessKeyId).toBe(first.aws.accessKeyId);
      expect(second.aws.secretAccessKey).toBe(first.aws.secretAccessKey);
      const kept = second.store.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'kept',
      });
      expect(kept?.data).toEqual({ a: 'b' });
      expect(kept?.metadata.resourceVersion).toBe(rv);
      const { s3, iam } = clients(second);
      const buckets = await s3.send(new ListBucketsCommand({}));
      expect(buckets.Buckets?.map(b => b.Name)).toEqual(['kept-bucket']);
      const keys = await iam.send(
        new ListAccessKeysCommand({ UserName: 'kept' }),
      );
      expect(keys.AccessKeyMetadata?.map(k => k.AccessKeyId)).toEqual([keyId]);

      // Reset empties the saved AWS calls too.
      await second.reset();
    } finally {
      await second.stop();
    }
    const third = await startSandbox({ stateDir });
    try {
      const buckets = await clients(third).s3.send(new ListBucketsCommand({}));
      expect(buckets.Buckets ?? []).toEqual([]);
      expect(
        third.store.get({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: 'default',
          name: 'kept',
        }),
      ).toBeUndefined();
    } finally {
      await third.stop();
    }
  });
});
