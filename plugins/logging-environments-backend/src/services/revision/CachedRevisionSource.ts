import { Environment, RevisionSource, WaveStatusService } from '../types';
import {
  ArgoApplicationRevisionFields,
  readApplicationRevision,
} from './ArgoRevisionSource';
import { SingleFlight } from '../util/singleFlight';
import { CurrentRevision, currentRevisionOf } from './binding';

/**
 * The revision an environment's Applications would sync and what an
 * approval binds to, read from the wave status watch cache, so a page view
 * asks the cluster nothing. Falls back to `fallback` (two GETs) while the
 * cache does not hold both Applications (starting, or not registered yet);
 * concurrent fallbacks for one environment share one call.
 *
 * @public
 */
export class CachedRevisionSource implements RevisionSource {
  readonly #fallbacks = new SingleFlight<CurrentRevision>();

  constructor(
    private readonly options: {
      waves: Pick<WaveStatusService, 'object'>;
      fallback: RevisionSource;
    },
  ) {}

  async current(environment: Environment): Promise<CurrentRevision> {
    const read = (name: string) =>
      this.options.waves.object(
        environment.cluster,
        'argoproj.io/v1alpha1',
        'Application',
        environment.argocdNamespace,
        name,
      ) as (ArgoApplicationRevisionFields & Record<string, any>) | undefined;
    const infrastructure = read(environment.applications.infrastructure);
    const forwarder = read(environment.applications.forwarder);
    if (!infrastructure || !forwarder) {
      return this.#fallbacks.run(environment.entityRef, () =>
        this.options.fallback.current(environment),
      );
    }
    return currentRevisionOf(
      environment,
      { infrastructure, forwarder },
      readApplicationRevision(infrastructure).revision,
    );
  }
}
