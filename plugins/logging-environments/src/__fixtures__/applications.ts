/**
 * The Argo CD Applications of the sample environment, wave by wave: the
 * state of each wave decides the resources' and the Application's health.
 */
import {
  ApplicationStatus,
  WAVE_PLAN,
  WaveState,
  WaveStep,
} from '@internal/plugin-logging-environments-common';
import { ARGOCD_URL, REVISION } from './common';

const RESOURCE_NAMES: Record<WaveStep['id'], string> = {
  'external-secret': 'logging-loki-s3',
  'loki-stack': 'logging-loki',
  'health-check': 'logging-health-check',
  'log-forwarder': 'collector',
};

const WAVE_HEALTH: Record<WaveState, string> = {
  healthy: 'Healthy',
  running: 'Progressing',
  unknown: 'Unknown',
  pending: 'Missing',
  degraded: 'Degraded',
  failed: 'Degraded',
};
/** An Application of the given role whose waves are in the given states. */
export function app(
  role: 'infrastructure' | 'forwarder',
  states: WaveState[],
  messages: Record<number, string> = {},
): ApplicationStatus {
  const steps = WAVE_PLAN.filter(s => s.application === role);
  const allHealthy = states.every(s => s === 'healthy');
  const anyFailed = states.some(s => s === 'failed' || s === 'degraded');
  const anyStarted = states.some(s => s !== 'pending');
  let overall: { health: string; phase?: string } = { health: 'Missing' };
  if (allHealthy) overall = { health: 'Healthy', phase: 'Succeeded' };
  else if (anyFailed) overall = { health: 'Degraded', phase: 'Failed' };
  else if (anyStarted) overall = { health: 'Progressing', phase: 'Running' };
  return {
    role,
    name: `acme-prod-logging-${role}`,
    syncStatus: allHealthy ? 'Synced' : 'OutOfSync',
    health: overall.health,
    revision: anyStarted ? REVISION : undefined,
    operationPhase: overall.phase,
    operationMessage: anyFailed
      ? 'one or more objects failed to apply'
      : undefined,
    url: `${ARGOCD_URL}/applications/openshift-gitops/acme-prod-logging-${role}`,
    waves: steps.map((step, i) => ({
      wave: step.wave,
      step,
      state: states[i],
      resources: [
        {
          kind: step.kind,
          name: RESOURCE_NAMES[step.id],
          namespace: 'openshift-logging',
          syncStatus: states[i] === 'pending' ? 'OutOfSync' : 'Synced',
          health: WAVE_HEALTH[states[i]],
          message:
            messages[step.wave] ??
            (states[i] === 'healthy' ? `${step.title} is healthy` : undefined),
        },
      ],
    })),
  };
}
