import {
  CreateBucketCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { MotoServer } from '../aws/moto';
import { startAwsProxy } from '../aws/proxy';
import { FaultInjector } from '../faults';
import { selfSignedCertificate } from '../kube/tls';
import { KubeObject } from '../kube/types';
import { AwsCredentials, PolicyDocument } from './awsAccess';
import { startLokiController, validateS3Secret } from './loki';
import {
  TEST_ADMIN,
  adminClients,
  conditionOf,
  createIamUser,
  findLeaks,
  newTestStore,
  secretObject,
  startTestMoto,
  testContext,
  waitFor,
} from './__testUtils__/operators';
import { Controller } from './types';

const LOKI = { apiVersion: 'loki.grafana.com/v1', kind: 'LokiStack' };
const NS = 'openshift-logging';

const writePolicy = (bucket: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
      Resource: `arn:aws:s3:::${bucket}/*`,
    },
    {
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${bucket}`,
    },
  ],
});

function lokiStack(
  name: string,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    ...LOKI,
    metadata: { name, namespace: NS },
    spec: {
      managementState: 'Managed',
      size: '1x.demo',
      storage: {
        schemas: [{ version: 'v13', effectiveDate: '2024-10-01' }],
        secret: { name: `${name}-s3`, type: 's3', credentialMode: 'static' },
      },
      limits: { global: { retention: { days: 7 } } },
      tenants: { mode: 'openshift-logging' },
      ...extra,
    },
  };
}

function storageSecret(
  name: string,
  bucket: string,
  key: AwsCredentials,
  overrides: Record<string, string | undefined> = {},
) {
  const data: Record<string, string> = {
    bucketnames: bucket,
    endpoint: 'https://s3.us-east-1.amazonaws.com',
    region: 'us-east-1',
    access_key_id: key.accessKeyId,
    access_key_secret: key.secretAccessKey,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete data[k];
    else data[k] = v;
  }
  return secretObject(NS, name, data);
}

describe('validateS3Secret', () => {
  const good = {
    bucketnames: 'b',
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    region: 'eu-west-1',
    access_key_id: 'id',
    access_key_secret: 'secret',
  };
  it('requires the fields the Loki operator requires, in its order', () => {
    expect(validateS3Secret(good, 'static')).toBeUndefined();
    expect(validateS3Secret({ ...good, bucketnames: '' }, 'static')).toBe(
      'missing secret field: bucketnames',
    );
    const { region, ...noRegion } = good;
    expect(validateS3Secret(noRegion, 'static')).toBe(
      'missing secret field: region',
    );
    expect(
      validateS3Secret(
        { ...noRegion, endpoint: 'http://127.0.0.1:5000' },
        'static',
      ),
    ).toBeUndefined();
    expect(
      validateS3Secret(
        { ...good, endpoint: 'https://s3.us-east-1.amazonaws.com' },
        'static',
      ),
    ).toBe(
      'endpoint for AWS S3 must include correct region: expected region eu-west-1, got us-east-1',
    );
    expect(
      validateS3Secret(
        { ...good, endpoint: 'https://b.s3.eu-west-1.amazonaws.com' },
        'static',
      ),
    ).toBe('bucket name must not be included in AWS S3 endpoint URL');
    expect(validateS3Secret({ ...good, access_key_secret: '' }, 'static')).toBe(
      'missing secret field: access_key_secret',
    );
  });
});

describe('startLokiController', () => {
  let moto: MotoServer;
  let clients: ReturnType<typeof adminClients>;
  let controller: Controller | undefined;

  beforeAll(async () => {
    moto = await startTestMoto();
    clients = adminClients(moto.url);
    for (const bucket of [
      'loki-good',
      'loki-denied',
      'loki-by-policy',
      'loki-tls-only',
    ]) {
      await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
  });
  afterAll(async () => {
    await moto?.stop();
  });
  afterEach(() => controller?.stop());

  function setup() {
    const store = newTestStore([NS]);
    const ctx = testContext(store, moto.url);
    return { store, ctx };
  }

  const stackOf = (store: ReturnType<typeof newTestStore>, name: string) =>
    store.get({ ...LOKI, namespace: NS, name });

  it('becomes Ready after lokiReadyMs when its key can write to the bucket', async () => {
    const { store, ctx } = setup();
    const key = await createIamUser(clients.iam, 'loki-good', {
      inline: writePolicy('loki-good'),
    });
    store.create(storageSecret('good-s3', 'loki-good', key));
    controller = startLokiController(ctx);
    store.create(lokiStack('good'));

    const pending = await waitFor(() =>
      conditionOf(stackOf(store, 'good'), 'Pending'),
    );
    expect(pending).toMatchObject({
      status: 'True',
      reason: 'PendingComponents',
      message: 'One or more LokiStack components pending on dependencies',
    });
    const ready = await waitFor(() => {
      const s = stackOf(store, 'good');
      return conditionOf(s, 'Ready')?.status === 'True' && s;
    });
    expect(conditionOf(ready, 'Ready')).toMatchObject({
      reason: 'ReadyComponents',
      message: 'All components ready',
    });
    expect(conditionOf(ready, 'Pending')?.status).toBe('False');
    const status = ready.status as Record<string, any>;
    expect(status.components.ingester).toEqual({ Ready: ['good-ingester-0'] });
    expect(Object.keys(status.components).sort()).toEqual([
      'compactor',
      'distributor',
      'gateway',
      'indexGateway',
      'ingester',
      'querier',
      'queryFrontend',
    ]);
    expect(status.storage).toEqual({
      schemas: [{ version: 'v13', effectiveDate: '2024-10-01' }],
      credentialMode: 'static',
    });
    expect(conditionOf(ready, 'Warning')).toBeUndefined();

    // Steady state: no further writes.
    const rv = stackOf(store, 'good')!.metadata.resourceVersion;
    await new Promise(r => setTimeout(r, ctx.profile.lokiReadyMs * 3));
    expect(stackOf(store, 'good')!.metadata.resourceVersion).toBe(rv);
    expect(findLeaks(ctx.logs, [key.secretAccessKey])).toEqual([]);
  });

  it('is Degraded while its Secret is missing or lacks a key, and Ready once fixed', async () => {
    const { store, ctx } = setup();
    const key = await createIamUser(clients.iam, 'loki-fixed', {
      inline: writePolicy('loki-good'),
    });
    controller = startLokiController(ctx);
    store.create(lokiStack('fixed'));

    const missing = await waitFor(() =>
      conditionOf(stackOf(store, 'fixed'), 'Degraded'),
    );
    expect(missing).toMatchObject({
      status: 'True',
      reason: 'MissingObjectStorageSecret',
      message: 'Missing object storage secret',
    });

    store.create(
      storageSecret('fixed-s3', 'loki-good', key, {
        access_key_secret: undefined,
      }),
    );
    await waitFor(() => {
      const conditions =
        (stackOf(store, 'fixed')?.status as any)?.conditions ?? [];
      return conditions.find(
        (c: any) =>
          c.type === 'Degraded' &&
          c.status === 'True' &&
          c.reason === 'InvalidObjectStorageSecret' &&
          c.message ===
            'Invalid object storage secret contents: missing secret field: access_key_secret',
      );
    });

    store.update(storageSecret('fixed-s3', 'loki-good', key));
    const ready = await waitFor(() => {
      const s = stackOf(store, 'fixed');
      return conditionOf(s, 'Ready')?.status === 'True' && s;
    });
    // mergeConditions: the earlier Degraded conditions stay, with status False.
    const degraded = ((ready.status as any).conditions as any[]).filter(
      c => c.type === 'Degraded',
    );
    expect(degraded.map(c => [c.reason, c.status]).sort()).toEqual([
      ['InvalidObjectStorageSecret', 'False'],
      ['MissingObjectStorageSecret', 'False'],
    ]);
  });

  it('fails its storage components when the key cannot write, and recovers with a key that can', async () => {
    const { store, ctx } = setup();
    const readOnly = await createIamUser(clients.iam, 'loki-readonly', {
      managed: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: [
              'arn:aws:s3:::loki-denied',
              'arn:aws:s3:::loki-denied/*',
            ],
          },
        ],
      },
    });
    store.create(storageSecret('denied-s3', 'loki-denied', readOnly));
    controller = startLokiController(ctx);
    store.create(lokiStack('denied'));

    const failed = await waitFor(() => {
      const s = stackOf(store, 'denied');
      return conditionOf(s, 'Failed')?.status === 'True' && s;
    });
    expect(conditionOf(failed, 'Failed')).toMatchObject({
      reason: 'FailedComponents',
      message: 'One or more LokiStack components failed',
    });
    const components = (failed.status as any).components;
    expect(components.ingester).toEqual({ Failed: ['denied-ingester-0'] });
    expect(components.distributor.Ready).toHaveLength(1);
    const event = await waitFor(() =>
      store
        .list('v1', 'Event', { namespace: NS })
        .find(e => (e.involvedObject as any).name === 'denied'),
    );
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'FailedComponents',
      message:
        'LokiStack components cannot use object storage: AccessDenied: User: arn:aws:iam::123456789012:user/loki-readonly is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::loki-denied/.sandbox-loki-probe/openshift-logging/denied" because no identity-based policy allows the s3:PutObject action',
    });

    const writer = await createIamUser(clients.iam, 'loki-writer', {
      inline: writePolicy('loki-denied'),
    });
    store.update(storageSecret('denied-s3', 'loki-denied', writer));
    await waitFor(
      () => conditionOf(stackOf(store, 'denied'), 'Ready')?.status === 'True',
    );
    expect(
      findLeaks(
        [...ctx.logs, ...store.list('v1', 'Event').map(e => String(e.message))],
        [readOnly.secretAccessKey, writer.secretAccessKey],
      ),
    ).toEqual([]);
  });

  it('fails for a wrong secret, a missing bucket or a bucket policy deny', async () => {
    const { store, ctx } = setup();
    const key = await createIamUser(clients.iam, 'loki-various', {
      inline: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
      },
    });
    await clients.s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'loki-by-policy',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: { AWS: 'arn:aws:iam::123456789012:user/loki-various' },
              Action: 's3:PutObject',
              Resource: 'arn:aws:s3:::loki-by-policy/*',
            },
          ],
        }),
      }),
    );
    store.create(
      storageSecret('wrong-s3', 'loki-good', {
        ...key,
        secretAccessKey: 'wrong',
      }),
    );
    store.create(storageSecret('nobucket-s3', 'loki-missing-bucket', key));
    store.create(storageSecret('policy-s3', 'loki-by-policy', key));
    controller = startLokiController(ctx);
    store.create(lokiStack('wrong'));
    store.create(lokiStack('nobucket'));
    store.create(lokiStack('policy'));

    const eventOf = (name: string) =>
      waitFor(() =>
        store
          .list('v1', 'Event', { namespace: NS })
          .find(e => (e.involvedObject as any).name === name),
      );
    expect((await eventOf('wrong')).message).toMatch(
      /: SignatureDoesNotMatch: /,
    );
    expect((await eventOf('nobucket')).message).toMatch(
      /: NoSuchBucket: The specified bucket does not exist$/,
    );
    expect((await eventOf('policy')).message).toMatch(
      /s3:PutObject .* with an explicit deny in a resource-based policy$/,
    );
    for (const name of ['wrong', 'nobucket', 'policy']) {
      expect(conditionOf(stackOf(store, name), 'Failed')?.status).toBe('True');
    }
  });

  it('accepts the admin key and a loopback endpoint, and warns about old schemas', async () => {
    const { store, ctx } = setup();
    store.create(
      storageSecret('admin-s3', 'loki-good', TEST_ADMIN, {
        endpoint: moto.url,
        region: undefined,
      }),
    );
    controller = startLokiController(ctx);
    store.create(
      lokiStack('admin', {
        storage: {
          schemas: [{ version: 'v12', effectiveDate: '2022-06-01' }],
          secret: { name: 'admin-s3', type: 's3' },
        },
      }),
    );
    const ready = await waitFor(() => {
      const s = stackOf(store, 'admin');
      return conditionOf(s, 'Ready')?.status === 'True' && s;
    });
    expect(conditionOf(ready, 'Warning')).toMatchObject({
      status: 'True',
      reason: 'StorageNeedsSchemaUpdate',
    });
  });

  it('is Ready on a TLS-only bucket over HTTPS, and fails over plain HTTP or with a wrong key', async () => {
    const tls = selfSignedCertificate();
    const proxy = await startAwsProxy({
      target: moto.url,
      faults: new FaultInjector(),
      tls,
    });
    try {
      const store = newTestStore([NS]);
      const ctx = testContext(store, proxy.url);
      ctx.aws.httpsUrl = proxy.httpsUrl;
      ctx.aws.caData = Buffer.from(tls.cert).toString('base64');
      const bucket = 'loki-tls-only';
      // The bootstrap's hardening, through the sandbox's AWS endpoint:
      // deny every request without TLS.
      const viaProxy = adminClients(proxy.url);
      await viaProxy.s3.send(
        new PutBucketPolicyCommand({
          Bucket: bucket,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DenyInsecureTransport',
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: [
                  `arn:aws:s3:::${bucket}`,
                  `arn:aws:s3:::${bucket}/*`,
                ],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          }),
        }),
      );
      const key = await createIamUser(clients.iam, 'loki-tls', {
        inline: writePolicy(bucket),
      });
      // AWS's endpoint (served over the sandbox's HTTPS), the sandbox's
      // HTTPS endpoint, its plain HTTP endpoint, and a wrong secret.
      store.create(storageSecret('aws-s3', bucket, key));
      store.create(
        storageSecret('https-s3', bucket, key, {
          endpoint: proxy.httpsUrl,
        }),
      );
      store.create(
        storageSecret('http-s3', bucket, key, { endpoint: proxy.url }),
      );
      store.create(
        storageSecret(
          'wrong-s3',
          bucket,
          { ...key, secretAccessKey: 'wrong' },
          { endpoint: proxy.httpsUrl },
        ),
      );
      controller = startLokiController(ctx);
      for (const name of ['aws', 'https', 'http', 'wrong']) {
        store.create(lokiStack(name));
      }

      for (const name of ['aws', 'https']) {
        await waitFor(
          () => conditionOf(stackOf(store, name), 'Ready')?.status === 'True',
          { what: `LokiStack ${name} Ready` },
        );
      }
      const eventOf = (name: string) =>
        waitFor(() =>
          store
            .list('v1', 'Event', { namespace: NS })
            .find(e => (e.involvedObject as any).name === name),
        );
      expect((await eventOf('http')).message).toBe(
        'LokiStack components cannot use object storage: AccessDenied: Access Denied',
      );
      expect((await eventOf('wrong')).message).toMatch(
        /: SignatureDoesNotMatch: /,
      );
      for (const name of ['http', 'wrong']) {
        expect(conditionOf(stackOf(store, name), 'Failed')).toMatchObject({
          status: 'True',
          reason: 'FailedComponents',
        });
      }
      expect(
        store
          .list('v1', 'Event', { namespace: NS })
          .filter(e =>
            ['aws', 'https'].includes((e.involvedObject as any).name),
          ),
      ).toEqual([]);
      viaProxy.s3.destroy();
    } finally {
      controller?.stop();
      controller = undefined;
      await proxy.close();
    }
  });
});
