/**
 * The simulated operators together, on the product's manifests: OLM installs
 * the operators, External Secrets materialises Loki's S3 Secret from Secrets
 * Manager, the LokiStack becomes Ready, the health-check Job completes, and
 * the ClusterLogForwarder becomes Ready.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { MotoServer } from '../aws/moto';
import { KubeObject } from '../kube/types';
import { startClusterLoggingController } from './clusterLogging';
import { startExternalSecretsController } from './externalSecrets';
import { startJobController } from './jobs';
import { startLokiController } from './loki';
import { startOlmController } from './olm';
import {
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

const NS = 'openshift-logging';

describe('the logging stack flow', () => {
  let moto: MotoServer;
  const controllers: Controller[] = [];
  beforeAll(async () => {
    moto = await startTestMoto();
  });
  afterAll(async () => {
    for (const c of controllers) c.stop();
    await moto?.stop();
  });

  it('goes from bootstrap to a Ready forwarder', async () => {
    const { iam, s3, sm } = adminClients(moto.url);
    // Phase 1 (what the bootstrap actions do in AWS).
    await s3.send(new CreateBucketCommand({ Bucket: 'acme-prod-loki' }));
    const lokiKey = await createIamUser(iam, 'acme-prod-loki', {
      inline: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
            Resource: 'arn:aws:s3:::acme-prod-loki/*',
          },
          {
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: 'arn:aws:s3:::acme-prod-loki',
          },
        ],
      },
    });
    const esoKey = await createIamUser(iam, 'acme-eso', {
      inline: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource:
              'arn:aws:secretsmanager:us-east-1:123456789012:secret:logging/acme-prod/*',
          },
        ],
      },
    });
    await sm.send(
      new CreateSecretCommand({
        Name: 'logging/acme-prod/loki-s3',
        SecretString: JSON.stringify({
          bucketnames: 'acme-prod-loki',
          endpoint: 'https://s3.us-east-1.amazonaws.com',
          region: 'us-east-1',
          access_key_id: lokiKey.accessKeyId,
          access_key_secret: lokiKey.secretAccessKey,
        }),
      }),
    );

    const store = newTestStore([
      NS,
      'openshift-operators-redhat',
      'external-secrets-system',
    ]);
    const ctx = testContext(store, moto.url);
    controllers.push(
      startOlmController(ctx),
      startExternalSecretsController(ctx),
      startLokiController(ctx),
      startJobController(ctx),
      startClusterLoggingController(ctx),
    );
    const apply = (o: KubeObject) => store.create(o);

    // Operators.
    apply({
      apiVersion: 'operators.coreos.com/v1',
      kind: 'OperatorGroup',
      metadata: {
        name: 'openshift-operators-redhat',
        namespace: 'openshift-operators-redhat',
      },
      spec: { upgradeStrategy: 'Default' },
    });
    apply({
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'Subscription',
      metadata: {
        name: 'loki-operator',
        namespace: 'openshift-operators-redhat',
      },
      spec: {
        name: 'loki-operator',
        channel: 'stable-6.2',
        source: 'redhat-operators',
        sourceNamespace: 'openshift-marketplace',
        installPlanApproval: 'Automatic',
      },
    });
    // Bootstrap: credentials Secret and ClusterSecretStore.
    apply(
      secretObject('external-secrets-system', 'aws-credentials', {
        'access-key-id': esoKey.accessKeyId,
        'secret-access-key': esoKey.secretAccessKey,
      }),
    );
    const ref = (name: string) => ({
      name: 'aws-credentials',
      namespace: 'external-secrets-system',
      key: name,
    });
    apply({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: 'aws-secrets-manager' },
      spec: {
        provider: {
          aws: {
            service: 'SecretsManager',
            region: 'us-east-1',
            auth: {
              secretRef: {
                accessKeyIDSecretRef: ref('access-key-id'),
                secretAccessKeySecretRef: ref('secret-access-key'),
              },
            },
          },
        },
        conditions: [{ namespaces: [NS] }],
      },
    });

    // Waves 0-20.
    apply({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'logging-loki-s3', namespace: NS },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: {
          kind: 'ClusterSecretStore',
          name: 'aws-secrets-manager',
        },
        target: {
          name: 'logging-loki-s3',
          creationPolicy: 'Owner',
          deletionPolicy: 'Retain',
        },
        dataFrom: [{ extract: { key: 'logging/acme-prod/loki-s3' } }],
      },
    });
    apply({
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      metadata: { name: 'logging-loki', namespace: NS },
      spec: {
        managementState: 'Managed',
        size: '1x.demo',
        storageClassName: 'gp3-csi',
        storage: {
          schemas: [{ version: 'v13', effectiveDate: '2024-10-01' }],
          secret: {
            name: 'logging-loki-s3',
            type: 's3',
            credentialMode: 'static',
          },
        },
        limits: { global: { retention: { days: 7 } } },
        tenants: { mode: 'openshift-logging' },
      },
    });
    apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'logging-loki-health-check', namespace: NS },
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: 900,
        template: {
          spec: {
            serviceAccountName: 'logging-health-check',
            restartPolicy: 'Never',
            containers: [
              {
                name: 'wait-for-lokistack',
                image: 'registry.redhat.io/openshift4/ose-cli:latest',
                command: [
                  'oc',
                  'wait',
                  '--for=condition=Ready',
                  'lokistack/logging-loki',
                  '--namespace=openshift-logging',
                  '--timeout=840s',
                ],
              },
            ],
          },
        },
      },
    });

    const job = await waitFor(() => {
      const j = store.get({
        apiVersion: 'batch/v1',
        kind: 'Job',
        namespace: NS,
        name: 'logging-loki-health-check',
      });
      return conditionOf(j, 'Complete') && j;
    });
    expect((job.status as { succeeded: number }).succeeded).toBe(1);

    // Wave 30.
    apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'logging-collector', namespace: NS },
    });
    for (const logType of ['application', 'infrastructure']) {
      apply({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `logging-collector-collect-${logType}-logs` },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: `collect-${logType}-logs`,
        },
        subjects: [
          { kind: 'ServiceAccount', name: 'logging-collector', namespace: NS },
        ],
      });
    }
    apply({
      apiVersion: 'observability.openshift.io/v1',
      kind: 'ClusterLogForwarder',
      metadata: { name: 'collector', namespace: NS },
      spec: {
        managementState: 'Managed',
        serviceAccount: { name: 'logging-collector' },
        outputs: [
          {
            name: 'default-lokistack',
            type: 'lokiStack',
            lokiStack: {
              target: { name: 'logging-loki', namespace: NS },
              authentication: { token: { from: 'serviceAccount' } },
            },
            tls: {
              ca: {
                key: 'service-ca.crt',
                configMapName: 'openshift-service-ca.crt',
              },
            },
          },
        ],
        pipelines: [
          {
            name: 'default-logstore',
            inputRefs: ['application', 'infrastructure'],
            outputRefs: ['default-lokistack'],
          },
        ],
      },
    });
    await waitFor(
      () =>
        conditionOf(
          store.get({
            apiVersion: 'observability.openshift.io/v1',
            kind: 'ClusterLogForwarder',
            namespace: NS,
            name: 'collector',
          }),
          'Ready',
        )?.status === 'True',
    );
    await waitFor(
      () =>
        (
          store.get({
            apiVersion: 'operators.coreos.com/v1alpha1',
            kind: 'ClusterServiceVersion',
            namespace: 'openshift-operators-redhat',
            name: 'loki-operator.v6.2.3',
          })?.status as { phase?: string }
        )?.phase === 'Succeeded',
    );
    expect(
      findLeaks(
        [...ctx.logs, ...store.list('v1', 'Event').map(e => String(e.message))],
        [lokiKey.secretAccessKey, esoKey.secretAccessKey],
      ),
    ).toEqual([]);
  });
});
