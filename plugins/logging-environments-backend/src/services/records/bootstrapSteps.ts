/**
 * Whether a bootstrap step may run against its environment's record: the
 * facts it acts on are the record's, the manifests it applies are what the
 * template renders for the record, and a credentials rotation of a staging
 * or production environment is an administrator's.
 */
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  BootstrapStepCheck,
  EnvironmentRecord,
} from '@internal/plugin-logging-environments-common';
import {
  ExpectedArgoShape,
  argoManifestProblems,
  assertMatchesRecord,
  clusterSecretStoreProblems,
} from '@internal/plugin-logging-environments-node';

/**
 * Checks a step against the record (the caller may already run the
 * environment's bootstrap): ConflictError when its facts or manifests are
 * not the record's, InputError for manifests of a step that applies none
 * the backend checks, NotAllowedError for a rotation that is not the
 * caller's to make.
 */
export function checkBootstrapStep(
  record: EnvironmentRecord,
  step: BootstrapStepCheck,
  context: {
    /** The Argo CD shape the record implies. */
    shape: ExpectedArgoShape;
    /** Whether the caller is an administrator. */
    administrator: boolean;
  },
): void {
  const action = String(step.action);
  assertMatchesRecord(action, record, step.facts ?? {});
  if (step.manifests !== undefined) {
    const objects = Array.isArray(step.manifests) ? step.manifests : [];
    let problems: string[];
    let what: string;
    if (action === 'logging:argocd:register') {
      problems = argoManifestProblems(objects as any[], context.shape);
      what = `manifests: not what ${record.name}'s record implies`;
    } else if (action === 'logging:secret-store:ensure') {
      problems =
        objects.length === 1
          ? clusterSecretStoreProblems(objects[0] as any, record)
          : ['there must be exactly one ClusterSecretStore'];
      what = `manifest: the ClusterSecretStore is not the one ${record.name}'s record implies`;
    } else {
      throw new InputError(
        `manifests: ${action} applies no manifests the backend checks`,
      );
    }
    if (problems.length > 0) {
      throw new ConflictError(`${what}: ${problems.join('; ')}`);
    }
  }
  if (step.rotate && record.tier !== 'development' && !context.administrator) {
    throw new NotAllowedError(
      `rotate: only an administrator may replace the External Secrets credentials of the ${record.tier} environment ${record.name}: they decide which AWS account its logs' key is read from, and no approval covers them`,
    );
  }
}
