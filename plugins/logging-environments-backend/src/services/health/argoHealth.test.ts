import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import yaml from 'yaml';
import { clusterLogForwarderHealth, lokiStackHealth } from './argoHealth';

// Tests run from source: the repository's manifests are five levels up.
// eslint-disable-next-line no-restricted-syntax
const HEALTH = resolve(__dirname, '../../../../../manifests/argocd/health');

/** The fixtures Argo CD's own test layout gives each Lua health check. */
function fixtures(dir: string) {
  const base = join(HEALTH, dir);
  const spec = yaml.parse(readFileSync(join(base, 'health_test.yaml'), 'utf8'));
  return (spec.tests as any[]).map(t => ({
    name: t.inputPath as string,
    input: yaml.parse(readFileSync(join(base, t.inputPath), 'utf8')),
    expected: t.healthStatus as { status: string; message: string },
  }));
}

describe('health as the Argo CD Lua checks compute it', () => {
  it.each(fixtures('loki.grafana.com/LokiStack'))(
    'LokiStack $name',
    ({ input, expected }) => {
      expect(lokiStackHealth(input)).toEqual(expected);
    },
  );

  it.each(fixtures('observability.openshift.io/ClusterLogForwarder'))(
    'ClusterLogForwarder $name',
    ({ input, expected }) => {
      expect(clusterLogForwarderHealth(input)).toEqual(expected);
    },
  );

  it('follows the Lua rules beyond the fixtures', () => {
    expect(
      lokiStackHealth({
        status: {
          conditions: [
            { type: 'Failed', status: 'True', reason: 'Boom', message: 'm' },
            { type: 'Ready', status: 'True' },
          ],
        },
      }),
    ).toEqual({ status: 'Degraded', message: 'Boom: m' });
    expect(
      lokiStackHealth({
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      }),
    ).toEqual({ status: 'Healthy', message: 'All components ready' });
    // Only a Warning is True: no main condition, so not Healthy.
    expect(
      lokiStackHealth({
        status: {
          conditions: [
            { type: 'Warning', status: 'True', reason: 'W' },
            { type: 'Ready', status: 'False', reason: 'ReadyComponents' },
          ],
        },
      }),
    ).toEqual({
      status: 'Progressing',
      message: 'Waiting for the Loki Operator to report status',
    });

    expect(
      clusterLogForwarderHealth({
        status: {
          conditions: [{ type: 'Ready', status: 'False', message: 'not yet' }],
        },
      }),
    ).toEqual({ status: 'Degraded', message: 'Ready: not yet' });
    // The item's name comes from the spec, matched whole ("a" is not "a-b"),
    // and from the pipelines' references (the reserved inputs).
    expect(
      clusterLogForwarderHealth({
        spec: {
          outputs: [{ name: 'a' }, { name: 'a-b' }],
          pipelines: [{ name: 'p', inputRefs: ['audit'], outputRefs: ['a'] }],
        },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          inputConditions: [
            {
              type: 'observability.openshift.io/ValidInput-audit',
              status: 'False',
              reason: 'MissingSpec',
              message: 'audit has nil audit spec',
            },
          ],
          outputConditions: [
            {
              type: 'observability.openshift.io/ValidOutput-a',
              status: 'True',
            },
            {
              type: 'observability.openshift.io/ValidOutput-a-b',
              status: 'False',
              reason: 'ValidationFailure',
              message: 'not referenced by any pipeline',
            },
          ],
        },
      }),
    ).toEqual({
      status: 'Degraded',
      message:
        'input audit: MissingSpec: audit has nil audit spec; output a-b: ValidationFailure: not referenced by any pipeline',
    });
    // A failing item the spec does not name (stale) keeps its condition type.
    expect(
      clusterLogForwarderHealth({
        status: {
          conditions: [],
          pipelineConditions: [
            {
              type: 'observability.openshift.io/ValidPipeline-x',
              status: 'False',
              message: 'bad',
            },
          ],
        },
      }),
    ).toEqual({
      status: 'Degraded',
      message:
        'observability.openshift.io/ValidPipeline-x: observability.openshift.io/ValidPipeline-x: bad',
    });
    // Per-item conditions live in their own lists, not in status.conditions.
    expect(
      clusterLogForwarderHealth({
        status: {
          conditions: [
            {
              type: 'observability.openshift.io/ValidOutput-x',
              status: 'False',
            },
          ],
        },
      }),
    ).toEqual({
      status: 'Progressing',
      message: 'Waiting for the collector to become ready',
    });
    expect(clusterLogForwarderHealth({ status: {} })).toEqual({
      status: 'Progressing',
      message: 'Waiting for the Cluster Logging Operator to report status',
    });
    expect(
      clusterLogForwarderHealth({
        status: {
          conditions: [
            { type: 'Ready', status: 'True' },
            {
              type: 'observability.openshift.io/Valid',
              status: 'False',
              reason: 'ValidationFailure',
            },
          ],
        },
      }),
    ).toEqual({ status: 'Degraded', message: 'ValidationFailure' });
  });
});
