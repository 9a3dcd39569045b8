import { evaluateJsonPath } from './jsonpath';
import { TableRenderer, humanDuration } from './table';
import { BUILTIN_TYPES } from './builtins';
import { loadCrdTypes } from './crds';

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [3 * 86400_000 + 4 * 3600_000, '3d4h'],
    [40 * 86400_000, '40d'],
    [-5000, '<invalid>'],
  ])('%d ms is %s, as kubectl prints AGE', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('evaluateJsonPath', () => {
  const o = {
    status: {
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Pending' },
        { type: 'Degraded', status: 'True' },
      ],
      'a.b': 1,
    },
    spec: { list: [1, 2, 3] },
  };

  it('supports the printer-column forms CRDs use', () => {
    expect(
      evaluateJsonPath('.status.conditions[?(@.type=="Ready")].reason', o),
    ).toEqual(['Pending']);
    expect(
      evaluateJsonPath(".status.conditions[?(@.type!='Ready')].type", o),
    ).toEqual(['Degraded']);
    expect(evaluateJsonPath('.spec.list[1]', o)).toEqual([2]);
    expect(evaluateJsonPath('.spec.list[-1]', o)).toEqual([3]);
    expect(evaluateJsonPath('.spec.list[*]', o)).toEqual([1, 2, 3]);
    expect(evaluateJsonPath("{.status['a.b']}", o)).toEqual([1]);
    expect(evaluateJsonPath('.status.missing.deeper', o)).toEqual([]);
  });
});

describe('TableRenderer', () => {
  const types = [...BUILTIN_TYPES, ...loadCrdTypes()];
  const renderer = new TableRenderer();
  const now = Date.parse('2025-01-01T01:00:00Z');
  const created = '2025-01-01T00:00:00Z';

  it('renders date printer columns as ages and missing values as null', () => {
    const es = types.find(t => t.kind === 'ExternalSecret')!;
    const table = renderer.render(
      es,
      [
        {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: { name: 'x', namespace: 'n', creationTimestamp: created },
          spec: {
            secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws' },
            refreshInterval: '1h',
          },
          status: {
            refreshTime: '2025-01-01T00:59:00Z',
            conditions: [
              { type: 'Ready', status: 'True', reason: 'SecretSynced' },
            ],
          },
        },
      ],
      { now },
    );
    expect(table.columnDefinitions!.map(c => c.name)).toEqual([
      'Name',
      'StoreType',
      'Store',
      'Refresh Interval',
      'Status',
      'Ready',
      'Last Sync',
    ]);
    expect(table.rows[0].cells).toEqual([
      'x',
      'ClusterSecretStore',
      'aws',
      '1h',
      'SecretSynced',
      'True',
      '60s',
    ]);
  });

  it('gives CRDs without printer columns Name and Age, and built-ins their own columns', () => {
    const loki = types.find(t => t.kind === 'LokiStack')!;
    const meta = { name: 'l', namespace: 'n', creationTimestamp: created };
    const t1 = renderer.render(
      loki,
      [
        {
          apiVersion: 'loki.grafana.com/v1',
          kind: 'LokiStack',
          metadata: meta,
        },
      ],
      { now },
    );
    expect(t1.rows[0].cells).toEqual(['l', '60m']);
    const job = types.find(t => t.kind === 'Job')!;
    const t2 = renderer.render(
      job,
      [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: meta,
          spec: { completions: 1 },
          status: {
            succeeded: 1,
            startTime: created,
            completionTime: '2025-01-01T00:00:30Z',
            conditions: [{ type: 'Complete', status: 'True' }],
          },
        },
      ],
      { now },
    );
    expect(t2.columnDefinitions!.map(c => c.name)).toEqual([
      'Name',
      'Status',
      'Completions',
      'Duration',
      'Age',
    ]);
    expect(t2.rows[0].cells).toEqual(['l', 'Complete', '1/1', '30s', '60m']);
  });
});
