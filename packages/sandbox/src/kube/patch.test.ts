import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  parsePatchBody,
  patchObject,
  patchTypeOf,
} from './patch';
import { ApiError, KubeObject } from './types';

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

const pod = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    labels: { a: '1', b: '2' },
    finalizers: ['x'],
    ownerReferences: [{ apiVersion: 'v1', kind: 'Job', name: 'j', uid: 'u1' }],
  },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'img:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        volumeMounts: [{ name: 'v', mountPath: '/data' }],
        ports: [{ containerPort: 80, name: 'http' }],
      },
      { name: 'side', image: 'side:1' },
    ],
    tolerations: [{ key: 't1' }, { key: 't2' }],
  },
  status: {
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'Initialized', status: 'True' },
    ],
  },
});

describe('patch', () => {
  it('maps content types to patch types', () => {
    expect(patchTypeOf('application/merge-patch+json; charset=utf-8')).toBe(
      'merge',
    );
    expect(patchTypeOf('application/json-patch+json')).toBe('json');
    expect(patchTypeOf('application/strategic-merge-patch+json')).toBe(
      'strategic',
    );
    expect(patchTypeOf('application/apply-patch+yaml')).toBe('apply');
    expect(patchTypeOf('application/json')).toBeUndefined();
  });

  it('applies RFC 7386 merge patches (null deletes, lists replace)', () => {
    const target = { a: { b: 1, c: 2 }, l: [1, 2], keep: true };
    expect(
      applyMergePatch(target, { a: { b: null, d: 3 }, l: [3], n: { x: 1 } }),
    ).toEqual({ a: { c: 2, d: 3 }, l: [3], keep: true, n: { x: 1 } });
    expect(target).toEqual({ a: { b: 1, c: 2 }, l: [1, 2], keep: true });
  });

  it('applies RFC 6902 JSON patches', () => {
    const out = applyJsonPatch({ spec: { a: [1] } }, [
      { op: 'add', path: '/spec/a/-', value: 2 },
      { op: 'add', path: '/spec/b', value: 'x' },
      { op: 'replace', path: '/spec/b', value: 'y' },
      { op: 'test', path: '/spec/a/0', value: 1 },
      { op: 'move', from: '/spec/b', path: '/spec/c' },
    ]);
    expect(out).toEqual({ spec: { a: [1, 2], c: 'y' } });
  });

  it('answers 422 for JSON patch operations that do not apply, 400 for malformed ones', () => {
    const failedTest = apiError(() =>
      applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]),
    );
    expect([failedTest.code, failedTest.reason]).toEqual([422, 'Invalid']);
    const missing = apiError(() =>
      applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b/c' }]),
    );
    expect(missing.code).toBe(422);
    // RFC 6902: replace needs the member to exist.
    const replaced = apiError(() =>
      applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 1 }]),
    );
    expect(replaced.code).toBe(422);
    const malformed = apiError(() =>
      applyJsonPatch({ a: 1 }, [{ op: 'frobnicate', path: '/a' }]),
    );
    expect([malformed.code, malformed.reason]).toEqual([400, 'BadRequest']);
    expect(apiError(() => applyJsonPatch({}, { op: 'add' })).code).toBe(400);
  });

  it('merges lists of built-in kinds by their merge keys', () => {
    const out = applyStrategicMergePatch(pod(), {
      metadata: {
        labels: { b: null, c: '3' },
        finalizers: ['y'],
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Job', name: 'j2', uid: 'u2' },
        ],
      },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'img:2',
            env: [
              { name: 'B', value: 'two' },
              { name: 'C', value: '3' },
            ],
            volumeMounts: [{ name: 'w', mountPath: '/data' }],
            ports: [{ containerPort: 443, name: 'https' }],
          },
        ],
        tolerations: [{ key: 't3' }],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    }) as any;
    expect(out.metadata.labels).toEqual({ a: '1', c: '3' });
    expect(out.metadata.finalizers).toEqual(['x', 'y']);
    expect(out.metadata.ownerReferences.map((o: any) => o.uid)).toEqual([
      'u1',
      'u2',
    ]);
    const main = out.spec.containers[0];
    expect(out.spec.containers.map((c: any) => c.name)).toEqual([
      'main',
      'side',
    ]);
    expect(main.image).toBe('img:2');
    expect(main.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'C', value: '3' },
    ]);
    expect(main.volumeMounts).toEqual([{ name: 'w', mountPath: '/data' }]);
    expect(main.ports.map((p: any) => p.containerPort)).toEqual([80, 443]);
    // No merge key: replaced.
    expect(out.spec.tolerations).toEqual([{ key: 't3' }]);
    expect(out.status.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);
  });

  it('honours $patch, $retainKeys, $setElementOrder and $deleteFromPrimitiveList', () => {
    const out = applyStrategicMergePatch(pod(), {
      metadata: {
        '$deleteFromPrimitiveList/finalizers': ['x'],
        labels: { $patch: 'replace', z: '26' },
      },
      spec: {
        $retainKeys: ['containers'],
        '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }],
        containers: [
          { name: 'side', $patch: 'delete' },
          { name: 'main', image: 'img:3' },
        ],
      },
      status: { $patch: 'delete' },
    }) as any;
    expect(out.metadata.finalizers).toEqual([]);
    expect(out.metadata.labels).toEqual({ z: '26' });
    expect(Object.keys(out.spec)).toEqual(['containers']);
    expect(out.spec.containers).toHaveLength(1);
    expect(out.spec.containers[0].image).toBe('img:3');
    expect(out).not.toHaveProperty('status');

    const replaced = applyStrategicMergePatch(pod(), {
      spec: {
        containers: [{ $patch: 'replace' }, { name: 'only', image: 'o' }],
      },
    }) as any;
    expect(replaced.spec.containers).toEqual([{ name: 'only', image: 'o' }]);

    const reordered = applyStrategicMergePatch(pod(), {
      spec: {
        '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }],
      },
    }) as any;
    expect(reordered.spec.containers.map((c: any) => c.name)).toEqual([
      'side',
      'main',
    ]);
  });

  it('parses apply bodies as YAML or JSON and rejects garbage with 400', () => {
    expect(parsePatchBody('apply', 'a: 1\nb: [x]\n')).toEqual({
      a: 1,
      b: ['x'],
    });
    expect(parsePatchBody('apply', '{"a": 1}')).toEqual({ a: 1 });
    expect(apiError(() => parsePatchBody('merge', '{nope')).code).toBe(400);
    expect(apiError(() => parsePatchBody('apply', 'a: [1')).code).toBe(400);
  });

  it('refuses a patch that destroys the object', () => {
    expect(
      apiError(() =>
        patchObject(pod(), 'json', [{ op: 'remove', path: '/metadata' }]),
      ).code,
    ).toBe(422);
    expect(apiError(() => patchObject(pod(), 'merge', [1])).code).toBe(400);
  });
});
