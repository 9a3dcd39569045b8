/**
 * Events across replicas (issue 16): two backends on one PostgreSQL
 * database, each with the events backend (the bus that signals travel on),
 * as two replicas of the portal run. An event published on one reaches a
 * subscriber on the other, and so does a signal published through the
 * signals service, within a second.
 *
 * The signals backend itself (its WebSocket) cannot run in this harness:
 * startTestBackend's HTTP server, from backend-test-utils' own older
 * backend-defaults, has no WebSocket upgrades. Its SignalManager subscribes
 * to the `signals` topic with the instance's id, as the subscriber here does.
 */
import { createBackendPlugin } from '@backstage/backend-plugin-api';
import {
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import eventsPlugin from '@backstage/plugin-events-backend';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  EventParams,
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import { Knex } from 'knex';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

type Replica = {
  publish(payload: unknown): Promise<void>;
  signal(message: Record<string, string | number>): Promise<void>;
  received: Array<{ payload: unknown; at: number }>;
  /** What reached this replica on the `signals` topic. */
  signals: Array<{ payload: unknown; at: number }>;
  stop(): Promise<void>;
};

const CHANNEL = 'logging-environments';

/** A backend with the events backend and a plugin that publishes and subscribes. */
async function startReplica(knex: Knex, name: string): Promise<Replica> {
  const received: Replica['received'] = [];
  const signalsHeard: Replica['signals'] = [];
  let publish!: Replica['publish'];
  let signal!: Replica['signal'];
  const probe = createBackendPlugin({
    pluginId: 'replica-probe',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef, signals: signalsServiceRef },
        async init({ events, signals }) {
          await events.subscribe({
            // Each replica its own subscription, as signals-backend does
            // with the instance id: a shared id would split the events
            // between the replicas.
            id: `probe-${name}`,
            topics: ['replica-test'],
            onEvent: async (event: EventParams) => {
              received.push({ payload: event.eventPayload, at: Date.now() });
            },
          });
          // What signals-backend's SignalManager does on each replica.
          await events.subscribe({
            id: `signals-${name}`,
            topics: ['signals'],
            onEvent: async (event: EventParams) => {
              signalsHeard.push({
                payload: event.eventPayload,
                at: Date.now(),
              });
            },
          });
          publish = payload =>
            events.publish({ topic: 'replica-test', eventPayload: payload });
          signal = message =>
            signals.publish({
              recipients: { type: 'broadcast' },
              channel: CHANNEL,
              message,
            });
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [
      // The events service as a backend has it (startTestBackend would
      // put an in-memory mock in its place).
      eventsServiceFactory,
      eventsPlugin,
      probe,
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        // A short long-poll, so that stopping a replica does not wait
        // for the default 55 s.
        data: { events: { useEventBus: 'always', notifyTimeoutMs: 1_000 } },
      }),
    ],
  });
  return {
    publish: payload => publish(payload),
    signal: message => signal(message),
    received,
    signals: signalsHeard,
    stop: () => backend.stop(),
  };
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise(r => setTimeout(r, 5));
  }
}

const heardSignals = (replica: Replica, count: number) => () =>
  replica.signals.length === count;

const heard = (replica: Replica, count: number) => () =>
  replica.received.length === count;

it('runs on PostgreSQL in CI', () => {
  const ids = databases.eachSupportedId().map(([id]) => id);
  expect(ids).toEqual(process.env.CI ? ['POSTGRES_15'] : ids);
});

describe.each(databases.eachSupportedId())(
  'the event bus across two replicas (%s)',
  databaseId => {
    let knex: Knex;
    let a: Replica;
    let b: Replica;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      a = await startReplica(knex, 'a');
      b = await startReplica(knex, 'b');
      // Both subscriptions are registered with the bus before the test
      // publishes (the first poll creates them).
      await new Promise(r => setTimeout(r, 1_000));
    });

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
    });

    it('delivers an event published on A to B within a second, once', async () => {
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const sent = Date.now();
        await a.publish({ n: i });
        await until(heard(b, i + 1), 1_000);
        latencies.push(b.received[i].at - sent);
      }
      // And the other way round.
      const sent = Date.now();
      await b.publish({ n: 'back' });
      await until(heard(a, 6), 1_000);
      latencies.push(a.received[5].at - sent);

      // Each replica heard every event once: its own locally, the other's
      // from the bus, none of them twice.
      await new Promise(r => setTimeout(r, 300));
      const all = [0, 1, 2, 3, 4, 'back'].map(n => ({ n }));
      expect(a.received.map(r => r.payload)).toEqual(all);
      expect(b.received.map(r => r.payload)).toEqual(all);
      process.stdout.write(
        `Cross-replica event latency (ms): ${latencies.join(', ')}\n`,
      );
      expect(Math.max(...latencies)).toBeLessThan(1_000);
    });

    it('carries a signal published through the signals service on A to B within a second', async () => {
      const latencies: number[] = [];
      for (let i = 0; i < 3; i++) {
        const sent = Date.now();
        await a.signal({ environment: 'resource:default/logs', n: i });
        await until(heardSignals(b, i + 1), 1_000);
        latencies.push(b.signals[i].at - sent);
      }
      expect(b.signals.map(s => s.payload)).toEqual(
        [0, 1, 2].map(n => ({
          recipients: { type: 'broadcast' },
          channel: CHANNEL,
          message: { environment: 'resource:default/logs', n },
        })),
      );
      process.stdout.write(
        `Cross-replica signal latency (ms): ${latencies.join(', ')}\n`,
      );
      expect(Math.max(...latencies)).toBeLessThan(1_000);
    });
  },
);
