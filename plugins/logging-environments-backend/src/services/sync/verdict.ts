import {
  ApplicationProblem,
  ApplicationRole,
  ApplicationStatus,
  WaveState,
  wavesOf,
} from '@internal/plugin-logging-environments-common';
import { ObservedOperation } from './operations';
import { short } from './revision';

/** What a waiting stage does about its Application's finished operation. */
export type StageVerdict =
  | { kind: 'pass' }
  | { kind: 'wait'; message: string }
  | { kind: 'fail'; message: string };

const named = (problems: ApplicationProblem[]) =>
  problems.map(p => `${p.type}: ${p.message}`).join('; ');

/** The resources of the waves in `states` that say what is wrong, as messages name them. */
function troubled(status: ApplicationStatus, states: WaveState[]): string[] {
  return status.waves
    .filter(w => states.includes(w.state))
    .flatMap(w =>
      w.resources
        .filter(
          r =>
            r.health === 'Degraded' ||
            r.health === 'Missing' ||
            (r.health !== 'Unknown' && r.message),
        )
        .map(
          r =>
            `${r.kind} ${r.name}${r.health ? ` ${r.health}` : ''}${
              r.message ? `: ${r.message}` : ''
            }`,
        ),
    );
}

/**
 * Whether a stage passes, waits or fails once Argo CD finished its
 * operation, from the Application's waves (health read where Argo CD keeps
 * it) and the statuses its operators have not reported on yet (`stale`):
 *
 * - a failed operation fails, naming the troubled resources, Argo CD's
 *   error conditions and warnings;
 * - an error condition (ComparisonError, ...) waits: Argo CD cannot tell
 *   what is live, so the waves say nothing;
 * - a status not reported on yet waits;
 * - a degraded or failed wave fails: reported for the spec this sync
 *   applied, it is a failure, not something to wait out;
 * - any wave not healthy (pending, running, unknown) waits, naming the
 *   resources whose health is Unknown and why;
 * - otherwise it passes.
 *
 * Warning conditions (an excluded or orphaned resource) may be why a wave
 * never gets healthy: every failure and wait names them.
 */
export function judgeStage(input: {
  role: ApplicationRole;
  name: string;
  revision: string;
  operation: ObservedOperation;
  status: ApplicationStatus;
  stale: string[];
}): StageVerdict {
  const { name, status, operation: op } = input;
  const problems = status.problems ?? [];
  const errors = problems.filter(p => p.severity === 'error');
  const warnings = problems.filter(p => p.severity === 'warning');
  const warned = warnings.length ? `; Argo CD warns: ${named(warnings)}` : '';

  if (op.phase !== 'Succeeded') {
    // Argo CD's message names the failed task only when it failed to
    // apply; the waves say which resource was unhealthy and why, the
    // Application's conditions why it could not compare.
    const causes = [
      ...troubled(status, ['failed', 'degraded']),
      ...(errors.length ? [named(errors)] : []),
    ];
    return {
      kind: 'fail',
      message: `The sync of ${name} at ${short(input.revision)} ${
        op.phase === 'Error' ? 'errored' : 'failed'
      }: ${op.message ?? op.phase}${
        causes.length ? ` (${causes.join('; ')})` : ''
      }${warned}`,
    };
  }
  if (errors.length > 0) {
    return {
      kind: 'wait',
      message: `Argo CD finished the sync of ${name} but reports ${named(
        errors,
      )}; waiting for it to compare the Application again`,
    };
  }
  if (input.stale.length > 0) {
    return {
      kind: 'wait',
      message: `Argo CD finished the sync of ${name}; ${input.stale.join(
        '; ',
      )}`,
    };
  }

  const planned = wavesOf(input.role).map(step => ({
    step,
    wave: status.waves.find(w => w.wave === step.wave),
  }));
  const broken = planned.filter(
    ({ wave }) => wave?.state === 'degraded' || wave?.state === 'failed',
  );
  if (broken.length > 0) {
    const causes = troubled(status, ['failed', 'degraded']);
    return {
      kind: 'fail',
      message: `The sync of ${name} at ${short(
        input.revision,
      )} succeeded in Argo CD, but ${broken
        .map(({ step }) => `${step.title} (wave ${step.wave})`)
        .join(', ')} ${broken.length > 1 ? 'are' : 'is'} degraded${
        causes.length ? `: ${causes.join('; ')}` : ''
      }${warned}`,
    };
  }
  const notReady = planned.filter(({ wave }) => wave?.state !== 'healthy');
  if (notReady.length > 0) {
    const what = notReady
      .map(
        ({ step, wave }) =>
          `${step.title} (wave ${step.wave}: ${wave?.state ?? 'pending'})`,
      )
      .join(', ');
    const unknown = notReady.flatMap(({ wave }) =>
      (wave?.resources ?? [])
        .filter(r => r.health === 'Unknown')
        .map(r => `${r.kind} ${r.name} health Unknown: ${r.message ?? ''}`),
    );
    return {
      kind: 'wait',
      message: `Argo CD finished the sync of ${name}; waiting for ${what} to be synced and healthy${
        unknown.length ? ` (${unknown.join('; ')})` : ''
      }${warned}`,
    };
  }
  return { kind: 'pass' };
}
