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

const names = (o: KubeObject[]) => o.map(x => x.metadata.name);

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

  it('applies partial objects: merges maps, replaces lists, drops what the manager stopped applying', () => {
    const store = newStore();
    const cm = (data: Record<string, string>, extra: object = {}) =>
      ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'ns' },
        data,
        ...extra,
      } as KubeObject);
    store.apply(cm({ a: '1', b: '2' }), { fieldManager: 'test' });
    store.apply(cm({ other: 'x' }), { fieldManager: 'someone-else' });
    const applied = store.apply(
      {
        ...cm({ b: '3' }),
        metadata: { name: 'c', namespace: 'ns', labels: { x: 'y' } },
      },
      { fieldManager: 'test' },
    );
    // `a` was test's alone and test no longer applies it; `other` is
    // someone else's.
    expect(applied.data).toEqual({ b: '3', other: 'x' });
    expect(applied.metadata.labels).toEqual({ x: 'y' });
    expect(
      (
        applied.metadata.managedFields as Array<{
          manager: string;
          operation: string;
          fieldsV1: unknown;
        }>
      ).map(f => [`${f.manager}/${f.operation}`, f.fieldsV1]),
    ).toEqual([
      ['someone-else/Apply', { 'f:data': { 'f:other': {} } }],
      [
        'test/Apply',
        {
          'f:data': { 'f:b': {} },
          'f:metadata': { 'f:labels': { 'f:x': {} } },
        },
      ],
    ]);

    const crd = {
      apiVersion: 'loki.grafana.com/v1',
      kind: 'LokiStack',
      metadata: { name: 'l', namespace: 'ns' },
      spec: {
        tenants: { mode: 'static', authentication: [{ tenantName: 'a' }] },
      },
    } as KubeObject;
    store.apply(crd, { fieldManager: 'test' });
    const replaced = store.apply(
      {
        ...crd,
        spec: {
          tenants: { mode: 'static', authentication: [{ tenantName: 'b' }] },
        },
      },
      { fieldManager: 'test' },
    );
    expect((replaced.spec as any).tenants.authentication).toEqual([
      { tenantName: 'b' },
    ]);
  });

  it('records field ownership: an update takes the fields it changes, an apply that would change them conflicts', () => {
    const store = newStore();
    const created = store.create(
      { ...secret('a', { k: 'dg==' }), type: 'Opaque' },
      { fieldManager: 'creator' },
    );
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'creator',
        operation: 'Update',
        apiVersion: 'v1',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { '.': {}, 'f:k': {} },
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:type': {},
        },
      },
    ]);
    const e = apiError(() =>
      store.apply(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'a', namespace: 'ns', labels: { app: 'b' } },
          data: { k: 'dw==' },
        },
        { fieldManager: 'applier' },
      ),
    );
    expect(e.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Apply failed with 2 conflicts: conflicts with "creator" using v1:\n- .data.k\n- .metadata.labels.app',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "creator" using v1',
            field: '.data.k',
          },
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "creator" using v1',
            field: '.metadata.labels.app',
          },
        ],
      },
      code: 409,
    });
    // The same values are no conflict: both own them.
    const shared = store.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'a', namespace: 'ns' },
        data: { k: 'dg==' },
      },
      { fieldManager: 'applier' },
    );
    expect(
      (shared.metadata.managedFields as Array<{ manager: string }>).map(
        f => f.manager,
      ),
    ).toEqual(['applier', 'creator']);
    // Forced, the field moves to the applier.
    const forced = store.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'a', namespace: 'ns' },
        data: { k: 'dw==' },
      },
      { fieldManager: 'applier', force: true },
    );
    expect(forced.data).toEqual({ k: 'dw==' });
    const owners = Object.fromEntries(
      (
        forced.metadata.managedFields as Array<{
          manager: string;
          fieldsV1: Record<string, any>;
        }>
      ).map(f => [f.manager, f.fieldsV1]),
    );
    expect(owners.applier).toEqual({ 'f:data': { 'f:k': {} } });
    // The creator keeps the map it created, not the key.
    expect(owners.creator['f:data']).toEqual({});
  });

  it('lists as of an earlier resourceVersion until compacted', () => {
    const store = newStore();
    store.create(secret('a', { k: 'MQ==' }));
    const before = Number(store.currentRevision());
    const a = store.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'ns',
      name: 'a',
    })!;
    store.update({ ...a, data: { k: 'Mg==' } });
    store.create(secret('b'));
    store.delete({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'ns',
      name: 'a',
    });

    const then = store.listAt('v1', 'Secret', before, { namespace: 'ns' });
    expect(then.map(o => [o.metadata.name, o.data])).toEqual([
      ['a', { k: 'MQ==' }],
    ]);
    expect(names(store.list('v1', 'Secret'))).toEqual(['b']);

    store.compact();
    expect(store.compactedRevision()).toBe(Number(store.currentRevision()));
    expect(() => store.listAt('v1', 'Secret', before)).toThrow();
    expect(
      names(store.listAt('v1', 'Secret', store.compactedRevision())),
    ).toEqual(['b']);
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

  describe('finalizers', () => {
    const ref = {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'ns',
      name: 'held',
    };
    const held = (store: MemoryObjectStore) =>
      store.create({
        ...secret('held'),
        metadata: { ...secret('held').metadata, finalizers: ['example.com/a'] },
      });

    it('marks an object with finalizers as being deleted instead of deleting it', () => {
      const store = newStore();
      const created = held(store);
      const events: WatchEvent[] = [];
      store.watch('v1', 'Secret', e => events.push(e));
      const answered = store.delete(ref);
      expect(answered.metadata).toMatchObject({
        deletionTimestamp: expect.stringMatching(/^\d{4}-.*T.*[^.]\d\dZ$/),
        deletionGracePeriodSeconds: 0,
        generation: 2,
        finalizers: ['example.com/a'],
      });
      expect(events.map(e => e.type)).toEqual(['MODIFIED']);
      const stored = store.get(ref)!;
      expect(stored.metadata.uid).toBe(created.metadata.uid);
      expect(stored.metadata.deletionTimestamp).toBe(
        answered.metadata.deletionTimestamp,
      );
      // Deleting again changes nothing.
      const again = store.delete(ref);
      expect(again.metadata.resourceVersion).toBe(
        answered.metadata.resourceVersion,
      );
      expect(events).toHaveLength(1);
    });

    it('deletes the object when an update removes its last finalizer', () => {
      const store = newStore();
      store.create({
        ...secret('held'),
        metadata: {
          ...secret('held').metadata,
          finalizers: ['example.com/a', 'example.com/b'],
        },
      });
      store.delete(ref);
      const events: WatchEvent[] = [];
      store.watch('v1', 'Secret', e => events.push(e));
      const one = store.get(ref)!;
      // A changed spec and one finalizer fewer: still there, still terminating.
      const kept = store.update({
        ...one,
        data: { k: 'dg==' },
        metadata: { ...one.metadata, finalizers: ['example.com/b'] },
      });
      expect(kept.metadata.deletionTimestamp).toBe(
        one.metadata.deletionTimestamp,
      );
      expect(store.get(ref)!.data).toEqual({ k: 'dg==' });
      const last = store.update({
        ...kept,
        metadata: { ...kept.metadata, finalizers: [] },
      });
      expect(store.get(ref)).toBeUndefined();
      expect(events.map(e => e.type)).toEqual(['MODIFIED', 'DELETED']);
      expect(Number(last.metadata.resourceVersion)).toBeGreaterThan(
        Number(kept.metadata.resourceVersion),
      );
    });

    it('deletes the object when an apply removes its last finalizer', () => {
      const store = newStore();
      store.apply(
        {
          ...secret('held'),
          metadata: { name: 'held', namespace: 'ns', finalizers: ['x/y'] },
        },
        { fieldManager: 'operator' },
      );
      store.delete(ref);
      expect(store.get(ref)).toBeDefined();
      store.apply(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'held', namespace: 'ns', finalizers: [] },
        },
        { fieldManager: 'operator' },
      );
      expect(store.get(ref)).toBeUndefined();
    });

    it('refuses new finalizers on an object being deleted, and keeps deletionTimestamp', () => {
      const store = newStore();
      held(store);
      const marked = store.delete(ref);
      const error = apiError(() =>
        store.update({
          ...marked,
          metadata: {
            ...marked.metadata,
            finalizers: ['example.com/a', 'example.com/new'],
          },
        }),
      );
      expect(error.code).toBe(422);
      expect(error.message).toBe(
        'Secret "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/new"}',
      );
      // An update cannot take the deletion back.
      const { deletionTimestamp: _d, ...meta } = marked.metadata;
      const updated = store.update({ ...marked, metadata: meta });
      expect(updated.metadata.deletionTimestamp).toBe(
        marked.metadata.deletionTimestamp,
      );
    });

    it('does not let an update or a create set deletionTimestamp', () => {
      const store = newStore();
      const created = store.create({
        ...secret('a'),
        metadata: {
          ...secret('a').metadata,
          deletionTimestamp: '2026-01-01T00:00:00Z',
        },
      });
      expect(created.metadata.deletionTimestamp).toBeUndefined();
      const error = apiError(() =>
        store.update({
          ...created,
          metadata: {
            ...created.metadata,
            deletionTimestamp: '2026-01-01T00:00:00Z',
          },
        }),
      );
      expect(error.message).toBe(
        'Secret "a" is invalid: metadata.deletionTimestamp: Invalid value: "2026-01-01T00:00:00Z": field is immutable',
      );
    });

    it('deletes objects without finalizers, purged ones and the content of a namespace at once', () => {
      const store = newStore();
      store.create(secret('plain'));
      store.delete({ ...ref, name: 'plain' });
      expect(store.get({ ...ref, name: 'plain' })).toBeUndefined();
      held(store);
      store.delete(ref, { purge: true });
      expect(store.get(ref)).toBeUndefined();
      held(store);
      store.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'ns' });
      expect(store.list('v1', 'Secret')).toEqual([]);
    });
  });
});
