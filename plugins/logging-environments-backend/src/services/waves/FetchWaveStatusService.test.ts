import { mockServices } from '@backstage/backend-test-utils';
import { testEnvironment } from '../__testUtils__/environment';
import { FetchWaveStatusService } from './FetchWaveStatusService';
import { WatchWaveStatusService } from './WatchWaveStatusService';
import { application } from './__testUtils__/applications';
import { FakeKubeApi } from './__testUtils__/fakeKubeApi';
import { lokiStack } from './__testUtils__/lokiStack';

const ENV = testEnvironment({ name: 'acme-prod', tier: 'production' });

describe('FetchWaveStatusService', () => {
  let api: FakeKubeApi;

  beforeEach(async () => {
    api = await FakeKubeApi.start();
    api.put(
      'applications',
      application('infrastructure', { phase: 'Running' }),
    );
    api.put('applications', application('forwarder'));
    api.put('lokistacks', lokiStack());
  });

  afterEach(() => api.close());

  it('reads the Applications on every call: what the watch cache serves, at two requests a view', async () => {
    const fetching = new FetchWaveStatusService({ clusters: api.registry() });
    const watching = new WatchWaveStatusService({
      clusters: api.registry(),
      logger: mockServices.logger.mock(),
    });
    await watching.start();
    try {
      expect(await fetching.applications(ENV)).toEqual(
        watching.applications(ENV),
      );
    } finally {
      await watching.stop();
    }

    const before = api.count('get');
    for (let i = 0; i < 5; i++) await fetching.applications(ENV);
    expect(api.count('get')).toBe(before + 10);
    expect(api.count('get', 'applications')).toBe(before + 10);

    expect(
      await fetching.object(
        'sandbox',
        'loki.grafana.com/v1',
        'LokiStack',
        'openshift-logging',
        'logging-loki',
      ),
    ).toMatchObject({ kind: 'LokiStack', spec: { size: '1x.demo' } });
    api.remove(
      'applications',
      'openshift-gitops',
      'acme-prod-logging-forwarder',
    );
    expect((await fetching.applications(ENV))[1].health).toBe('Missing');
  });
});
