import { ApplicationRole } from '@internal/plugin-logging-environments-common';
import {
  ExpectedArgoShape,
  applicationBinding,
  applicationProblems,
} from '@internal/plugin-logging-environments-node';
import { createHash } from 'node:crypto';
import { Environment } from '../types';

const ROLES: ApplicationRole[] = ['infrastructure', 'forwarder'];

/**
 * What an environment's Applications say now: the commit their
 * `targetRevision` resolves to, the binding an approval is made for (that
 * commit together with both Applications' source, project and sync policy),
 * and what is wrong with them against the environment's record.
 *
 * @public
 */
export interface CurrentRevision {
  /** The commit, when Argo CD compared the infrastructure Application's current source. */
  revision?: string;
  /** Fingerprint of what an approval binds to; any change voids earlier decisions. */
  binding: string;
  /** Why nothing may act on these Applications now (empty when they match the record). */
  problems: string[];
}

/** The Argo CD shape an environment's Applications must have, from its record. */
export function expectedShape(environment: Environment): ExpectedArgoShape {
  return {
    name: environment.name,
    tier: environment.tier,
    namespace: environment.namespace,
    argocdNamespace: environment.argocdNamespace,
    project: environment.project,
    applications: environment.applications,
    gitopsPath: environment.gitopsPath,
    repoUrl: environment.gitops.repoUrl,
    branch: environment.gitops.branch,
  };
}

/**
 * What is wrong with one of an environment's Applications as found on the
 * cluster: missing, re-created since the bootstrap bound it (another uid),
 * or not what the template renders for the record (label, project, source,
 * destination, sync policy).
 */
export function applicationProblemsOf(
  environment: Environment,
  role: ApplicationRole,
  app: any | undefined,
): string[] {
  const name = `Application ${environment.argocdNamespace}/${environment.applications[role]}`;
  if (!app) return [`${name} is not registered`];
  const uid = environment.applicationUids[role];
  const problems: string[] = [];
  if (uid && app.metadata?.uid !== uid) {
    problems.push(
      `${name} is not the one the bootstrap registered (it was re-created); an administrator must bind it again`,
    );
  }
  // A requested or running operation is not a registration problem.
  const { operation: _operation, ...registered } = app;
  return [
    ...problems,
    ...applicationProblems(registered, role, expectedShape(environment)),
  ];
}

/** {@link applicationProblemsOf} for both Applications. */
export function applicationsProblems(
  environment: Environment,
  apps: Record<ApplicationRole, any | undefined>,
): string[] {
  return ROLES.flatMap(role =>
    applicationProblemsOf(environment, role, apps[role]),
  );
}

/**
 * The binding of an environment's Applications as they are now: both
 * Applications' source, project and sync policy with the commit, hashed.
 */
export function currentRevisionOf(
  environment: Environment,
  apps: Record<ApplicationRole, any | undefined>,
  revision: string | undefined,
): CurrentRevision {
  const binding = createHash('sha256')
    .update(JSON.stringify([revision ?? '', applicationBinding(apps)]))
    .digest('hex');
  return {
    revision,
    binding,
    problems: applicationsProblems(environment, apps),
  };
}
