/** The watched environment and a fake Kubernetes API holding its Applications, for the WatchWaveStatusService tests. */
import { mockServices } from '@backstage/backend-test-utils';
import { testEnvironment } from '../../__testUtils__/environment';
import {
  WatchWaveStatusService,
  WatchWaveStatusServiceOptions,
} from '../WatchWaveStatusService';
import { application } from './applications';
import { FakeKubeApi } from './fakeKubeApi';
import { lokiStack } from './lokiStack';

/** The environment whose Applications the fake API holds. */
export const ENV = testEnvironment({ name: 'acme-prod', tier: 'production' });
/** Its entity ref, as the service reports a change. */
export const REF = 'resource:default/acme-prod';

/** What {@link useWatchWaveStatusService} gives a test. */
export interface WatchWaveStatusHarness {
  /** The fake API of the current test. */
  readonly api: FakeKubeApi;
  /** Starts a service on the fake API, stopped after the test. */
  start(
    options?: Partial<WatchWaveStatusServiceOptions>,
  ): Promise<WatchWaveStatusService>;
}

/**
 * Before each test, starts a fake API holding the environment's Applications
 * (synced), its LokiStack and forwarder, and an Application of someone
 * else's; after it, stops every service started and the API.
 */
export function useWatchWaveStatusService(): WatchWaveStatusHarness {
  let api: FakeKubeApi;
  const services: WatchWaveStatusService[] = [];

  beforeEach(async () => {
    api = await FakeKubeApi.start();
    api.put(
      'applications',
      application('infrastructure', { phase: 'Succeeded' }),
    );
    api.put('applications', application('forwarder', { phase: 'Succeeded' }));
    // Not one of the plugin's: the label selector leaves it out.
    api.put('applications', {
      metadata: { name: 'unrelated', namespace: 'openshift-gitops' },
    });
    api.put('lokistacks', lokiStack());
    api.put('clusterlogforwarders', {
      metadata: { name: 'collector', namespace: 'openshift-logging' },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  afterEach(async () => {
    await Promise.all(services.splice(0).map(s => s.stop()));
    await api.close();
  });

  async function start(
    options: Partial<WatchWaveStatusServiceOptions> = {},
  ): Promise<WatchWaveStatusService> {
    const service = new WatchWaveStatusService({
      clusters: api.registry(),
      logger: mockServices.logger.mock(),
      coalesceMs: 0,
      retry: { initialDelayMs: 10, maxDelayMs: 40 },
      ...options,
    });
    services.push(service);
    await service.start();
    return service;
  }

  return {
    get api() {
      return api;
    },
    start,
  };
}
