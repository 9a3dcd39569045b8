import { shortRevision } from '@internal/plugin-logging-environments-common';

export { sameCommit as sameRevision } from '@internal/plugin-logging-environments-common';

/** A revision as messages show it: a full SHA abbreviated to seven characters. */
export function short(revision: string | undefined): string {
  if (!revision) return 'unknown';
  return shortRevision(revision);
}
