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
    expect(
      clusterLogForwarderHealth({
        status: {
          conditions: [{ type: 'Ready', status: 'False', message: 'not yet' }],
        },
      }),
    ).toEqual({ status: 'Degraded', message: 'NotReady: not yet' });
    expect(
      clusterLogForwarderHealth({
        status: {
          conditions: [
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
      message: 'observability.openshift.io/ValidPipeline-x: bad',
    });
    expect(clusterLogForwarderHealth({ status: { conditions: [] } })).toEqual({
      status: 'Progressing',
      message: 'Waiting for the collector to become ready',
    });
  });
});
