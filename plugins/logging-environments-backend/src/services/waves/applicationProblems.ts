/** What is wrong with an Argo CD Application as a whole: its error and warning conditions, its deletion, an unexplained Degraded. */
import { ApplicationProblem } from '@internal/plugin-logging-environments-common';
import type { ArgoApplication } from './applicationStatus';

/** Whether a condition type is an error (Argo CD's `ApplicationCondition.IsError`). */
const isErrorCondition = (type: string) => type.endsWith('Error');

/**
 * What is wrong with the Application as a whole, in Argo CD's words: its
 * error and warning conditions (`pkg/apis/application/v1alpha1/types.go`:
 * a type ending in `Error` is an error, in `Warning` a warning; others are
 * informational and left out), its deletion, and a Degraded health that no
 * resource explains.
 */
export function applicationProblems(
  app: ArgoApplication,
): ApplicationProblem[] {
  const problems: ApplicationProblem[] = [];
  if (app.metadata.deletionTimestamp) {
    const finalizers = app.metadata.finalizers ?? [];
    problems.push({
      type: 'Deleting',
      severity: 'error',
      message: `Argo CD is deleting the Application (since ${
        app.metadata.deletionTimestamp
      })${
        finalizers.length
          ? `; waiting for its finalizers: ${finalizers.join(', ')}`
          : ''
      }`,
    });
  }
  for (const c of app.status?.conditions ?? []) {
    const severity = isErrorCondition(c.type)
      ? 'error'
      : c.type.endsWith('Warning') && 'warning';
    if (!severity) continue;
    problems.push({ type: c.type, severity, message: c.message ?? '' });
  }
  const health = app.status?.health;
  if (health?.status === 'Degraded' && !app.status?.resources?.length) {
    problems.push({
      type: 'DegradedWithoutResources',
      severity: 'error',
      message: `Argo CD reports the Application Degraded${
        health.message ? ` (${health.message})` : ''
      } but lists no resources`,
    });
  }
  return problems;
}

/** Whether Argo CD reports an error for the Application (condition or deletion). */
export function hasErrors(problems: ApplicationProblem[]): boolean {
  return problems.some(p => p.severity === 'error');
}
