/**
 * Hardening checks of what a real bootstrap produced. A production
 * environment is bootstrapped on the sandbox (bucket with its TLS-only
 * policy, the Loki IAM user with its one key in Secrets Manager,
 * aws-credentials, the ClusterSecretStore, the AppProject and its
 * Applications), then attacked:
 *
 * - ExternalSecrets outside openshift-logging (`default`, a tenant
 *   namespace labelled to look like the logging one, a look-alike name) get
 *   no Secret from the ClusterSecretStore, and say why; one in
 *   openshift-logging does get it.
 * - Applications in the environment's AppProject that reach another
 *   namespace (by destination or by a manifest's own namespace), or carry
 *   cluster-scoped objects the project does not name (a Namespace, a
 *   ClusterRole, a ClusterRoleBinding to cluster-admin), are refused by
 *   Argo CD and nothing of them is applied; the same manifests do sync in
 *   a permissive project, so the refusal is the project's.
 * - With the Loki key, object calls over plain HTTP are refused
 *   (AccessDenied) and over HTTPS succeed.
 * - The Loki user holds exactly s3:ListBucket on the bucket and
 *   s3:GetObject/PutObject/DeleteObject on its objects: one inline policy,
 *   nothing attached, no groups, one key. What that grants is decided by
 *   the sandbox's IAM evaluation (the one its simulated operators enforce);
 *   and where a simulated operator calls AWS with the key (External
 *   Secrets reading Secrets Manager, the Loki operator writing a bucket),
 *   calls outside the grants are refused.
 *
 * Enforced by the sandbox's AWS endpoint: S3 calls signed with a key the
 * sandbox issued are allowed only what the key's user's policies and the
 * bucket policy grant (packages/sandbox/src/aws/requestGuards.ts). Not
 * enforced there, so checked by evaluating the user's effective policies
 * instead (see the IAM describe block): IAM, STS and Secrets Manager calls
 * signed with the Loki key, e.g. iam:ListUsers or
 * secretsmanager:GetSecretValue.
 */
import {
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Sandbox, startSandbox } from '@internal/sandbox';
import {
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import { AwsAccess, AwsPrincipal } from '@internal/sandbox/testUtils';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  bootstrapEnvironment,
  BootstrapWorld,
  openWorld,
  readSecretValue,
} from '../environments/__testUtils__/bootstrapEnvironment';

jest.setTimeout(300_000);

const NAME = 'acme-prod';
const BUCKET = `${NAME}-loki`;
const SECRET_ID = `logging/${NAME}/loki-s3`;
const PROJECT = `${NAME}-logging`;
const USER = `loki-${NAME}`;
const STORE = 'aws-secrets-manager';
const LOGGING = 'openshift-logging';
const ARGO_NS = 'openshift-gitops';
const ESO = 'external-secrets.io/v1';
const ARGO = 'argoproj.io/v1alpha1';
const LOKI = 'loki.grafana.com/v1';
/** A permissive project for the control syncs: anything, anywhere. */
const OPEN_PROJECT = 'hardening-open';

/** Polls `fn` until it returns something truthy. */
async function waitFor<T>(
  fn: () =>
    | T
    | undefined
    | null
    | false
    | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

describe('hardening of a bootstrapped production environment', () => {
  let sandbox: Sandbox;
  let world: BootstrapWorld;
  /** The Loki key as bootstrap stored it in Secrets Manager. */
  let loki: Record<string, string>;
  /** Creates objects through the Kubernetes API, as a cluster user would. */
  let create: (o: object) => Promise<unknown>;

  const get = (
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): any => sandbox.store.get({ apiVersion, kind, name, namespace });
  const condition = (o: any, type: string) =>
    o?.status?.conditions?.find((c: any) => c.type === type);
  const events = (namespace: string, name: string): any[] =>
    sandbox.store
      .list('v1', 'Event', { namespace })
      .filter(e => (e as any).involvedObject?.name === name);
  const namespace = (name: string, labels: Record<string, string> = {}) =>
    create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    world = await openWorld(sandbox);
    await bootstrapEnvironment(world, { name: NAME, tier: 'production' });
    loki = await readSecretValue(sandbox, SECRET_ID);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sandbox.kubeconfig);
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    create = o => objects.create(o as KubernetesObject);
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  describe('the ClusterSecretStore', () => {
    const externalSecret = (ns: string, name: string) => ({
      apiVersion: ESO,
      kind: 'ExternalSecret',
      metadata: { name, namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: STORE },
        target: { name, creationPolicy: 'Owner' },
        dataFrom: [{ extract: { key: SECRET_ID } }],
      },
    });

    it('gives the Loki secret to openshift-logging only', async () => {
      // Ready, so that a refusal below is the namespace rule's, not an
      // unusable store's.
      expect(
        condition(get(ESO, 'ClusterSecretStore', STORE), 'Ready'),
      ).toMatchObject({ status: 'True', reason: 'Valid' });

      // A tenant namespace carrying every label the logging namespace
      // could be selected by, and a look-alike name.
      await namespace('tenant-a', {
        'kubernetes.io/metadata.name': LOGGING,
        'openshift.io/cluster-logging': 'true',
        'logging-environments.io/environment': NAME,
      });
      await namespace(`${LOGGING}-evil`);
      const outside = ['default', 'tenant-a', `${LOGGING}-evil`];
      const name = 'hardening-loki-s3';
      for (const ns of [LOGGING, ...outside]) {
        await create(externalSecret(ns, name));
      }

      const synced = await waitFor(() => {
        const c = condition(get(ESO, 'ExternalSecret', name, LOGGING), 'Ready');
        return c?.status === 'True' && c;
      }, 'the ExternalSecret in openshift-logging to sync');
      expect(synced.reason).toBe('SecretSynced');
      const secret = get('v1', 'Secret', name, LOGGING);
      expect(decode(secret.data.access_key_id)).toBe(loki.access_key_id);
      expect(decode(secret.data.bucketnames)).toBe(BUCKET);

      for (const ns of outside) {
        const event = await waitFor(
          () =>
            events(ns, name).find(
              e => e.type === 'Warning' && e.reason === 'UpdateFailed',
            ),
          `the refusal in ${ns}`,
        );
        expect(event.message).toBe(
          `using cluster store "${STORE}" is not allowed from namespace "${ns}": denied by spec.condition`,
        );
        expect(
          condition(get(ESO, 'ExternalSecret', name, ns), 'Ready'),
        ).toMatchObject({
          status: 'False',
          reason: 'SecretSyncedError',
          message: 'could not get secret data from provider',
        });
        expect(get('v1', 'Secret', name, ns)).toBeUndefined();
        // No Secret at all came out of External Secrets there.
        expect(
          sandbox.store
            .list('v1', 'Secret', { namespace: ns })
            .filter(
              s => s.metadata.labels?.['reconcile.external-secrets.io/managed'],
            ),
        ).toEqual([]);
      }
    });
  });

  describe('the AppProject', () => {
    const ATTACKS: Record<string, object[]> = {
      // No namespace: the Application's destination decides.
      'service-account': [
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'intruder-sa' },
        },
      ],
      // The destination is the logging namespace; the manifest is not.
      'namespace-escape': [
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'intruder-escape', namespace: 'kube-system' },
        },
      ],
      // Cluster-scoped kinds the project does not list, next to a kind it
      // does: nothing may be applied, the permitted one included.
      'cluster-kinds': [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'intruder' },
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'intruder' },
          rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
        },
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'intruder-kinds' },
        },
      ],
      // The one cluster-scoped kind the stack uses, but not one of its
      // bindings: the collector's service account made cluster-admin.
      'cluster-admin': [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'intruder-cluster-admin' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'cluster-admin',
          },
          subjects: [
            {
              kind: 'ServiceAccount',
              name: 'logging-collector',
              namespace: LOGGING,
            },
          ],
        },
      ],
    };

    const application = (
      name: string,
      project: string,
      path: string,
      destinationNamespace: string,
    ) => ({
      apiVersion: ARGO,
      kind: 'Application',
      metadata: { name, namespace: ARGO_NS },
      spec: {
        project,
        source: {
          repoURL: sandbox.git.url,
          targetRevision: 'main',
          path: `attacks/${path}`,
        },
        destination: {
          server: 'https://kubernetes.default.svc',
          namespace: destinationNamespace,
        },
      },
    });

    /** Asks Argo CD's API for a sync and waits for the operation's end. */
    async function sync(name: string) {
      const res = await fetch(
        `${sandbox.argocd.url}/api/v1/applications/${name}/sync`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${sandbox.argocd.token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ appNamespace: ARGO_NS }),
        },
      );
      expect(res.status).toBe(200);
      return waitFor(() => {
        const state = get(ARGO, 'Application', name, ARGO_NS)?.status
          ?.operationState;
        return ['Succeeded', 'Failed', 'Error'].includes(state?.phase) && state;
      }, `the sync of ${name} to end`);
    }

    /** The same manifests in a project that allows anything: they apply. */
    async function syncsWhenOpen(path: string, destinationNamespace: string) {
      const name = `open-${path}`;
      await create(application(name, OPEN_PROJECT, path, destinationNamespace));
      const state = await sync(name);
      expect([state.phase, state.message]).toEqual([
        'Succeeded',
        'successfully synced (all tasks run)',
      ]);
    }

    const present = (kind: string, name: string, ns?: string) =>
      Boolean(
        get(
          kind.startsWith('Cluster') ? 'rbac.authorization.k8s.io/v1' : 'v1',
          kind,
          name,
          ns,
        ),
      );

    beforeAll(async () => {
      for (const [path, objects] of Object.entries(ATTACKS)) {
        mkdirSync(join(world.clone, 'attacks', path), { recursive: true });
        writeFileSync(
          join(world.clone, 'attacks', path, 'manifests.yaml'),
          objects.map(o => stringify(o)).join('---\n'),
        );
      }
      await world.push('Attacks on the AppProject');
      await create({
        apiVersion: ARGO,
        kind: 'AppProject',
        metadata: { name: OPEN_PROJECT, namespace: ARGO_NS },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        },
      });
    });

    it("refuses a destination outside openshift-logging, in the Application's spec", async () => {
      const name = 'attack-destination';
      await create(application(name, PROJECT, 'service-account', 'default'));
      const refusal = `application destination server 'https://kubernetes.default.svc' and namespace 'default' do not match any of the allowed destinations in project '${PROJECT}'`;
      const invalid = await waitFor(
        () =>
          condition(
            get(ARGO, 'Application', name, ARGO_NS),
            'InvalidSpecError',
          ),
        'the InvalidSpecError condition',
      );
      expect(invalid.message).toBe(refusal);
      const state = await sync(name);
      expect([state.phase, state.message]).toEqual([
        'Error',
        `InvalidSpecError: ${refusal}`,
      ]);
      expect(present('ServiceAccount', 'intruder-sa', 'default')).toBe(false);

      await syncsWhenOpen('service-account', 'default');
      expect(present('ServiceAccount', 'intruder-sa', 'default')).toBe(true);
    });

    it("refuses a manifest's own namespace outside openshift-logging", async () => {
      const name = 'attack-namespace-escape';
      await create(application(name, PROJECT, 'namespace-escape', LOGGING));
      const state = await sync(name);
      expect(state.phase).toBe('Failed');
      expect(state.syncResult.resources).toEqual([
        expect.objectContaining({
          kind: 'ServiceAccount',
          namespace: 'kube-system',
          name: 'intruder-escape',
          status: 'SyncFailed',
          message: `namespace kube-system is not permitted in project '${PROJECT}'`,
        }),
      ]);
      expect(present('ServiceAccount', 'intruder-escape', 'kube-system')).toBe(
        false,
      );

      await syncsWhenOpen('namespace-escape', LOGGING);
      expect(present('ServiceAccount', 'intruder-escape', 'kube-system')).toBe(
        true,
      );
    });

    it('refuses cluster-scoped kinds it does not list, applying nothing of the sync', async () => {
      const name = 'attack-cluster-kinds';
      await create(application(name, PROJECT, 'cluster-kinds', LOGGING));
      const state = await sync(name);
      expect([state.phase, state.message]).toEqual([
        'Failed',
        'one or more synchronization tasks are not valid',
      ]);
      const failed = Object.fromEntries(
        state.syncResult.resources
          .filter((r: any) => r.status === 'SyncFailed')
          .map((r: any) => [r.kind, r.message]),
      );
      expect(failed).toEqual({
        Namespace: `resource :Namespace is not permitted in project ${PROJECT}`,
        ClusterRole: `resource rbac.authorization.k8s.io:ClusterRole is not permitted in project ${PROJECT}`,
      });
      expect(present('Namespace', 'intruder')).toBe(false);
      expect(present('ClusterRole', 'intruder')).toBe(false);
      expect(present('ServiceAccount', 'intruder-kinds', LOGGING)).toBe(false);

      await syncsWhenOpen('cluster-kinds', LOGGING);
      expect(present('Namespace', 'intruder')).toBe(true);
      expect(present('ClusterRole', 'intruder')).toBe(true);
      expect(present('ServiceAccount', 'intruder-kinds', LOGGING)).toBe(true);
    });

    it("refuses a ClusterRoleBinding that is not one of the collector's", async () => {
      const name = 'attack-cluster-admin';
      await create(application(name, PROJECT, 'cluster-admin', LOGGING));
      const state = await sync(name);
      expect(state.phase).toBe('Failed');
      expect(state.syncResult.resources).toEqual([
        expect.objectContaining({
          kind: 'ClusterRoleBinding',
          name: 'intruder-cluster-admin',
          status: 'SyncFailed',
          message: `resource rbac.authorization.k8s.io:ClusterRoleBinding is not permitted in project ${PROJECT}`,
        }),
      ]);
      expect(present('ClusterRoleBinding', 'intruder-cluster-admin')).toBe(
        false,
      );

      await syncsWhenOpen('cluster-admin', LOGGING);
      expect(present('ClusterRoleBinding', 'intruder-cluster-admin')).toBe(
        true,
      );
    });
  });

  describe('the bucket', () => {
    const s3 = (endpoint: string) =>
      new S3Client({
        endpoint,
        region: sandbox.aws.region,
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: {
          accessKeyId: loki.access_key_id,
          secretAccessKey: loki.access_key_secret,
        },
        requestHandler: {
          httpsAgent: new HttpsAgent({ ca: decode(sandbox.aws.caData) }),
        },
      });
    /** The error a call fails with (status and code), or 'ok'. */
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: any) => `${e.$metadata?.httpStatusCode} ${e.name}`,
      );

    it('has the TLS-only statement on the bucket and its objects', async () => {
      const { Policy } = await new S3Client({
        endpoint: sandbox.aws.url,
        region: sandbox.aws.region,
        forcePathStyle: true,
        credentials: {
          accessKeyId: sandbox.aws.accessKeyId,
          secretAccessKey: sandbox.aws.secretAccessKey,
        },
      }).send(new GetBucketPolicyCommand({ Bucket: BUCKET }));
      expect(JSON.parse(Policy!).Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    });

    it('refuses object calls with the Loki key over plain HTTP and serves them over HTTPS', async () => {
      const http = s3(sandbox.aws.url);
      const https = s3(sandbox.aws.httpsUrl);
      const over = (client: S3Client, key: string) => ({
        put: (body: string) =>
          outcome(
            client.send(
              new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }),
            ),
          ),
        get: async () => {
          try {
            const res = await client.send(
              new GetObjectCommand({ Bucket: BUCKET, Key: key }),
            );
            return `ok ${await res.Body!.transformToString()}`;
          } catch (e: any) {
            return `${e.$metadata?.httpStatusCode} ${e.name}`;
          }
        },
        head: () =>
          outcome(
            client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })),
          ),
        delete: () =>
          outcome(
            client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key })),
          ),
      });

      // Over HTTPS the key reads and writes its bucket.
      const tls = over(https, 'hardening/over-https');
      expect(await tls.put('written over TLS')).toBe('ok');
      expect(await tls.get()).toBe('ok written over TLS');

      // Over plain HTTP every object call is refused, writes leave nothing.
      const plainOnTls = over(http, 'hardening/over-https');
      expect(await plainOnTls.get()).toBe('403 AccessDenied');
      expect(await plainOnTls.head()).toMatch(/^403 /);
      expect(await plainOnTls.delete()).toBe('403 AccessDenied');
      expect(await over(http, 'hardening/over-http').put('plain')).toBe(
        '403 AccessDenied',
      );
      expect(await over(https, 'hardening/over-http').get()).toBe(
        '404 NoSuchKey',
      );
      expect(await tls.get()).toBe('ok written over TLS');

      expect(await tls.delete()).toBe('ok');
      expect(await tls.get()).toBe('404 NoSuchKey');
    });
  });

  describe('the Loki IAM user', () => {
    const ACCOUNT = '123456789012';
    let iam: IAMClient;
    let access: AwsAccess;
    let principal: AwsPrincipal;

    beforeAll(async () => {
      iam = new IAMClient({
        endpoint: sandbox.aws.url,
        region: sandbox.aws.region,
        credentials: {
          accessKeyId: sandbox.aws.accessKeyId,
          secretAccessKey: sandbox.aws.secretAccessKey,
        },
      });
      access = new AwsAccess({
        url: sandbox.aws.url,
        httpsUrl: sandbox.aws.httpsUrl,
        caData: sandbox.aws.caData,
        region: sandbox.aws.region,
        adminAccessKeyId: sandbox.aws.accessKeyId,
        adminSecretAccessKey: sandbox.aws.secretAccessKey,
      });
      principal = await access.authenticate(
        {
          accessKeyId: loki.access_key_id,
          secretAccessKey: loki.access_key_secret,
        },
        's3',
      );
    });
    afterAll(() => access?.destroy());

    it('holds one inline policy with exactly the four Loki grants, nothing attached, no groups, one key', async () => {
      const { User } = await iam.send(new GetUserCommand({ UserName: USER }));
      expect(principal).toMatchObject({ kind: 'user', arn: User!.Arn });

      const inline = await iam.send(
        new ListUserPoliciesCommand({ UserName: USER }),
      );
      expect(inline.PolicyNames).toEqual(['loki-object-storage']);
      const { PolicyDocument } = await iam.send(
        new GetUserPolicyCommand({
          UserName: USER,
          PolicyName: 'loki-object-storage',
        }),
      );
      const statements = [
        JSON.parse(decodeURIComponent(PolicyDocument!)).Statement,
      ].flat();
      // Plain Allow statements only: no NotAction/NotResource (which grant
      // by exclusion), no Principal, no Condition.
      for (const st of statements) {
        const { Sid, ...rest } = st;
        expect(Object.keys(rest).sort()).toEqual([
          'Action',
          'Effect',
          'Resource',
        ]);
        expect(st.Effect).toBe('Allow');
      }
      const grants = statements.flatMap((st: any) =>
        [st.Action]
          .flat()
          .flatMap((a: string) =>
            [st.Resource].flat().map((r: string) => `${a} ${r}`),
          ),
      );
      expect(grants.sort()).toEqual(
        [
          `s3:DeleteObject arn:aws:s3:::${BUCKET}/*`,
          `s3:GetObject arn:aws:s3:::${BUCKET}/*`,
          `s3:ListBucket arn:aws:s3:::${BUCKET}`,
          `s3:PutObject arn:aws:s3:::${BUCKET}/*`,
        ].sort(),
      );

      expect(
        (
          await iam.send(
            new ListAttachedUserPoliciesCommand({ UserName: USER }),
          )
        ).AttachedPolicies,
      ).toEqual([]);
      expect(
        (await iam.send(new ListGroupsForUserCommand({ UserName: USER })))
          .Groups,
      ).toEqual([]);
      const keys = (
        await iam.send(new ListAccessKeysCommand({ UserName: USER }))
      ).AccessKeyMetadata!.map(k => [k.AccessKeyId, k.Status]);
      expect(keys).toEqual([[loki.access_key_id, 'Active']]);
    });

    it('is allowed the four Loki actions on its bucket and nothing else', async () => {
      const object = `arn:aws:s3:::${BUCKET}/index/chunk`;
      const allowed: Array<[string, string]> = [
        ['s3:ListBucket', `arn:aws:s3:::${BUCKET}`],
        ['s3:GetObject', object],
        ['s3:PutObject', object],
        ['s3:DeleteObject', object],
      ];
      const denied: Array<[string, string]> = [
        // Another bucket.
        ['s3:ListBucket', 'arn:aws:s3:::other-team-loki'],
        ['s3:GetObject', 'arn:aws:s3:::other-team-loki/index/chunk'],
        ['s3:PutObject', 'arn:aws:s3:::other-team-loki/index/chunk'],
        ['s3:DeleteObject', 'arn:aws:s3:::other-team-loki/index/chunk'],
        // Buckets themselves, its own included.
        ['s3:CreateBucket', 'arn:aws:s3:::new-bucket'],
        ['s3:ListAllMyBuckets', '*'],
        ['s3:DeleteBucket', `arn:aws:s3:::${BUCKET}`],
        ['s3:PutBucketPolicy', `arn:aws:s3:::${BUCKET}`],
        ['s3:DeleteBucketPolicy', `arn:aws:s3:::${BUCKET}`],
        ['s3:PutBucketAcl', `arn:aws:s3:::${BUCKET}`],
        ['s3:PutLifecycleConfiguration', `arn:aws:s3:::${BUCKET}`],
        ['s3:PutObjectAcl', object],
        ['s3:GetObject', `arn:aws:s3:::${BUCKET}`],
        // IAM, Secrets Manager, STS, KMS.
        ['iam:ListUsers', '*'],
        ['iam:CreateAccessKey', principal.arn],
        ['iam:PutUserPolicy', principal.arn],
        ['iam:AttachUserPolicy', principal.arn],
        [
          'secretsmanager:GetSecretValue',
          `arn:aws:secretsmanager:${sandbox.aws.region}:${ACCOUNT}:secret:${SECRET_ID}-AbCdEf`,
        ],
        ['secretsmanager:ListSecrets', '*'],
        ['sts:AssumeRole', `arn:aws:iam::${ACCOUNT}:role/admin`],
        ['kms:Decrypt', '*'],
      ];
      const decisions = async (list: Array<[string, string]>) =>
        Object.fromEntries(
          await Promise.all(
            list.map(async ([action, resource]) => [
              `${action} ${resource}`,
              await access.decide(principal, action, resource),
            ]),
          ),
        );
      expect(Object.values(await decisions(allowed))).toEqual(
        allowed.map(() => 'Allow'),
      );
      const refused = await decisions(denied);
      expect(refused).toEqual(
        Object.fromEntries(Object.keys(refused).map(k => [k, 'ImplicitDeny'])),
      );
    });

    it('is refused by the simulated operators outside its grants', async () => {
      const ns = 'hardening-iam';
      await namespace(ns);
      // The Loki key in a Secret of its own, as someone holding it would use it.
      await create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'loki-key', namespace: ns },
        type: 'Opaque',
        stringData: {
          'access-key-id': loki.access_key_id,
          'secret-access-key': loki.access_key_secret,
        },
      });

      // secretsmanager:GetSecretValue, through External Secrets: the store
      // authenticates (the key is valid), the read is refused.
      await create({
        apiVersion: ESO,
        kind: 'SecretStore',
        metadata: { name: 'with-loki-key', namespace: ns },
        spec: {
          provider: {
            aws: {
              service: 'SecretsManager',
              region: sandbox.aws.region,
              auth: {
                secretRef: {
                  accessKeyIDSecretRef: {
                    name: 'loki-key',
                    key: 'access-key-id',
                  },
                  secretAccessKeySecretRef: {
                    name: 'loki-key',
                    key: 'secret-access-key',
                  },
                },
              },
            },
          },
        },
      });
      await create({
        apiVersion: ESO,
        kind: 'ExternalSecret',
        metadata: { name: 'read-with-loki-key', namespace: ns },
        spec: {
          secretStoreRef: { kind: 'SecretStore', name: 'with-loki-key' },
          target: { name: 'read-with-loki-key' },
          dataFrom: [{ extract: { key: SECRET_ID } }],
        },
      });
      await waitFor(
        () =>
          condition(get(ESO, 'SecretStore', 'with-loki-key', ns), 'Ready')
            ?.status === 'True',
        'the SecretStore with the Loki key to be Ready',
      );
      // (Until the store is Ready, the ExternalSecret waits for it.)
      const denial = await waitFor(
        () =>
          events(ns, 'read-with-loki-key').find(
            e =>
              e.type === 'Warning' &&
              e.reason === 'UpdateFailed' &&
              e.message.startsWith('AccessDeniedException'),
          ),
        'the refused read',
      );
      expect(denial.message).toMatch(
        new RegExp(
          `^AccessDeniedException: User: ${principal.arn} is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:[^:]+:\\d+:secret:logging/${NAME}/loki-s3-\\w+ because no identity-based policy allows the secretsmanager:GetSecretValue action$`,
        ),
      );
      expect(get('v1', 'Secret', 'read-with-loki-key', ns)).toBeUndefined();

      // Another bucket, through the Loki operator: a LokiStack given the key
      // with someone else's bucket fails; with its own bucket it is Ready.
      await new S3Client({
        endpoint: sandbox.aws.url,
        region: sandbox.aws.region,
        forcePathStyle: true,
        credentials: {
          accessKeyId: sandbox.aws.accessKeyId,
          secretAccessKey: sandbox.aws.secretAccessKey,
        },
      }).send(new CreateBucketCommand({ Bucket: 'other-team-loki' }));
      for (const [stack, bucket] of [
        ['elsewhere', 'other-team-loki'],
        ['own', BUCKET],
      ]) {
        await create({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `${stack}-s3`, namespace: ns },
          type: 'Opaque',
          stringData: {
            bucketnames: bucket,
            endpoint: sandbox.aws.httpsUrl,
            region: sandbox.aws.region,
            access_key_id: loki.access_key_id,
            access_key_secret: loki.access_key_secret,
          },
        });
        await create({
          apiVersion: LOKI,
          kind: 'LokiStack',
          metadata: { name: stack, namespace: ns },
          spec: {
            managementState: 'Managed',
            size: '1x.demo',
            storageClassName: 'gp3-csi',
            storage: {
              schemas: [{ version: 'v13', effectiveDate: '2024-10-01' }],
              secret: { name: `${stack}-s3`, type: 's3' },
            },
            limits: { global: { retention: { days: 7 } } },
            tenants: { mode: 'openshift-logging' },
          },
        });
      }
      const event = await waitFor(
        () =>
          events(ns, 'elsewhere').find(
            e => e.type === 'Warning' && e.reason === 'FailedComponents',
          ),
        'the LokiStack on another bucket to fail',
      );
      expect(event.message).toBe(
        `LokiStack components cannot use object storage: AccessDenied: User: ${principal.arn} is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::other-team-loki" because no identity-based policy allows the s3:ListBucket action`,
      );
      expect(
        condition(get(LOKI, 'LokiStack', 'elsewhere', ns), 'Failed'),
      ).toMatchObject({ status: 'True', reason: 'FailedComponents' });
      await waitFor(
        () =>
          condition(get(LOKI, 'LokiStack', 'own', ns), 'Ready')?.status ===
          'True',
        'the LokiStack on its own bucket to be Ready',
      );
    });
  });
});
