import {
  ApplicationStatus,
  SyncRun,
  WaveState,
} from '@internal/plugin-logging-environments-common';
import { environmentPhase } from './phase';

function app(
  role: ApplicationStatus['role'],
  health: string | undefined,
  states: WaveState[],
  syncStatus: string | undefined = health === 'Missing'
    ? undefined
    : 'OutOfSync',
): ApplicationStatus {
  return {
    role,
    name: `acme-${role}`,
    ...(health ? { health } : {}),
    ...(syncStatus ? { syncStatus } : {}),
    waves: states.map((state, i) => ({ wave: i * 10, state, resources: [] })),
  };
}

function run(state: SyncRun['state']): SyncRun {
  return {
    id: 'r',
    state,
    revision: 'a'.repeat(40),
    requestedBy: 'user:default/approver',
    startedAt: '2026-11-27T10:00:00Z',
    updatedAt: '2026-11-27T10:00:00Z',
  };
}

describe('environmentPhase', () => {
  const registered = [
    app('infrastructure', 'Missing', ['pending', 'pending', 'pending']),
    app('forwarder', 'Missing', ['pending']),
  ];
  const waiting = [
    app('infrastructure', 'Healthy', ['pending', 'pending', 'pending']),
    app('forwarder', 'Healthy', ['pending']),
  ];
  const healthy = [
    app('infrastructure', 'Healthy', ['healthy', 'healthy', 'healthy']),
    app('forwarder', 'Healthy', ['healthy']),
  ];

  it('is bootstrap while an Application is not registered', () => {
    expect(environmentPhase(registered, undefined)).toBe('bootstrap');
    expect(environmentPhase([waiting[0], registered[1]], run('failed'))).toBe(
      'bootstrap',
    );
  });

  it('is verify once registered and before any sync', () => {
    expect(environmentPhase(waiting, undefined)).toBe('verify');
    // Argo CD reports a registered, never synced Application as Missing.
    expect(
      environmentPhase(
        [
          app('infrastructure', 'Missing', ['pending'], 'OutOfSync'),
          app('forwarder', 'Missing', ['pending'], 'OutOfSync'),
        ],
        undefined,
      ),
    ).toBe('verify');
    // The cache not listed yet is no reason to claim more.
    expect(
      environmentPhase(
        [
          app('infrastructure', 'Unknown', ['pending']),
          app('forwarder', 'Unknown', ['pending']),
        ],
        undefined,
      ),
    ).toBe('verify');
  });

  it('is sync while a run is active, failed or blocked, and live when it succeeded', () => {
    for (const state of [
      'pending',
      'waiting-infrastructure',
      'rolling-back',
      'failed',
      'blocked',
    ] as const) {
      expect({ state, phase: environmentPhase(waiting, run(state)) }).toEqual({
        state,
        phase: 'sync',
      });
    }
    expect(environmentPhase(healthy, run('succeeded'))).toBe('live');
  });

  it('is live when Argo CD synced every wave healthy without a run of ours', () => {
    expect(environmentPhase(healthy, undefined)).toBe('live');
    expect(
      environmentPhase(
        [healthy[0], app('forwarder', 'Progressing', ['running'])],
        undefined,
      ),
    ).toBe('verify');
  });
});
