import { AwsInventory } from '../aws';
import { FaultInjector } from '../faults';
import { KubeObject } from '../kube/types';
import { PROFILES, SandboxProfile } from '../profile';
import { ControlServer, SandboxHandles, startControlServer } from './server';

const TOKEN = 'control-test-token';

const inventory: AwsInventory = {
  buckets: [],
  iam: { users: [], policies: [] },
  secrets: [],
};

let server: ControlServer;
let faults: FaultInjector;
let objects: KubeObject[];
let resets: number;
let profile: SandboxProfile;

beforeEach(async () => {
  faults = new FaultInjector();
  objects = [];
  resets = 0;
  profile = { ...PROFILES.fast };
  const handles: SandboxHandles = {
    faults,
    store: { dump: () => objects, currentRevision: () => '42' },
    awsInventory: async () => inventory,
    reset: async () => {
      resets++;
    },
    profile: () => profile,
    setProfile: name => {
      profile = { ...PROFILES[name] };
    },
  };
  server = await startControlServer({ sandbox: handles, token: TOKEN });
});

afterEach(() => server.close());

async function call(
  method: string,
  path: string,
  body?: unknown,
  token = TOKEN,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('control API', () => {
  it('listens on loopback and requires the bearer token', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    const wrong = await call('GET', '/faults', undefined, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('missing or wrong bearer token');
    expect(JSON.stringify(wrong.body)).not.toContain(TOKEN);
    const none = await fetch(`${server.url}/faults`);
    expect(none.status).toBe(401);
  });

  it('adds, lists, deletes fault rules that the injector then applies', async () => {
    const created = await call('POST', '/faults', {
      target: 'aws',
      match: 's3:PutBucketPolicy',
      action: { type: 'throttle' },
      times: 2,
    });
    expect(created.status).toBe(201);
    expect(typeof created.body.id).toBe('string');
    const named = await call('POST', '/faults', {
      id: 'slow-kube',
      target: 'kube',
      match: 'create:secrets',
      action: { type: 'latency', ms: 100 },
      fraction: 0.5,
    });
    expect(named.body).toEqual({ id: 'slow-kube' });

    const listed = await call('GET', '/faults');
    expect(listed.body.rules).toEqual([
      {
        id: created.body.id,
        target: 'aws',
        match: 's3:PutBucketPolicy',
        action: { type: 'throttle' },
        times: 2,
      },
      {
        id: 'slow-kube',
        target: 'kube',
        match: 'create:secrets',
        action: { type: 'latency', ms: 100 },
        fraction: 0.5,
      },
    ]);

    expect(faults.decide('aws', 's3:PutBucketPolicy')).toEqual({
      type: 'throttle',
    });
    expect((await call('GET', '/faults')).body.rules[0].times).toBe(1);

    const duplicate = await call('POST', '/faults', {
      id: 'slow-kube',
      target: 'kube',
      match: '*',
      action: { type: 'drop' },
    });
    expect(duplicate.status).toBe(409);

    expect((await call('DELETE', '/faults/slow-kube')).status).toBe(204);
    expect((await call('DELETE', '/faults/slow-kube')).status).toBe(404);
    expect((await call('GET', '/faults')).body.rules).toHaveLength(1);
    expect((await call('DELETE', '/faults')).status).toBe(204);
    expect((await call('GET', '/faults')).body.rules).toEqual([]);
    // Removing rules keeps what happened.
    expect((await call('GET', '/faults/history')).body.hits).toEqual([
      expect.objectContaining({
        ruleId: created.body.id,
        target: 'aws',
        operation: 's3:PutBucketPolicy',
        action: 'throttle',
      }),
    ]);
  });

  it.each([
    [[], 'body: must be a JSON object'],
    [
      { match: '*', action: { type: 'drop' } },
      'target: must be "aws" or "kube"',
    ],
    [
      { target: 'aws', action: { type: 'drop' } },
      'match: must be a non-empty string',
    ],
    [{ target: 'aws', match: '*' }, 'action: must be an object'],
    [
      { target: 'aws', match: '*', action: { type: 'boom' } },
      'action.type: must be one of latency, throttle, error, drop',
    ],
    [
      { target: 'aws', match: '*', action: { type: 'latency' } },
      'action.ms: must be a number',
    ],
    [
      { target: 'aws', match: '*', action: { type: 'latency', ms: -1 } },
      'action.ms: must be a number',
    ],
    [
      { target: 'aws', match: '*', action: { type: 'error', status: 404 } },
      'action.status: must be an integer from 500 to 599',
    ],
    [
      { target: 'aws', match: '*', action: { type: 'throttle', ms: 5 } },
      'action.ms: unknown field for a "throttle" action',
    ],
    [
      { target: 'aws', match: '*', action: { type: 'drop' }, times: 0 },
      'times: must be a positive integer',
    ],
    [
      { target: 'aws', match: '*', action: { type: 'drop' }, times: 1.5 },
      'times: must be a positive integer',
    ],
    [
      { target: 'aws', match: '*', action: { type: 'drop' }, fraction: 2 },
      'fraction: must be a number greater than 0',
    ],
    [
      { target: 'aws', match: '*', action: { type: 'drop' }, time: 2 },
      'time: unknown field',
    ],
  ])('rejects %j with a 400 naming the field', async (rule, message) => {
    const res = await call('POST', '/faults', rule);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(message);
    expect(faults.list()).toEqual([]);
  });

  it('rejects a body that is not JSON', async () => {
    const res = await call('POST', '/faults', '{not json');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('body: not valid JSON');
  });

  it('counts calls per target and operation', async () => {
    faults.decide('aws', 's3:CreateBucket');
    faults.decide('aws', 's3:CreateBucket');
    faults.decide('aws', 'iam:CreateUser');
    faults.decide('kube', 'create:secrets');
    const res = await call('GET', '/calls');
    expect(res.body).toEqual({
      aws: { 's3:CreateBucket': 2, 'iam:CreateUser': 1 },
      kube: { 'create:secrets': 1 },
    });
  });

  it('resets the sandbox and clears faults unless asked to keep them', async () => {
    faults.add({ target: 'aws', match: '*', action: { type: 'drop' } });
    faults.decide('aws', 's3:ListBuckets');
    const kept = await call('POST', '/reset?keepFaults=true');
    expect(kept).toEqual({
      status: 200,
      body: { reset: true, faultsCleared: false },
    });
    expect(faults.list()).toHaveLength(1);
    const cleared = await call('POST', '/reset');
    expect(cleared.body.faultsCleared).toBe(true);
    expect(resets).toBe(2);
    expect(faults.list()).toEqual([]);
    expect(faults.history()).toEqual([]);
    expect((await call('GET', '/calls')).body).toEqual({ aws: {}, kube: {} });
  });

  it('snapshots Kubernetes objects (Secret values redacted) and AWS', async () => {
    objects = [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'loki-s3', namespace: 'openshift-logging' },
        data: { access_key_secret: 'c2VjcmV0LXZhbHVl' },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', namespace: 'default' },
        data: { a: 'b' },
      },
    ];
    const res = await call('GET', '/snapshot');
    expect(res.status).toBe(200);
    expect(res.body.revision).toBe('42');
    expect(res.body.aws).toEqual(inventory);
    expect(res.body.kube.objects[0].data).toEqual({
      access_key_secret: '<redacted>',
    });
    expect(res.body.kube.objects[1].data).toEqual({ a: 'b' });
    expect(JSON.stringify(res.body)).not.toContain('c2VjcmV0LXZhbHVl');
  });

  it('switches the profile', async () => {
    expect((await call('GET', '/profile')).body.name).toBe('fast');
    const res = await call('PUT', '/profile', { name: 'demo' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(PROFILES.demo);
    expect(profile.name).toBe('demo');
    const bad = await call('PUT', '/profile', { name: 'slow' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('name: must be one of fast, demo');
  });

  it('answers 404 and 405 for unknown routes and methods', async () => {
    expect((await call('GET', '/nope')).status).toBe(404);
    const res = await call('PATCH', '/faults');
    expect(res.status).toBe(405);
  });
});
