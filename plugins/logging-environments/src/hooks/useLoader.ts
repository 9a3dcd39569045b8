import { useCallback, useEffect, useRef, useState } from 'react';

/** @internal */
export interface LoaderState<T> {
  value?: T;
  /** Only the first load: a refresh keeps showing the last value. */
  loading: boolean;
  /** The last load's error; the last good value stays in `value`. */
  error?: Error;
  refresh: () => Promise<void>;
}

/**
 * Loads with `load` (memoize it), again whenever `tick` moves or `refresh`
 * is called. Unlike useAsync, a refresh neither blanks the page nor drops
 * the value when it fails, and a slow answer never overwrites a newer one.
 *
 * @internal
 */
export function useLoader<T>(
  load: () => Promise<T>,
  tick: number = 0,
): LoaderState<T> {
  const [state, setState] = useState<{ value?: T; error?: Error }>({});
  const [settled, setSettled] = useState(false);
  const sequence = useRef(0);

  const refresh = useCallback(async () => {
    const id = ++sequence.current;
    try {
      const value = await load();
      if (id === sequence.current) setState({ value });
    } catch (e) {
      if (id === sequence.current) {
        setState(s => ({ value: s.value, error: e as Error }));
      }
    } finally {
      if (id === sequence.current) setSettled(true);
    }
  }, [load]);

  // A different thing to load: forget the old one.
  useEffect(() => {
    setState({});
    setSettled(false);
  }, [load]);

  useEffect(() => {
    refresh();
  }, [refresh, tick]);

  return { ...state, loading: !settled, refresh };
}
