import { BUILTIN_TYPES } from './builtins';
import { loadCrdTypes } from './crds';
import { MemoryObjectStore } from './store';
import { ApiError, KubeObject, WatchEvent } from './types';

function newStore() {
  const store = new MemoryObjectStore([...BUILTIN_TYPES, ...loadCrdTypes()]);
  store.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'ns' },
  });
  return store;
}

const secret = (
  name: string,
  data: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'ns', labels: { app: name } },
  data,
});

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('MemoryObjectStore', () => {
  it('serves only the served versions of the upstream CRDs', () => {
    const store = newStore();
    expect(() =>
      store.typeOf('external-secrets.io/v1', 'ExternalSecret'),
    ).not.toThrow();
    expect(
      apiError(() =>
        store.typeOf('external-secrets.io/v1beta1', 'ExternalSecret'),
      ).reason,
    ).toBe('NotFound');
    expect(
      store.typeOf('loki.grafana.com/v1', 'LokiStack').statusSubresource,
    ).toBe(true);
    expect(
      store.typeOf('operators.coreos.com/v1alpha2', 'OperatorGroup').namespaced,
    ).toBe(true);
  });

  it('creates with uid, generation and resourceVersion, and refuses duplicates', () => {
    const store = newStore();
    const created = store.create(secret('a'));
    expect(created.metadata).toMatchObject({ generation: 1, namespace: 'ns' });
    expect(created.metadata.uid).toBeTruthy();
    const e = apiError(() => store.create(secret('a')));
    expect(e.code).toBe(409);
    expect(e.reason).toBe('AlreadyExists');
    expect(e.message).toBe('secrets "a" already exists');
  });

  it('needs the namespace to exist', () => {
    const store = newStore();
    const e = apiError(() =>
      store.create({
        ...secret('a'),
        metadata: { name: 'a', namespace: 'nope' },
      }),
    );
    expect(e.message).toBe('namespaces "nope" not found');
  });

  it('refuses a stale resourceVersion with a Conflict', () => {
    const store = newStore();
    const created = store.create(secret('a'));
    store.update({ ...created, data: { k: 'dg==' } });
    const e = apiError(() => store.update({ ...created, data: { k: 'dw==' } }));
    expect(e.code).toBe(409);
    expect(e.reason).toBe('Conflict');
  });

  it('keeps status out of main updates when the type has a status subresource', () => {
    const store = newStore();
    const ls = store.create({
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      metadata: { name: 'logging-loki', namespace: 'ns' },
      spec: { size: '1x.demo' },
      status: { conditions: [{ type: 'Ready' }] },
    });
    expect(ls.status).toBeUndefined();
    const withStatus = store.updateStatus({
      ...ls,
      status: { conditions: [{ type: 'Pending' }] },
    });
    expect(withStatus.metadata.generation).toBe(1);
    const updated = store.update({
      ...withStatus,
      spec: { size: '1x.small' },
      status: {},
    });
    expect(updated.status).toEqual({ conditions: [{ type: 'Pending' }] });
    expect(updated.metadata.generation).toBe(2);
  });

  it('lists with label and field selectors', () => {
    const store = newStore();
    store.create(secret('a'));
    store.create(secret('b'));
    const names = (o: KubeObject[]) => o.map(x => x.metadata.name);
    expect(
      names(store.list('v1', 'Secret', { labelSelector: 'app in (a,c)' })),
    ).toEqual(['a']);
    expect(
      names(store.list('v1', 'Secret', { labelSelector: 'app!=a' })),
    ).toEqual(['b']);
    expect(
      names(store.list('v1', 'Secret', { fieldSelector: 'metadata.name=b' })),
    ).toEqual(['b']);
    expect(names(store.list('v1', 'Secret', { namespace: 'other' }))).toEqual(
      [],
    );
  });

  it('applies partial objects, merging maps and replacing lists', () => {
    const store = newStore();
    store.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'ns' },
        data: { a: '1', b: '2' },
      },
      { fieldManager: 'test' },
    );
    const applied = store.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'ns', labels: { x: 'y' } },
        data: { b: '3' },
      },
      { fieldManager: 'test' },
    );
    expect(applied.data).toEqual({ a: '1', b: '3' });
    expect(applied.metadata.labels).toEqual({ x: 'y' });
    expect(
      (
        applied.metadata.managedFields as Array<{
          manager: string;
          operation: string;
        }>
      ).map(f => `${f.manager}/${f.operation}`),
    ).toEqual(['test/Apply']);
  });

  it('does not bump resourceVersion for a write that changes nothing', () => {
    const store = newStore();
    const created = store.create(secret('a', { k: 'dg==' }));
    const again = store.update(created);
    expect(again.metadata.resourceVersion).toBe(
      created.metadata.resourceVersion,
    );
  });

  it('notifies watchers, and deleting a namespace deletes its objects', () => {
    const store = newStore();
    const events: WatchEvent[] = [];
    store.watch('v1', 'Secret', e => events.push(e));
    store.create(secret('a'));
    store.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'ns' });
    expect(events.map(e => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED a',
      'DELETED a',
    ]);
    expect(store.list('v1', 'Secret')).toEqual([]);
  });
});
