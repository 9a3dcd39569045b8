/**
 * What the API server refuses before it stores anything: objects over
 * its size limits, request bodies over its body limit, and bodies whose
 * apiVersion/kind are not the URL's.
 */
import * as k8s from '@kubernetes/client-node';
import {
  apiException,
  callKube,
  kubeConfigFor,
  statusOf,
} from '../__testUtils__/clients';
import { startTestKube, TestKube } from '../__testUtils__/testKube';

let kube: TestKube;

beforeAll(async () => {
  kube = await startTestKube();
});
afterAll(() => kube.close());

const core = () => kubeConfigFor(kube).makeApiClient(k8s.CoreV1Api);
const KiB = 1024;

const invalid = (kind: string, name: string, field: string, limit: number) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `${kind} "${name}" is invalid: ${field}: Too long: may not be more than ${limit} bytes`,
  reason: 'Invalid',
  details: {
    name,
    kind,
    causes: [
      {
        reason: 'FieldValueTooLong',
        message: `Too long: may not be more than ${limit} bytes`,
        field,
      },
    ],
  },
  code: 422,
});

describe('size limits', () => {
  it('refuses a ConfigMap whose data and binaryData hold more than 1 MiB with 422 Invalid', async () => {
    const half = 'a'.repeat(512 * KiB);
    const binary = Buffer.alloc(512 * KiB, 7).toString('base64');
    const exactly = await core().createNamespacedConfigMap({
      namespace: 'default',
      body: {
        metadata: { name: 'exactly-one-mib' },
        data: { a: half },
        binaryData: { b: binary },
      },
    });
    expect(exactly.metadata?.uid).toBeTruthy();

    const e = await apiException(
      core().createNamespacedConfigMap({
        namespace: 'default',
        body: {
          metadata: { name: 'too-big' },
          data: { a: half, c: 'x' },
          binaryData: { b: binary },
        },
      }),
    );
    expect(e.code).toBe(422);
    expect(statusOf(e)).toEqual(invalid('ConfigMap', 'too-big', '[]', 1048576));
    expect(
      kube.store.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'too-big',
      }),
    ).toBeUndefined();
  });

  it('refuses a Secret whose decoded data is over 1 MiB, stringData included', async () => {
    const e = await apiException(
      core().createNamespacedSecret({
        namespace: 'default',
        body: {
          metadata: { name: 'big-secret' },
          data: { a: Buffer.alloc(1024 * KiB).toString('base64') },
          stringData: { b: 'x' },
        },
      }),
    );
    expect(statusOf(e)).toEqual(
      invalid('Secret', 'big-secret', 'data', 1048576),
    );
  });

  it('refuses annotations over 256 KiB on any kind, custom resources included', async () => {
    const annotations = { 'example.com/big': 'x'.repeat(256 * KiB) };
    const e = await apiException(
      core().createNamespacedServiceAccount({
        namespace: 'default',
        body: { metadata: { name: 'annotated', annotations } },
      }),
    );
    expect(statusOf(e)).toEqual(
      invalid('ServiceAccount', 'annotated', 'metadata.annotations', 262144),
    );

    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfigFor(kube));
    const cr = await apiException(
      objects.create({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        metadata: { name: 'annotated', annotations },
        spec: {
          provider: {
            aws: { service: 'SecretsManager', region: 'eu-west-1' },
          },
        },
      } as k8s.KubernetesObject),
    );
    expect(statusOf(cr)).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message:
        'ClusterSecretStore.external-secrets.io "annotated" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
    });
  });

  it('answers a request body over 3 MiB with 413 RequestEntityTooLarge', async () => {
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'huge' },
      data: { a: 'a'.repeat(3 * 1024 * KiB) },
    });
    const res = await callKube(kube, '/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Request entity too large: limit is 3145728',
      reason: 'RequestEntityTooLarge',
      code: 413,
    });
  });
});

describe('apiVersion and kind of a body', () => {
  const post = (path: string, body: object) =>
    callKube(kube, path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses a built-in body of another version or kind with 400 BadRequest, and stores nothing', async () => {
    const otherVersion = await post('/api/v1/namespaces/default/secrets', {
      apiVersion: 'v2',
      kind: 'Secret',
      metadata: { name: 'versioned' },
    });
    expect(otherVersion.status).toBe(400);
    expect(await otherVersion.json()).toMatchObject({
      reason: 'BadRequest',
      message:
        'Secret in version "v2" cannot be handled as a Secret: no kind "Secret" is registered for version "v2" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    });

    const otherKind = await post('/api/v1/namespaces/default/secrets', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mistyped' },
      data: { a: 'b' },
    });
    expect(otherKind.status).toBe(400);
    expect((await otherKind.json()).message).toBe(
      'ConfigMap in version "v1" cannot be handled as a Secret: converting (v1.ConfigMap) to (core.Secret): unknown conversion',
    );
    for (const [kind, name] of [
      ['Secret', 'versioned'],
      ['Secret', 'mistyped'],
      ['ConfigMap', 'mistyped'],
    ]) {
      expect(
        kube.store.get({ apiVersion: 'v1', kind, namespace: 'default', name }),
      ).toBeUndefined();
    }
  });

  it('refuses a custom resource of another served version (400) or kind (422)', async () => {
    const group = {
      metadata: { name: 'og' },
      spec: { targetNamespaces: ['default'] },
    };
    const version = await post(
      '/apis/operators.coreos.com/v1/namespaces/default/operatorgroups',
      {
        apiVersion: 'operators.coreos.com/v1alpha2',
        kind: 'OperatorGroup',
        ...group,
      },
    );
    expect(version.status).toBe(400);
    expect((await version.json()).message).toBe(
      'the API version in the data (operators.coreos.com/v1alpha2) does not match the expected API version (operators.coreos.com/v1)',
    );

    const unserved = await post(
      '/apis/operators.coreos.com/v1/namespaces/default/operatorgroups',
      {
        apiVersion: 'operators.coreos.com/v9',
        kind: 'OperatorGroup',
        ...group,
      },
    );
    expect((await unserved.json()).message).toBe(
      'OperatorGroup in version "v9" cannot be handled as a OperatorGroup: request to convert CR from an invalid group/version: operators.coreos.com/v9',
    );

    const otherGroup = await post(
      '/apis/operators.coreos.com/v1/namespaces/default/operatorgroups',
      { apiVersion: 'v1', kind: 'ConfigMap', ...group },
    );
    expect((await otherGroup.json()).message).toBe(
      'ConfigMap in version "v1" cannot be handled as a OperatorGroup: /v1, Kind=ConfigMap is unstructured and is not suitable for converting to "operators.coreos.com/v1"',
    );

    const kind = await post(
      '/apis/external-secrets.io/v1/namespaces/default/secretstores',
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        metadata: { name: 'store' },
        spec: {},
      },
    );
    expect(kind.status).toBe(422);
    expect(await kind.json()).toMatchObject({
      reason: 'Invalid',
      message:
        'SecretStore.external-secrets.io "store" is invalid: kind: Invalid value: "ClusterSecretStore": must be SecretStore',
      details: {
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "ClusterSecretStore": must be SecretStore',
            field: 'kind',
          },
        ],
      },
    });
    expect(kube.store.list('operators.coreos.com/v1', 'OperatorGroup')).toEqual(
      [],
    );
  });

  it('refuses an update body of another version', async () => {
    const created = await core().createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'replaced' }, data: { a: '1' } },
    });
    const res = await callKube(
      kube,
      '/api/v1/namespaces/default/configmaps/replaced',
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          ...created,
          apiVersion: 'v1beta1',
          kind: 'ConfigMap',
          data: { a: '2' },
        }),
      },
    );
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe(
      'ConfigMap in version "v1beta1" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version "v1beta1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    );
  });

  it("refuses an apply patch of another version or kind with the field manager's 400", async () => {
    const res = await callKube(
      kube,
      '/api/v1/namespaces/default/configmaps/applied?fieldManager=test',
      {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'applied' },
        }),
      },
    );
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe(
      'invalid object type: /v1, Kind=Secret',
    );
  });
});
