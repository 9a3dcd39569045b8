/** Server-side apply and field ownership through client-node. */
import * as k8s from '@kubernetes/client-node';
import {
  apiException,
  kubeConfigFor,
  statusOf,
} from '../__testUtils__/clients';
import { startTestKube, TestKube } from '../__testUtils__/testKube';

let kube: TestKube;
let objects: k8s.KubernetesObjectApi;

beforeAll(async () => {
  kube = await startTestKube();
  objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfigFor(kube));
});
afterAll(() => kube.close());

const apply = (body: object, fieldManager: string, force?: boolean) =>
  objects.patch<any>(
    body as k8s.KubernetesObject,
    undefined,
    undefined,
    fieldManager,
    force,
    k8s.PatchStrategy.ServerSideApply,
  );

const configMap = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'owned', namespace: 'default' },
  data,
});

const owners = (o: any): Record<string, unknown> =>
  Object.fromEntries(
    o.metadata.managedFields.map((f: any) => [
      `${f.manager}/${f.operation}`,
      f.fieldsV1,
    ]),
  );

describe('server-side apply', () => {
  it('refuses to change a field another manager applied (409 Conflict naming both), and moves it with force', async () => {
    await apply(configMap({ key: 'a' }), 'other-manager');

    const e = await apiException(
      apply(configMap({ key: 'b' }), 'logging-environments', false),
    );
    expect(e.code).toBe(409);
    expect(statusOf(e)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Apply failed with 1 conflict: conflict with "other-manager": .data.key',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "other-manager"',
            field: '.data.key',
          },
        ],
      },
      code: 409,
    });

    // The same value is no conflict: the field is shared.
    const shared = await apply(configMap({ key: 'a' }), 'logging-environments');
    expect(owners(shared)).toEqual({
      'logging-environments/Apply': { 'f:data': { 'f:key': {} } },
      'other-manager/Apply': { 'f:data': { 'f:key': {} } },
    });

    const forced = await apply(
      configMap({ key: 'b' }),
      'logging-environments',
      true,
    );
    expect(forced.data).toEqual({ key: 'b' });
    expect(owners(forced)).toEqual({
      'logging-environments/Apply': { 'f:data': { 'f:key': {} } },
    });
  });

  it('conflicts with the managers of spec fields and labels set by create and patch, per manager', async () => {
    const stack = {
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      metadata: { name: 'shared', namespace: 'default' },
      spec: {
        size: '1x.extra-small',
        storage: {
          schemas: [{ effectiveDate: '2024-10-01', version: 'v13' }],
          secret: { name: 'logging-loki-s3', type: 's3' },
        },
        storageClassName: 'gp3-csi',
        tenants: { mode: 'openshift-logging' },
      },
    };
    await objects.create(
      stack as k8s.KubernetesObject,
      undefined,
      undefined,
      'creator',
    );
    await objects.patch(
      {
        ...stack,
        metadata: { ...stack.metadata, labels: { team: 'obs' } },
      } as k8s.KubernetesObject,
      undefined,
      undefined,
      'editor',
      undefined,
      k8s.PatchStrategy.MergePatch,
    );

    const e = await apiException(
      apply(
        {
          ...stack,
          metadata: { ...stack.metadata, labels: { team: 'logging' } },
          spec: { ...stack.spec, size: '1x.small' },
        },
        'applier',
      ),
    );
    expect(statusOf(e).message).toBe(
      [
        'Apply failed with 2 conflicts: conflicts with "creator" using loki.grafana.com/v1:',
        '- .spec.size',
        'conflicts with "editor" using loki.grafana.com/v1:',
        '- .metadata.labels.team',
      ].join('\n'),
    );
    expect(statusOf(e).details.causes).toEqual([
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "creator" using loki.grafana.com/v1',
        field: '.spec.size',
      },
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "editor" using loki.grafana.com/v1',
        field: '.metadata.labels.team',
      },
    ]);
    const live = kube.store.get({
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      namespace: 'default',
      name: 'shared',
    })!;
    expect((live.spec as any).size).toBe('1x.extra-small');
  });

  it('reports conflicts on a dry run too, and a forced dry run stores nothing', async () => {
    await apply(
      {
        ...configMap({ key: 'a' }),
        metadata: { name: 'dry', namespace: 'default' },
      },
      'first',
    );
    const dry = (force?: boolean) =>
      objects.patch<any>(
        {
          ...configMap({ key: 'b' }),
          metadata: { name: 'dry', namespace: 'default' },
        } as k8s.KubernetesObject,
        undefined,
        'All',
        'second',
        force,
        k8s.PatchStrategy.ServerSideApply,
      );
    expect((await apiException(dry())).code).toBe(409);
    expect((await dry(true)).data).toEqual({ key: 'b' });
    expect(
      kube.store.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'dry',
      })!.data,
    ).toEqual({ key: 'a' });
  });

  it('refuses managedFields in an apply configuration', async () => {
    const e = await apiException(
      apply(
        {
          ...configMap({ key: 'a' }),
          metadata: {
            name: 'with-fields',
            namespace: 'default',
            managedFields: [{ manager: 'x', operation: 'Apply' }],
          },
        },
        'test',
      ),
    );
    expect([e.code, statusOf(e).message]).toEqual([
      400,
      'metadata.managedFields must be nil',
    ]);
  });
});
