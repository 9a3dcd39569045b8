import { useApi } from '@backstage/core-plugin-api';
import { EnvironmentDetails } from '@internal/plugin-logging-environments-common';
import { useCallback } from 'react';
import { loggingEnvironmentsApiRef } from '../api';
import { LoaderState, useLoader } from './useLoader';
import { useLiveUpdates } from './useLiveUpdates';

/**
 * An environment as the backend reports it, kept current through signals
 * (or polling). `tick` moves on every live update, for other reads of the
 * same environment (its history) to follow.
 *
 * @internal
 */
export function useEnvironment(
  entityRef: string,
): LoaderState<EnvironmentDetails> & { tick: number } {
  const api = useApi(loggingEnvironmentsApiRef);
  const tick = useLiveUpdates(entityRef);
  const load = useCallback(
    () => api.getEnvironment(entityRef),
    [api, entityRef],
  );
  return { ...useLoader(load, tick), tick };
}
