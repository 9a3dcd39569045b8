import { ApplicationRole } from '@internal/plugin-logging-environments-common';
import { APPLICATION, Findings, Obj } from './clusterProbeHelpers';
import { ChecklistProbe, ProbeResult } from './types';

const normalizePath = (p?: string) =>
  (p ?? '').replace(/^\.\//, '').replace(/\/+$/, '');
const normalizeRepo = (u?: string) =>
  (u ?? '')
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');

/**
 * `applications`: both Applications are registered, read the configured
 * GitOps repository at `<gitops-path>/{infrastructure,forwarder}`, belong to
 * a project, and Argo CD reports no error on them. Staging and production
 * Applications must not sync on their own (`syncPolicy.automated` fails),
 * and a sync that already happened (or is running) warns: the gate governs
 * the next sync.
 *
 * @public
 */
export const applicationsProbe: ChecklistProbe = {
  id: 'applications',
  title: 'Argo CD Applications',
  target: 'cluster',
  async run({ environment, cluster, gitops }) {
    const client = cluster();
    const evidence: ProbeResult['evidence'] = {};
    const findings = new Findings();
    const base = normalizePath(
      environment.gitopsPath ?? `environments/${environment.name}`,
    );
    const guarded = environment.tier !== 'development';
    if (!gitops.repoUrl) {
      findings.add(
        'warn',
        'loggingEnvironments.gitops.repoUrl is not configured, so the repository the Applications read was not checked',
      );
    }
    for (const role of ['infrastructure', 'forwarder'] as ApplicationRole[]) {
      const name = environment.applications[role];
      const where = `Application ${environment.argocdNamespace}/${name}`;
      const app = await client.get<Obj & { apiVersion: string; kind: string }>({
        ...APPLICATION,
        name,
        namespace: environment.argocdNamespace,
      });
      evidence[`${role}.name`] = name;
      if (!app) {
        findings.add('fail', `${where} is not registered`);
        continue;
      }
      const source = app.spec?.source;
      const automated = Boolean(app.spec?.syncPolicy?.automated);
      const state = app.status?.operationState;
      const history: any[] = app.status?.history ?? [];
      const last = history[history.length - 1];
      Object.assign(evidence, {
        [`${role}.project`]: app.spec?.project ?? '(none)',
        [`${role}.path`]: source?.path ?? '(none)',
        [`${role}.syncStatus`]: app.status?.sync?.status ?? 'unknown',
        [`${role}.revision`]: app.status?.sync?.revision ?? '(not compared)',
        [`${role}.health`]: app.status?.health?.status ?? 'unknown',
        [`${role}.automated`]: automated,
        [`${role}.lastSync`]: state
          ? `${state.phase}${
              state.finishedAt ? ` at ${state.finishedAt}` : ''
            }${
              state.syncResult?.revision
                ? ` (${state.syncResult.revision})`
                : ''
            }`
          : 'never',
      });
      if (!source) {
        findings.add(
          'fail',
          `${where} has no single spec.source (multi-source Applications are not what the bootstrap registers)`,
        );
      } else {
        if (
          gitops.repoUrl &&
          normalizeRepo(source.repoURL) !== normalizeRepo(gitops.repoUrl)
        ) {
          findings.add(
            'fail',
            `${where} reads ${source.repoURL}, not the GitOps repository ${gitops.repoUrl}`,
          );
        }
        if (normalizePath(source.path) !== `${base}/${role}`) {
          findings.add(
            'fail',
            `${where} reads path ${
              source.path ?? '(none)'
            }, not ${base}/${role}`,
          );
        }
      }
      const project = app.spec?.project;
      if (!project) {
        findings.add('fail', `${where} has no project`);
      } else if (project === 'default') {
        findings.add(
          'warn',
          `${where} is in the "default" project, which does not confine its repository, destinations or kinds`,
        );
      }
      if (guarded && automated) {
        findings.add(
          'fail',
          `${where} has syncPolicy.automated: a ${environment.tier} Application must sync only after approval`,
        );
      }
      for (const c of app.status?.conditions ?? []) {
        if (/Error$/.test(c.type)) {
          findings.add(
            'fail',
            `${where}: Argo CD reports ${c.type}: ${c.message}`,
          );
        } else if (/Warning$/.test(c.type)) {
          findings.add(
            'warn',
            `${where}: Argo CD reports ${c.type}: ${c.message}`,
          );
        }
      }
      if (guarded) {
        if (app.operation || state?.phase === 'Running') {
          findings.add('warn', `${where} is syncing right now`);
        } else if (state || last) {
          const revision = state?.syncResult?.revision ?? last?.revision;
          findings.add(
            'warn',
            `${where} was already synced${
              revision ? ` (at ${revision})` : ''
            }; the approval governs the next sync`,
          );
        }
      }
    }
    return findings.result(
      evidence,
      guarded
        ? `Both Applications are registered from ${base}, not automated and not yet synced`
        : `Both Applications are registered from ${base}`,
    );
  },
};
