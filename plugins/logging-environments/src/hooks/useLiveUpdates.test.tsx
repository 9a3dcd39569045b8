import { TestApiProvider } from '@backstage/test-utils';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL } from '@internal/plugin-logging-environments-common';
import { act, renderHook } from '@testing-library/react';
import { ReactNode } from 'react';
import { FakeSignalApi } from '../__testUtils__/render';
import {
  POLL_INTERVAL_MS,
  SIGNALS_SAFETY_POLL_INTERVAL_MS,
  useLiveUpdates,
} from './useLiveUpdates';

function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => state,
  });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('useLiveUpdates', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    jest.useRealTimers();
    setVisibility('visible');
  });

  it('without signals, polls every 10 s while the tab is visible', () => {
    const wrapper = ({ children }: { children: ReactNode }) => (
      <TestApiProvider apis={[]}>{children}</TestApiProvider>
    );
    const { result } = renderHook(
      () => useLiveUpdates('resource:default/acme-prod'),
      { wrapper },
    );
    expect(result.current).toBe(0);
    act(() => jest.advanceTimersByTime(POLL_INTERVAL_MS));
    expect(result.current).toBe(1);

    act(() => setVisibility('hidden'));
    act(() => jest.advanceTimersByTime(3 * POLL_INTERVAL_MS));
    expect(result.current).toBe(1);

    // Back on the tab: catch up at once.
    act(() => setVisibility('visible'));
    expect(result.current).toBe(2);
  });

  it('with signals, moves on a signal about the environment, whatever the ref spelling', async () => {
    const signals = new FakeSignalApi();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <TestApiProvider apis={[[signalApiRef, signals]]}>
        {children}
      </TestApiProvider>
    );
    const { result } = renderHook(
      () => useLiveUpdates('resource:default/acme-prod'),
      {
        wrapper,
      },
    );
    await signals.publish(LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL, {
      environmentRef: 'Resource:default/acme-prod',
      change: 'approval',
    });
    expect(result.current).toBe(1);
    await signals.publish(LOGGING_ENVIRONMENTS_SIGNAL_CHANNEL, {
      environmentRef: 'resource:default/other',
      change: 'approval',
    });
    expect(result.current).toBe(1);
    // No 10 s polling with signals, only the slow safety net.
    act(() => jest.advanceTimersByTime(POLL_INTERVAL_MS * 2));
    expect(result.current).toBe(1);
    act(() => jest.advanceTimersByTime(SIGNALS_SAFETY_POLL_INTERVAL_MS));
    expect(result.current).toBe(2);
  });
});
