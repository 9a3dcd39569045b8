import { SignalApi } from '@backstage/plugin-signals-react';

/** Signals inside the dev app: the mock client publishes, the page listens. */
export class DevSignalApi implements SignalApi {
  private readonly subscribers = new Map<string, Set<(m: any) => void>>();

  subscribe(channel: string, onMessage: (message: any) => void) {
    const set = this.subscribers.get(channel) ?? new Set();
    set.add(onMessage);
    this.subscribers.set(channel, set);
    return { unsubscribe: () => set.delete(onMessage) };
  }

  publish(channel: string, message: object) {
    for (const s of this.subscribers.get(channel) ?? []) s(message);
  }
}
