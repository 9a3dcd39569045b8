import { Environment, RevisionSource, WaveStatusService } from '../types';
import {
  ArgoApplicationRevisionFields,
  readApplicationRevision,
} from './ArgoRevisionSource';
import { SingleFlight } from '../util/singleFlight';

/**
 * The revision an environment's Applications would sync, read from the
 * wave status watch cache, so a page view asks the cluster nothing. Falls
 * back to `fallback` (one GET) while the cache does not hold the
 * infrastructure Application (starting, or not registered yet); concurrent
 * fallbacks for one environment share one call.
 *
 * @public
 */
export class CachedRevisionSource implements RevisionSource {
  readonly #fallbacks = new SingleFlight<string | undefined>();

  constructor(
    private readonly options: {
      waves: Pick<WaveStatusService, 'object'>;
      fallback: RevisionSource;
    },
  ) {}

  async currentRevision(environment: Environment): Promise<string | undefined> {
    const app = this.options.waves.object(
      environment.cluster,
      'argoproj.io/v1alpha1',
      'Application',
      environment.argocdNamespace,
      environment.applications.infrastructure,
    ) as ArgoApplicationRevisionFields | undefined;
    if (!app) {
      return this.#fallbacks.run(environment.entityRef, () =>
        this.options.fallback.currentRevision(environment),
      );
    }
    return readApplicationRevision(app).revision;
  }
}
