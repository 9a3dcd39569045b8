import {
  CreateSecretCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { MotoServer } from '../../aws/moto';
import { KubeObject } from '../../kube/types';
import { AwsCredentials } from '../awsAccess';
import { startExternalSecretsController } from '.';
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
} from '../__testUtils__/operators';
import { Controller } from '../types';

const CSS = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
};
const ES = { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret' };

/** The External Secrets identity's policy the docs give: one environment's secrets. */
const READ_ACME_PROD_SECRETS = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: [
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
      ],
      Resource:
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:logging/acme-prod/*',
    },
  ],
};

function clusterStore(
  name: string,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    ...CSS,
    metadata: { name },
    spec: {
      provider: {
        aws: {
          service: 'SecretsManager',
          region: 'us-east-1',
          auth: {
            secretRef: {
              accessKeyIDSecretRef: {
                name: 'aws-credentials',
                namespace: 'external-secrets-system',
                key: 'access-key-id',
              },
              secretAccessKeySecretRef: {
                name: 'aws-credentials',
                namespace: 'external-secrets-system',
                key: 'secret-access-key',
              },
            },
          },
        },
      },
      ...extra,
    },
  };
}

function credentialsSecret(key: AwsCredentials, omit?: string) {
  const data: Record<string, string> = {
    'access-key-id': key.accessKeyId,
    'secret-access-key': key.secretAccessKey,
  };
  if (omit) delete data[omit];
  return secretObject('external-secrets-system', 'aws-credentials', data);
}

function externalSecret(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): KubeObject {
  return {
    ...ES,
    metadata: { name, namespace },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: {
        kind: 'ClusterSecretStore',
        name: 'aws-secrets-manager',
      },
      target: { name, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      ...spec,
    },
  };
}

function eventsFor(store: ReturnType<typeof newTestStore>, name: string) {
  return store
    .list('v1', 'Event')
    .filter(e => (e.involvedObject as { name: string }).name === name);
}

const decoded = (secret: KubeObject | undefined) =>
  Object.fromEntries(
    Object.entries((secret?.data ?? {}) as Record<string, string>).map(
      ([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')],
    ),
  );

describe('startExternalSecretsController', () => {
  let moto: MotoServer;
  let clients: ReturnType<typeof adminClients>;
  let reader: AwsCredentials;
  let controller: Controller | undefined;
  const lokiSecret = {
    bucketnames: 'acme-loki-chunks',
    endpoint: 'https://s3.us-east-1.amazonaws.com',
    region: 'us-east-1',
    access_key_id: 'AKIALOKIEXAMPLE00001',
    access_key_secret: 'loki-secret-value-never-logged',
  };

  beforeAll(async () => {
    moto = await startTestMoto();
    clients = adminClients(moto.url);
    reader = await createIamUser(clients.iam, 'eso-reader', {
      inline: READ_ACME_PROD_SECRETS,
    });
    await clients.sm.send(
      new CreateSecretCommand({
        Name: 'logging/acme-prod/loki-s3',
        SecretString: JSON.stringify(lokiSecret),
      }),
    );
  });
  afterAll(async () => {
    await moto?.stop();
  });
  afterEach(() => controller?.stop());

  function setup() {
    const store = newTestStore([
      'external-secrets-system',
      'openshift-logging',
      'other',
    ]);
    const ctx = testContext(store, moto.url);
    return { store, ctx };
  }

  it('makes a store with working credentials Ready', async () => {
    const { store, ctx } = setup();
    store.create(credentialsSecret(reader));
    store.create(clusterStore('aws-secrets-manager'));
    controller = startExternalSecretsController(ctx);
    const css = await waitFor(() => {
      const s = store.get({ ...CSS, name: 'aws-secrets-manager' });
      return conditionOf(s, 'Ready')?.status === 'True' && s;
    });
    expect(conditionOf(css, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Valid',
      message: 'store validated',
    });
    expect((css.status as { capabilities: string }).capabilities).toBe(
      'ReadWrite',
    );
    // The sandbox admin key works as well.
    expect(
      findLeaks(ctx.logs, [reader.secretAccessKey, TEST_ADMIN.secretAccessKey]),
    ).toEqual([]);
  });

  it('keeps a store not Ready while its Secret is missing, incomplete or wrong, and recovers', async () => {
    const { store, ctx } = setup();
    store.create(clusterStore('aws-secrets-manager'));
    controller = startExternalSecretsController(ctx);
    const ref = { ...CSS, name: 'aws-secrets-manager' };

    const missing = await waitFor(() => conditionOf(store.get(ref), 'Ready'));
    expect(missing).toMatchObject({
      status: 'False',
      reason: 'InvalidProviderConfig',
      message: 'unable to create client',
    });
    expect(
      eventsFor(store, 'aws-secrets-manager').map(e => e.message),
    ).toContain(
      'could not fetch accessKeyID secret: secrets "aws-credentials" not found',
    );

    store.create(credentialsSecret(reader, 'secret-access-key'));
    await waitFor(() =>
      eventsFor(store, 'aws-secrets-manager').some(
        e => e.message === 'missing SecretAccessKey',
      ),
    );

    const wrongSecret = { ...reader, secretAccessKey: 'not-the-real-secret' };
    store.update(credentialsSecret(wrongSecret));
    const bad = await waitFor(() => {
      const c = conditionOf(store.get(ref), 'Ready');
      return c?.reason === 'ValidationFailed' && c;
    });
    expect(bad.message).toBe(
      'unable to validate store: SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );

    store.update(
      credentialsSecret({
        accessKeyId: 'AKIANOTAREALKEY00000',
        secretAccessKey: 'whatever',
      }),
    );
    await waitFor(() =>
      (conditionOf(store.get(ref), 'Ready')?.message as string)?.includes(
        'InvalidClientTokenId',
      ),
    );

    store.update(credentialsSecret(reader));
    await waitFor(
      () => conditionOf(store.get(ref), 'Ready')?.status === 'True',
    );
    expect(
      findLeaks(
        [
          ...ctx.logs,
          ...store.list('v1', 'Event').map(e => String(e.message)),
          JSON.stringify(store.get(ref)?.status),
        ],
        [reader.secretAccessKey, wrongSecret.secretAccessKey],
      ),
    ).toEqual([]);
  });

  it('materialises the target Secret and reports it synced', async () => {
    const { store, ctx } = setup();
    store.create(credentialsSecret(reader));
    store.create(clusterStore('aws-secrets-manager'));
    controller = startExternalSecretsController(ctx);
    const es = store.create(
      externalSecret('openshift-logging', 'logging-loki-s3', {
        dataFrom: [{ extract: { key: 'logging/acme-prod/loki-s3' } }],
        data: [
          {
            secretKey: 'bucket',
            remoteRef: {
              key: 'logging/acme-prod/loki-s3',
              property: 'bucketnames',
            },
          },
        ],
      }),
    );

    const synced = await waitFor(() => {
      const o = store.get({
        ...ES,
        namespace: 'openshift-logging',
        name: 'logging-loki-s3',
      });
      return conditionOf(o, 'Ready')?.status === 'True' && o;
    });
    expect(conditionOf(synced, 'Ready')).toMatchObject({
      reason: 'SecretSynced',
      message: 'secret synced',
    });
    expect(synced.status).toMatchObject({
      binding: { name: 'logging-loki-s3' },
      syncedResourceVersion: expect.stringMatching(/^1-[0-9a-f]{32}$/),
      refreshTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });

    const secret = store.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'openshift-logging',
      name: 'logging-loki-s3',
    });
    expect(secret?.type).toBe('Opaque');
    expect(decoded(secret)).toEqual({
      ...lokiSecret,
      bucket: 'acme-loki-chunks',
    });
    expect(secret?.metadata.labels).toMatchObject({
      'reconcile.external-secrets.io/managed': 'true',
    });
    expect(secret?.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'ExternalSecret',
        name: 'logging-loki-s3',
        uid: es.metadata.uid,
        controller: true,
      }),
    ]);
    expect(
      findLeaks(
        [...ctx.logs, ...store.list('v1', 'Event').map(e => String(e.message))],
        [lokiSecret.access_key_secret, reader.secretAccessKey],
      ),
    ).toEqual([]);

    // Deleting the ExternalSecret garbage-collects the Secret it owns.
    store.delete({
      ...ES,
      namespace: 'openshift-logging',
      name: 'logging-loki-s3',
    });
    await waitFor(
      () =>
        !store.get({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: 'openshift-logging',
          name: 'logging-loki-s3',
        }),
    );
  });

  it('reports SecretSyncedError for a missing remote key or property', async () => {
    const { store, ctx } = setup();
    store.create(credentialsSecret(reader));
    store.create(clusterStore('aws-secrets-manager'));
    controller = startExternalSecretsController(ctx);
    store.create(
      externalSecret('openshift-logging', 'missing-key', {
        data: [
          {
            secretKey: 'x',
            remoteRef: { key: 'logging/acme-prod/does-not-exist' },
          },
        ],
      }),
    );
    store.create(
      externalSecret('openshift-logging', 'missing-property', {
        data: [
          {
            secretKey: 'x',
            remoteRef: { key: 'logging/acme-prod/loki-s3', property: 'nope' },
          },
        ],
      }),
    );

    for (const [name, detail] of [
      [
        'missing-key',
        'error retrieving secret at .data[0], key: logging/acme-prod/does-not-exist, err: Secret does not exist',
      ],
      [
        'missing-property',
        'error retrieving secret at .data[0], key: logging/acme-prod/loki-s3, err: key nope does not exist in secret logging/acme-prod/loki-s3',
      ],
    ]) {
      const c = await waitFor(() =>
        conditionOf(
          store.get({ ...ES, namespace: 'openshift-logging', name }),
          'Ready',
        ),
      );
      expect(c).toMatchObject({
        status: 'False',
        reason: 'SecretSyncedError',
        message: 'could not get secret data from provider',
      });
      await waitFor(() =>
        eventsFor(store, name).find(
          e => e.reason === 'UpdateFailed' && e.message === detail,
        ),
      );
    }
    expect(
      store.get({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'openshift-logging',
        name: 'missing-key',
      }),
    ).toBeUndefined();
  });

  it('honours the ClusterSecretStore namespace conditions', async () => {
    const { store, ctx } = setup();
    store.create(credentialsSecret(reader));
    store.create(
      clusterStore('aws-secrets-manager', {
        conditions: [{ namespaces: ['openshift-logging'] }],
      }),
    );
    store.create(
      clusterStore('by-regex', {
        conditions: [{ namespaceRegexes: ['^oth'] }],
      }),
    );
    controller = startExternalSecretsController(ctx);
    const spec = {
      dataFrom: [{ extract: { key: 'logging/acme-prod/loki-s3' } }],
    };
    store.create(externalSecret('other', 'denied', spec));
    store.create(externalSecret('openshift-logging', 'allowed', spec));
    store.create(
      externalSecret('other', 'allowed-by-regex', {
        ...spec,
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'by-regex' },
      }),
    );

    await waitFor(
      () =>
        conditionOf(
          store.get({ ...ES, namespace: 'openshift-logging', name: 'allowed' }),
          'Ready',
        )?.status === 'True',
    );
    await waitFor(
      () =>
        conditionOf(
          store.get({ ...ES, namespace: 'other', name: 'allowed-by-regex' }),
          'Ready',
        )?.status === 'True',
    );
    const denied = await waitFor(() =>
      conditionOf(
        store.get({ ...ES, namespace: 'other', name: 'denied' }),
        'Ready',
      ),
    );
    expect(denied).toMatchObject({
      status: 'False',
      reason: 'SecretSyncedError',
    });
    await waitFor(() =>
      eventsFor(store, 'denied').find(
        e =>
          e.message ===
          'using cluster store "aws-secrets-manager" is not allowed from namespace "other": denied by spec.condition',
      ),
    );
    expect(
      store.get({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'other',
        name: 'denied',
      }),
    ).toBeUndefined();
  });

  it('waits for the store to become Ready, then syncs', async () => {
    const { store, ctx } = setup();
    store.create(clusterStore('aws-secrets-manager'));
    controller = startExternalSecretsController(ctx);
    store.create(
      externalSecret('openshift-logging', 'early', {
        dataFrom: [{ extract: { key: 'logging/acme-prod/loki-s3' } }],
      }),
    );
    await waitFor(() =>
      eventsFor(store, 'early').find(
        e =>
          e.message === 'ClusterSecretStore "aws-secrets-manager" is not ready',
      ),
    );
    store.create(credentialsSecret(reader));
    const synced = await waitFor(() => {
      const c = conditionOf(
        store.get({ ...ES, namespace: 'openshift-logging', name: 'early' }),
        'Ready',
      );
      return c?.reason === 'SecretSynced' && c;
    });
    expect(synced.status).toBe('True');
  });

  it('refuses a key whose policies do not allow reading the secret', async () => {
    const { store, ctx } = setup();
    const stranger = await createIamUser(clients.iam, 'eso-no-policy');
    store.create(credentialsSecret(stranger));
    store.create(clusterStore('aws-secrets-manager'));
    controller = startExternalSecretsController(ctx);
    store.create(
      externalSecret('openshift-logging', 'forbidden', {
        dataFrom: [{ extract: { key: 'logging/acme-prod/loki-s3' } }],
      }),
    );
    const event = await waitFor(() =>
      eventsFor(store, 'forbidden').find(e =>
        String(e.message).startsWith('AccessDeniedException'),
      ),
    );
    expect(event.message).toMatch(
      /^AccessDeniedException: User: arn:aws:iam::123456789012:user\/eso-no-policy is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:logging\/acme-prod\/loki-s3-\w+ because no identity-based policy allows the secretsmanager:GetSecretValue action$/,
    );
  });

  it('refreshes the Secret on its refresh interval', async () => {
    const { store, ctx } = setup();
    await clients.sm.send(
      new CreateSecretCommand({
        Name: 'logging/acme-prod/rotating',
        SecretString: JSON.stringify({ token: 'one' }),
      }),
    );
    store.create(credentialsSecret(reader));
    store.create(clusterStore('aws-secrets-manager'));
    controller = startExternalSecretsController(ctx);
    store.create(
      externalSecret('openshift-logging', 'rotating', {
        refreshInterval: '100ms',
        dataFrom: [{ extract: { key: 'logging/acme-prod/rotating' } }],
      }),
    );
    const secretRef = {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'openshift-logging',
      name: 'rotating',
    };
    await waitFor(() => decoded(store.get(secretRef)).token === 'one');
    await clients.sm.send(
      new PutSecretValueCommand({
        SecretId: 'logging/acme-prod/rotating',
        SecretString: JSON.stringify({ token: 'two' }),
      }),
    );
    await waitFor(() => decoded(store.get(secretRef)).token === 'two');
    expect(decoded(store.get(secretRef))).toEqual({ token: 'two' });
  });
});
