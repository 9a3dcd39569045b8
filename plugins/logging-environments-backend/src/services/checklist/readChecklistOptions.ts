import { Config } from '@backstage/config';

/**
 * What the checklist reads from configuration; everything else it is given
 * as a dependency.
 *
 * @public
 */
export interface ChecklistOptions {
  /** `loggingEnvironments.gitops`: the repository the Applications must read. */
  gitops: { repoUrl?: string; branch?: string };
  /**
   * `loggingEnvironments.checklist.probeTimeoutSeconds` and `probeTimeouts`,
   * in milliseconds.
   */
  timeouts: { defaultMs?: number; perProbe: Record<string, number> };
  /**
   * `loggingEnvironments.checklist.revisionRefreshTimeoutSeconds`, in
   * milliseconds: how long the `revision` probe's `ArgoRevisionSource` waits
   * for a refresh.
   */
  revisionRefreshTimeoutMs?: number;
}

/**
 * Reads the checklist's options from `loggingEnvironments.checklist` and
 * `loggingEnvironments.gitops`; an unset key is left `undefined`, so the
 * service's defaults apply.
 *
 * @public
 */
export function readChecklistOptions(config: Config): ChecklistOptions {
  const checklist = config.getOptionalConfig('loggingEnvironments.checklist');
  const seconds = (key: string) => {
    const value = checklist?.getOptionalNumber(key);
    return value === undefined ? undefined : value * 1000;
  };
  const perProbe: Record<string, number> = {};
  const overrides = checklist?.getOptionalConfig('probeTimeouts');
  for (const id of overrides?.keys() ?? []) {
    perProbe[id] = overrides!.getNumber(id) * 1000;
  }
  return {
    gitops: {
      repoUrl: config.getOptionalString('loggingEnvironments.gitops.repoUrl'),
      branch: config.getOptionalString('loggingEnvironments.gitops.branch'),
    },
    timeouts: { defaultMs: seconds('probeTimeoutSeconds'), perProbe },
    revisionRefreshTimeoutMs: seconds('revisionRefreshTimeoutSeconds'),
  };
}
