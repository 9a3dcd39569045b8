import { WarningPanel } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import { EnvironmentDetails } from '@internal/plugin-logging-environments-common';

/** @internal */
export interface Failure {
  title: string;
  cause: string;
  severity: 'error' | 'warning';
}

/**
 * What went wrong, most specific first: what Argo CD reports wrong with an
 * Application as a whole (error and warning conditions, deletion, Degraded
 * without resources), each failed or degraded wave with the message of its
 * troubled resource (else the Application's operation message), then a
 * failed or blocked sync run that no wave explains.
 *
 * @internal
 */
export function failuresOf(environment: EnvironmentDetails): Failure[] {
  const failures: Failure[] = [];
  for (const app of environment.applications) {
    for (const problem of app.problems ?? []) {
      failures.push({
        title: `${app.name}: ${problem.type}`,
        cause: problem.message,
        severity: problem.severity,
      });
    }
  }
  for (const app of environment.applications) {
    for (const wave of [...app.waves].sort((a, b) => a.wave - b.wave)) {
      if (wave.state !== 'failed' && wave.state !== 'degraded') continue;
      const withMessage =
        wave.resources.find(
          r =>
            r.message &&
            ['degraded', 'missing'].includes(
              (r.health ?? '').toLocaleLowerCase('en-US'),
            ),
        ) ?? wave.resources.find(r => r.message);
      const cause = withMessage
        ? `${withMessage.kind} ${withMessage.name}: ${withMessage.message}`
        : app.operationMessage ??
          'Argo CD reports no message; open the Application in Argo CD.';
      failures.push({
        title: `Wave ${wave.wave}${
          wave.step ? ` (${wave.step.title})` : ''
        } of ${app.name} ${wave.state === 'failed' ? 'failed' : 'is degraded'}`,
        cause,
        severity: 'error',
      });
    }
  }
  const run = environment.sync;
  if (run?.state === 'failed' && failures.every(f => f.severity !== 'error')) {
    failures.push({
      title: 'The sync failed',
      cause: run.message ?? 'The backend gives no cause.',
      severity: 'error',
    });
  }
  if (run?.state === 'rolling-back') {
    failures.push({
      title: 'The sync failed and is being rolled back',
      cause: run.message ?? 'Rolling back to the last healthy revision.',
      severity: 'warning',
    });
  }
  return failures;
}

/**
 * The failures of an environment, shown at the top of its page so nobody
 * has to dig through the waves to learn what broke.
 *
 * @internal
 */
export const FailureSummary = ({
  environment,
}: {
  environment: EnvironmentDetails;
}) => {
  const failures = failuresOf(environment);
  if (failures.length === 0) return null;
  return (
    <Box data-testid="failure-summary">
      {failures.map(f => (
        <Box key={`${f.title}: ${f.cause}`} mb={1}>
          <WarningPanel
            severity={f.severity}
            title={f.title}
            message={f.cause}
            defaultExpanded
          />
        </Box>
      ))}
    </Box>
  );
};
