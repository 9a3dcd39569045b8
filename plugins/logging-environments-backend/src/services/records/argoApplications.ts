/**
 * An environment's Argo CD objects on its cluster, as the record service
 * reads them: the shape the template renders for a record, the uids of the
 * Applications once they are found as rendered, and the environments a
 * cluster runs without a record.
 */
import { ConflictError } from '@backstage/errors';
import {
  ApplicationRole,
  ENVIRONMENT_LABEL,
  EnvironmentRecord,
  environmentLayout,
  recordedApplicationNames,
} from '@internal/plugin-logging-environments-common';
import {
  ClusterClient,
  ExpectedArgoShape,
  appProjectProblems,
  applicationProblems,
} from '@internal/plugin-logging-environments-node';
import { EnvironmentRecordsStore } from '../../database/EnvironmentRecordsStore';

const APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' };
const APP_PROJECT = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject' };
const PART_OF = 'app.kubernetes.io/part-of=logging-environments';

/** The roles of an environment's Applications, in the order they sync. */
export const APPLICATION_ROLES: ApplicationRole[] = [
  'infrastructure',
  'forwarder',
];

/** The Argo CD shape the record's objects must have. */
export function expectedArgoShape(
  record: EnvironmentRecord,
  gitops: { repoUrl: string; branch: string },
): ExpectedArgoShape {
  return {
    name: record.name,
    tier: record.tier,
    namespace: record.namespace,
    argocdNamespace: record.argocdNamespace,
    project: record.project,
    applications: recordedApplicationNames(record),
    gitopsPath: record.gitopsPath,
    repoUrl: gitops.repoUrl,
    branch: gitops.branch,
  };
}

/**
 * Reads the record's AppProject and Applications from its cluster and
 * returns the Applications' uids; ConflictError naming every object that
 * is missing or not what the template renders for the record.
 */
export async function registeredApplicationUids(
  client: ClusterClient,
  record: EnvironmentRecord,
  shape: ExpectedArgoShape,
): Promise<Record<ApplicationRole, string>> {
  const [project, ...apps] = await Promise.all([
    client.get<any>({
      ...APP_PROJECT,
      name: record.project,
      namespace: record.argocdNamespace,
    }),
    ...APPLICATION_ROLES.map(role =>
      client.get<any>({
        ...APPLICATION,
        name: record.applications[role].name,
        namespace: record.argocdNamespace,
      }),
    ),
  ]);
  const problems: string[] = [];
  if (!project) {
    problems.push(
      `AppProject ${record.argocdNamespace}/${record.project} is not registered`,
    );
  } else {
    problems.push(...appProjectProblems(project, shape));
  }
  APPLICATION_ROLES.forEach((role, i) => {
    if (!apps[i]) {
      problems.push(
        `Application ${record.argocdNamespace}/${record.applications[role].name} is not registered`,
      );
    } else {
      // A live Application may be syncing already (a development
      // infrastructure syncs on its own): its operation is Argo CD's.
      const { operation: _operation, ...registered } = apps[i];
      problems.push(...applicationProblems(registered, role, shape));
    }
  });
  if (problems.length > 0) {
    throw new ConflictError(
      `The Argo CD objects of ${
        record.name
      } are not what its bootstrap registers: ${problems.join('; ')}`,
    );
  }
  return Object.fromEntries(
    APPLICATION_ROLES.map((role, i) => [role, apps[i].metadata?.uid as string]),
  ) as Record<ApplicationRole, string>;
}

/** The roles whose Application was re-created since the record bound it (another uid). */
export function recreatedApplications(
  record: EnvironmentRecord,
  uids: Record<ApplicationRole, string>,
): ApplicationRole[] {
  return APPLICATION_ROLES.filter(
    role =>
      record.applications[role].uid &&
      record.applications[role].uid !== uids[role],
  );
}

/**
 * The environments that run on a cluster without a record: AppProjects
 * of the plugins in the cluster's Argo CD namespace whose environment has
 * no record.
 */
export async function unrecordedEnvironments(
  client: ClusterClient,
  argocdNamespace: string,
  records: Pick<EnvironmentRecordsStore, 'get'>,
): Promise<string[]> {
  const projects = await client.list<any>(
    APP_PROJECT.apiVersion,
    APP_PROJECT.kind,
    { namespace: argocdNamespace, labelSelector: PART_OF },
  );
  const names = [
    ...new Set(
      projects
        .map(p => p.metadata?.labels?.[ENVIRONMENT_LABEL] as string)
        .filter(Boolean),
    ),
  ];
  const unrecorded: string[] = [];
  for (const name of names) {
    if (!(await records.get(environmentLayout(name).entityRef))) {
      unrecorded.push(name);
    }
  }
  return unrecorded;
}
