import { useSignal } from '@backstage/plugin-signals-react';
import {
  LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL,
  LoggingEnvironmentSignal,
  normalizeEntityRef,
} from '@internal/plugin-logging-environments-common';
import { useEffect, useState } from 'react';

/** How often to re-read an environment when the app has no signals. */
export const POLL_INTERVAL_MS = 10_000;
/**
 * With signals, a slow re-read still covers messages lost while the
 * signal connection was down (the signals API does not replay them).
 */
export const SIGNALS_SAFETY_POLL_INTERVAL_MS = 60_000;

// A service's annotation may name its environment without kind or namespace.
const normalize = (ref: string) =>
  normalizeEntityRef(ref, { defaultKind: 'resource' });

function isEnvironmentSignal(
  message: unknown,
): message is LoggingEnvironmentSignal {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { environmentRef?: unknown }).environmentRef === 'string'
  );
}

/**
 * A counter that moves whenever the environment may have changed: on a
 * signal about it, or, while the tab is visible, on a poll (every 10 s
 * without signals). Re-read the environment when it moves.
 *
 * @internal
 */
export function useLiveUpdates(
  environmentRef: string | undefined,
  options: { pollIntervalMs?: number } = {},
): number {
  const { lastSignal, isSignalsAvailable } = useSignal(
    LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL,
  );
  const [tick, setTick] = useState(0);
  const wanted = environmentRef ? normalize(environmentRef) : undefined;

  useEffect(() => {
    if (
      wanted &&
      isEnvironmentSignal(lastSignal) &&
      normalize(lastSignal.environmentRef) === wanted
    ) {
      setTick(t => t + 1);
    }
  }, [lastSignal, wanted]);

  const interval =
    options.pollIntervalMs ??
    (isSignalsAvailable ? SIGNALS_SAFETY_POLL_INTERVAL_MS : POLL_INTERVAL_MS);
  useEffect(() => {
    if (!wanted) return undefined;
    const visible = () => document.visibilityState !== 'hidden';
    const timer = setInterval(() => {
      if (visible()) setTick(t => t + 1);
    }, interval);
    // Coming back to a tab that missed polls: catch up at once.
    const onVisibility = () => {
      if (visible()) setTick(t => t + 1);
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [wanted, interval]);

  return tick;
}
