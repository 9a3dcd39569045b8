import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { ClusterClient } from '@internal/plugin-logging-environments-node';
import { createTestStore } from '../../database/__testUtils__/createTestStore';
import { testEnvironment } from '../__testUtils__/environment';
import {
  DEFAULT_PROBES,
  DefaultChecklistService,
  overallStatus,
} from './DefaultChecklistService';
import { readChecklistOptions } from './readChecklistOptions';
import { ChecklistProbe, ProbeResult } from './types';

const probe = (
  id: string,
  run: ChecklistProbe['run'],
  target: ChecklistProbe['target'] = 'aws',
): ChecklistProbe => ({ id, title: `Probe ${id}`, target, run });

const id = (s: string) => `${s}-evidence`;
const result =
  (status: ProbeResult['status'], message: string = status) =>
  async () =>
    ({ status, message, evidence: { seen: id(status) } } as ProbeResult);

async function service(
  probes: ChecklistProbe[],
  extra: Partial<ConstructorParameters<typeof DefaultChecklistService>[0]> = {},
) {
  const { store, knex } = await createTestStore();
  const logger = mockServices.logger.mock();
  const checklist = new DefaultChecklistService({
    store,
    logger,
    aws: { clients: async () => ({} as any) },
    clusters: () => ({ server: 'https://k8s.example.com' } as ClusterClient),
    probes,
    ...extra,
  });
  return { checklist, store, knex, logger };
}

describe('overallStatus', () => {
  it.each([
    [['pass', 'pass'], 'pass'],
    [['pass', 'warn'], 'warn'],
    [['warn', 'unknown', 'pass'], 'unknown'],
    [['unknown', 'fail', 'warn'], 'fail'],
    [[], 'pass'],
  ] as const)('%j is %s', (statuses, expected) => {
    expect(overallStatus([...statuses])).toBe(expected);
  });
});

describe('DefaultChecklistService', () => {
  const environment = testEnvironment();

  it('has the ten probes of phase 2', () => {
    expect(DEFAULT_PROBES.map(p => p.id)).toEqual([
      'bucket',
      'iam-policy',
      'secret',
      'cluster-credentials',
      'secret-store',
      'secret-scope',
      'operators',
      'argocd-health-checks',
      'applications',
      'revision',
    ]);
  });

  it('runs the probes in parallel', async () => {
    // Each probe waits until all have started: run one after the other,
    // the first would time out.
    const started = new Set<string>();
    let release: () => void;
    const all = new Promise<void>(r => {
      release = r;
    });
    const barrier = (name: string) =>
      probe(name, async () => {
        started.add(name);
        if (started.size === 3) release();
        await all;
        return { status: 'pass', message: `${name} ok` };
      });
    const { checklist } = await service(
      [barrier('a'), barrier('b'), barrier('c')],
      {
        timeouts: { defaultMs: 2_000 },
      },
    );
    const run = await checklist.run(environment, 'user:default/alice');
    expect(run.items.map(i => [i.id, i.status])).toEqual([
      ['a', 'pass'],
      ['b', 'pass'],
      ['c', 'pass'],
    ]);
  });

  it('turns a timeout or an error into unknown with the cause, never a failed request', async () => {
    const never = probe('slow', () => new Promise<ProbeResult>(() => {}));
    const forbidden = probe('forbidden', async () => {
      throw Object.assign(
        new Error('User is not authorized to perform: iam:GetUser'),
        {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        },
      );
    });
    const awsDown = probe('aws-down', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
        code: 'ECONNREFUSED',
      });
    });
    const clusterDown = probe(
      'cluster-down',
      async () => {
        throw Object.assign(
          new Error(
            'request to https://k8s.example.com failed, reason: connect ECONNREFUSED',
          ),
          { code: 'ECONNREFUSED' },
        );
      },
      'cluster',
    );
    const unconfigured = probe(
      'unconfigured',
      async () => {
        throw new NotFoundError(
          'Cluster "sandbox" is not configured (configured: none)',
        );
      },
      'cluster',
    );
    const { checklist } = await service(
      [
        never,
        forbidden,
        awsDown,
        clusterDown,
        unconfigured,
        probe('ok', result('pass')),
      ],
      { timeouts: { defaultMs: 5_000, perProbe: { slow: 50 } } },
    );
    const run = await checklist.run(environment, 'user:default/alice');
    const byId = Object.fromEntries(run.items.map(i => [i.id, i]));
    expect(byId.slow).toMatchObject({
      status: 'unknown',
      message: 'Timed out after 50 ms waiting for AWS (us-east-1)',
      evidence: {},
    });
    expect(byId.forbidden).toMatchObject({
      status: 'unknown',
      message:
        'AWS answered AccessDenied (HTTP 403): User is not authorized to perform: iam:GetUser',
    });
    expect(byId['aws-down'].message).toBe(
      'AWS (us-east-1) is unreachable: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(byId['cluster-down'].message).toBe(
      'cluster "sandbox" (https://k8s.example.com) is unreachable: request to https://k8s.example.com failed, reason: connect ECONNREFUSED',
    );
    expect(byId.unconfigured.message).toBe(
      'Cluster "sandbox" is not configured (configured: none)',
    );
    expect(byId.ok.status).toBe('pass');
    expect(run.status).toBe('unknown');
  });

  it('stores the run and records a one-line history entry', async () => {
    const { checklist, store, knex } = await service([
      probe('a', result('pass')),
      probe('b', result('fail', 'b is broken')),
      probe('c', result('warn')),
      probe('revision', async () => ({
        status: 'pass',
        message: 'will sync main',
        evidence: { revision: 'abc123' },
      })),
    ]);
    const run = await checklist.run(environment, 'user:default/alice');
    expect(run).toMatchObject({
      status: 'fail',
      revision: 'abc123',
      items: [
        {
          id: 'a',
          title: 'Probe a',
          status: 'pass',
          evidence: { seen: 'pass-evidence' },
        },
        { id: 'b', status: 'fail', message: 'b is broken' },
        { id: 'c', status: 'warn' },
        { id: 'revision', status: 'pass' },
      ],
    });
    expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
    for (const item of run.items) {
      expect(Date.parse(item.checkedAt)).not.toBeNaN();
    }
    expect(await store.latestChecklistRun(environment.entityRef)).toEqual(run);
    expect(await knex('checklist_runs').pluck('triggered_by')).toEqual([
      'user:default/alice',
    ]);
    const [event] = await store.listHistory(environment.entityRef);
    expect(event).toMatchObject({
      type: 'checklist',
      actor: 'user:default/alice',
      message:
        'Checklist fail: 2 of 4 passed; fail: b; warn: c (revision abc123)',
      details: {
        runId: run.id,
        status: 'fail',
        pass: 2,
        fail: 1,
        warn: 1,
        unknown: 0,
        revision: 'abc123',
      },
    });
    expect(event.message).not.toContain('\n');
  });

  it('shares one run between concurrent requests, then signals browsers and tells the approvers', async () => {
    let release!: () => void;
    const gate = new Promise<void>(resolve => {
      release = resolve;
    });
    const changed: string[] = [];
    const notified: string[] = [];
    const { checklist, knex } = await service(
      [
        probe('a', async () => {
          await gate;
          return { status: 'pass', message: 'ok', evidence: {} };
        }),
      ],
      {
        events: { changed: (ref, change) => changed.push(`${ref}:${change}`) },
        approvers: {
          notifyIfApprovalNeeded: async e => notified.push(e.entityRef),
        },
      },
    );
    const first = checklist.run(environment, 'user:default/alice');
    const second = checklist.run(environment, 'user:default/bob');
    // Nothing is reported before the run is stored.
    expect(changed).toEqual([]);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(b.id).toBe(a.id);
    expect(await knex('checklist_runs').count({ n: '*' })).toEqual([{ n: 1 }]);
    expect(changed).toEqual([`${environment.entityRef}:checklist`]);
    expect(notified).toEqual([environment.entityRef]);
  });

  it('shares one run between concurrent requests on two replicas', async () => {
    let release!: () => void;
    const gate = new Promise<void>(resolve => {
      release = resolve;
    });
    let runs = 0;
    const changed: string[] = [];
    const probes = [
      probe('a', async () => {
        runs++;
        await gate;
        return { status: 'pass', message: 'ok', evidence: {} };
      }),
    ];
    const events = {
      changed: (ref: string, change: string) =>
        changed.push(`${ref}:${change}`),
    };
    const { checklist, store, knex } = await service(probes, { events });
    // Another replica: its own service on the same database.
    const other = new DefaultChecklistService({
      store,
      logger: mockServices.logger.mock(),
      aws: { clients: async () => ({} as any) },
      clusters: () => ({ server: 'https://k8s.example.com' } as ClusterClient),
      probes,
      events,
    });

    const first = checklist.run(environment, 'user:default/alice');
    await new Promise(r => setTimeout(r, 20));
    const second = other.run(environment, 'user:default/bob');
    await new Promise(r => setTimeout(r, 120));
    release();
    const [a, b] = await Promise.all([first, second]);

    expect(runs).toBe(1);
    expect(b).toEqual(a);
    expect(await knex('checklist_runs').count({ n: '*' })).toEqual([{ n: 1 }]);
    expect(changed).toEqual([`${environment.entityRef}:checklist`]);
  });

  it('runs anew when the replica it waited for died without storing a run', async () => {
    const { checklist, store, knex } = await service([
      probe('a', result('pass')),
    ]);
    const old = await checklist.run(environment, 'user:default/alice');
    // What a replica killed mid-run leaves: a lease nobody renews.
    await knex('locks').insert({
      key: `checklist:${environment.entityRef}`,
      holder: '00000000-0000-4000-8000-000000000000',
      expires_at: Date.now() + 200,
    });

    const run = await checklist.run(environment, 'user:default/bob');

    expect(run.id).not.toBe(old.id);
    expect((await store.latestChecklistRun(environment.entityRef))?.id).toBe(
      run.id,
    );
  });

  it('scrubs secret values the probes saw out of messages and evidence', async () => {
    const planted = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const { checklist, knex, logger } = await service([
      probe('leaky', async ({ secret }) => {
        secret(planted);
        secret('short'); // too short to be a credential: ignored
        return {
          status: 'fail',
          message: `upstream said: ${planted} and AKIAIOSFODNN7EXAMPLE`,
          evidence: {
            value: `x${planted}x`,
            key: 'ASIAIOSFODNN7EXAMPLE',
            n: 3,
          },
        };
      }),
    ]);
    const run = await checklist.run(environment, 'user:default/alice');
    expect(run.items[0].message).toBe(
      'upstream said: [redacted] and [redacted]',
    );
    expect(run.items[0].evidence).toEqual({
      value: 'x[redacted]x',
      key: '[redacted]',
      n: 3,
    });
    const everything = JSON.stringify([
      run,
      await knex('history'),
      await knex('checklist_runs'),
      (logger.info as jest.Mock).mock.calls,
      (logger.debug as jest.Mock).mock.calls,
    ]);
    expect(everything).not.toContain(planted);
    expect(everything).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('runs with the timeouts read from config', async () => {
    const { store } = await createTestStore();
    const options = readChecklistOptions(
      new ConfigReader({
        loggingEnvironments: {
          checklist: { probeTimeoutSeconds: 0.05, probeTimeouts: { fast: 1 } },
        },
      }),
    );
    const checklist = new DefaultChecklistService({
      store,
      logger: mockServices.logger.mock(),
      aws: { clients: async () => ({} as any) },
      clusters: () => ({ server: 'https://k8s.example.com' } as ClusterClient),
      gitops: options.gitops,
      timeouts: options.timeouts,
      probes: [
        probe('slow', () => new Promise<ProbeResult>(() => {}), 'cluster'),
        probe(
          'fast',
          () =>
            new Promise<ProbeResult>(r =>
              setTimeout(() => r({ status: 'pass', message: 'ok' }), 100),
            ),
        ),
      ],
    });
    const run = await checklist.run(environment, 'user:default/alice');
    expect(run.items.map(i => [i.id, i.status, i.message])).toEqual([
      [
        'slow',
        'unknown',
        'Timed out after 50 ms waiting for cluster "sandbox"',
      ],
      ['fast', 'pass', 'ok'],
    ]);
  });
});
