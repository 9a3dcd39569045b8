/** The state of a wave and of each of its resources, from what Argo CD reports of them. */
import {
  ResourceHealthSource,
  WaveState,
} from '@internal/plugin-logging-environments-common';
import type {
  ArgoResourceResult,
  ArgoResourceStatus,
} from './applicationStatus';

/**
 * One resource of an Application as the wave view reads it: its
 * `status.resources` entry and its last operation's result, merged.
 */
export interface Entry {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  wave: number;
  hook: boolean;
  syncStatus?: string;
  /** Undefined: Argo CD assesses no health for it. */
  health?: string;
  healthMessage?: string;
  healthSource?: ResourceHealthSource;
  /** Its `status.resources` entry, if it has one. */
  listed?: ArgoResourceStatus;
  result?: ArgoResourceResult;
}

/** The state of one resource in its wave, from its sync, health and last operation's result. */
export function resourceState(
  e: Entry,
  operationActive: boolean,
  syncedByOperation: boolean,
): WaveState {
  const phase = e.result?.hookPhase;
  if (e.result?.status === 'SyncFailed') return 'failed';
  if (phase === 'Failed' || phase === 'Error') return 'failed';
  if (e.hook) {
    if (phase === 'Succeeded') return 'healthy';
    if (phase === 'Running' || phase === 'Terminating') {
      return operationActive ? 'running' : 'failed';
    }
    return 'pending';
  }
  if (e.health === 'Degraded') return 'degraded';
  // No health: Argo CD assesses none for it (resolveResourceHealth says
  // Unknown when it cannot be told).
  const healthy = e.health === undefined || e.health === 'Healthy';
  const synced =
    e.syncStatus === 'Synced' ||
    (syncedByOperation && e.result?.status === 'Synced');
  if (synced && healthy) return 'healthy';
  if (e.health === 'Progressing' || e.health === 'Suspended') {
    return e.syncStatus === 'Synced' || operationActive ? 'running' : 'pending';
  }
  // Applied by the running operation, not yet seen by a refresh.
  if (operationActive && e.result) return 'running';
  if (synced && e.health === 'Unknown') return 'unknown';
  return 'pending';
}

/** The state of a wave, from the states of its resources. */
export function waveState(
  entries: Entry[],
  states: WaveState[],
  operationActive: boolean,
): WaveState {
  if (states.length === 0) return 'pending';
  if (states.includes('failed')) return 'failed';
  if (states.includes('degraded')) return 'degraded';
  if (states.includes('running')) return 'running';
  if (states.every(s => s === 'healthy')) return 'healthy';
  if (states.every(s => s === 'healthy' || s === 'unknown')) return 'unknown';
  // Partly applied by the running operation: it is at this wave now.
  // Resources healthy from an earlier sync do not make a wave running.
  return operationActive && entries.some(e => e.result) ? 'running' : 'pending';
}
