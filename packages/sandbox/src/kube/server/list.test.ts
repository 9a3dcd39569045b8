/** Lists at a resourceVersion, and pages, as etcd and the watch cache answer them. */
import * as k8s from '@kubernetes/client-node';
import {
  apiException,
  callKube,
  kubeConfigFor,
  statusOf,
} from '../__testUtils__/clients';
import { startTestKube, TestKube } from '../__testUtils__/testKube';
import { KubeObject } from '../types';

let kube: TestKube;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  kube = await startTestKube();
  core = kubeConfigFor(kube).makeApiClient(k8s.CoreV1Api);
  kube.store.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'listed' },
  });
});
afterAll(() => kube.close());

const configMap = (name: string, data: Record<string, string> = {}) =>
  kube.store.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'listed' },
    data,
  });

const names = (list: { items: Array<{ metadata?: { name?: string } }> }) =>
  list.items.map(o => o.metadata?.name);

describe('list at a resourceVersion', () => {
  it('reads the objects as they were with resourceVersionMatch=Exact, and answers 410 Expired once compacted', async () => {
    const a = configMap('exact-a', { v: '1' });
    const then = kube.store.currentRevision();
    kube.store.update({ ...a, data: { v: '2' } } as KubeObject);
    configMap('exact-b');
    kube.store.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'listed',
      name: 'exact-a',
    });

    const old = await core.listNamespacedConfigMap({
      namespace: 'listed',
      resourceVersion: then,
      resourceVersionMatch: 'Exact',
    });
    expect(old.metadata?.resourceVersion).toBe(then);
    expect(old.items.map(o => [o.metadata?.name, o.data])).toEqual([
      ['exact-a', { v: '1' }],
    ]);
    // Without a match, a resourceVersion is a minimum: the current state.
    const current = await core.listNamespacedConfigMap({
      namespace: 'listed',
      resourceVersion: then,
    });
    expect(names(current)).toEqual(['exact-b']);

    kube.store.compact();
    const e = await apiException(
      core.listNamespacedConfigMap({
        namespace: 'listed',
        resourceVersion: then,
        resourceVersionMatch: 'Exact',
      }),
    );
    expect(e.code).toBe(410);
    expect(statusOf(e)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'The resourceVersion for the provided list is too old.',
      reason: 'Expired',
      code: 410,
    });
  });

  it('waits for a newer resourceVersion (NotOlderThan), then answers 504 "Too large resource version"', async () => {
    const next = String(Number(kube.store.currentRevision()) + 1);
    const waiting = core.listNamespacedConfigMap({
      namespace: 'listed',
      resourceVersion: next,
      resourceVersionMatch: 'NotOlderThan',
    });
    setTimeout(() => configMap('arrived'), 100);
    const list = await waiting;
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(next),
    );
    expect(names(list)).toContain('arrived');

    const current = kube.store.currentRevision();
    const far = String(Number(current) + 100);
    const res = await callKube(
      kube,
      `/api/v1/namespaces/listed/configmaps?resourceVersion=${far}&resourceVersionMatch=NotOlderThan`,
    );
    expect(res.status).toBe(504);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Timeout: Too large resource version: ${far}, current: ${current}`,
      reason: 'Timeout',
      details: {
        causes: [
          {
            reason: 'ResourceVersionTooLarge',
            message: 'Too large resource version',
          },
        ],
        retryAfterSeconds: 1,
      },
      code: 504,
    });
  }, 10_000);

  it('answers an exact read of a future revision as etcd does, and refuses invalid list options with 422', async () => {
    const future = String(Number(kube.store.currentRevision()) + 5);
    const res = await callKube(
      kube,
      `/api/v1/namespaces/listed/configmaps?resourceVersion=${future}&resourceVersionMatch=Exact`,
    );
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'etcdserver: mvcc: required revision is a future revision',
      code: 500,
    });

    const options = async (query: string) => {
      const r = await callKube(
        kube,
        `/api/v1/namespaces/listed/configmaps?${query}`,
      );
      return [r.status, (await r.json()).message];
    };
    expect(await options('resourceVersionMatch=Exact')).toEqual([
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    ]);
    expect(
      await options('resourceVersion=0&resourceVersionMatch=Exact'),
    ).toEqual([
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    ]);
    expect(
      await options('resourceVersion=1&resourceVersionMatch=Newest'),
    ).toEqual([
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
    ]);
    expect(
      await options('resourceVersion=abc&resourceVersionMatch=Exact'),
    ).toEqual([
      400,
      'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
    ]);
  });
});

describe('pages', () => {
  it("serves every page at the first page's resourceVersion, and a compacted token with 410 and a token to go on", async () => {
    for (const n of ['p1', 'p2', 'p3', 'p4']) configMap(n);
    const selector = { namespace: 'listed', fieldSelector: 'metadata.name!=x' };
    const first = await core.listNamespacedConfigMap({
      namespace: 'listed',
      limit: 2,
    });
    const all = (await core.listNamespacedConfigMap({ namespace: 'listed' }))
      .items.length;
    expect(first.metadata?.remainingItemCount).toBe(all - 2);
    const token = first.metadata!._continue!;
    expect(
      JSON.parse(Buffer.from(token, 'base64url').toString('utf8')),
    ).toEqual({
      v: 'meta.k8s.io/v1',
      rv: Number(first.metadata?.resourceVersion),
      start: `${first.items[1].metadata!.name}\u0000`,
    });

    // Written after the first page: not in the pages that follow.
    configMap('a-late');
    configMap('z-late');
    const rest: string[] = [];
    let next: string | undefined = token;
    while (next) {
      const page: k8s.V1ConfigMapList = await core.listNamespacedConfigMap({
        namespace: 'listed',
        limit: 2,
        _continue: next,
      });
      expect(page.metadata?.resourceVersion).toBe(
        first.metadata?.resourceVersion,
      );
      rest.push(...(names(page) as string[]));
      next = page.metadata?._continue;
    }
    expect(rest).not.toContain('z-late');
    expect([...names(first), ...rest]).toHaveLength(all);
    // Selectors count matches, not keys: no remainingItemCount.
    const filtered = await core.listNamespacedConfigMap({
      ...selector,
      limit: 1,
    });
    expect(filtered.metadata?.remainingItemCount).toBeUndefined();

    kube.store.compact();
    const res = await callKube(
      kube,
      `/api/v1/namespaces/listed/configmaps?limit=2&continue=${token}`,
    );
    expect(res.status).toBe(410);
    const body = await res.json();
    expect(body).toMatchObject({
      reason: 'Expired',
      message: expect.stringMatching(
        /^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token in this response/,
      ),
    });
    const resumed = await core.listNamespacedConfigMap({
      namespace: 'listed',
      limit: 100,
      _continue: body.metadata.continue,
    });
    expect(names(resumed)).toContain('z-late');

    const bad = await callKube(
      kube,
      '/api/v1/namespaces/listed/configmaps?limit=2&continue=not%20a%20token',
    );
    expect([bad.status, (await bad.json()).message]).toEqual([
      400,
      'invalid continue token: continue key is not valid: illegal base64 data at input byte 3',
    ]);
  });

  it('ignores the limit of a list at resourceVersion 0 (served whole from the watch cache)', async () => {
    const list = await core.listNamespacedConfigMap({
      namespace: 'listed',
      limit: 1,
      resourceVersion: '0',
    });
    expect(list.items.length).toBeGreaterThan(1);
    expect(list.metadata?._continue).toBeUndefined();
  });
});
