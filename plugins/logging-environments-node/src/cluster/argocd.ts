import { KubernetesObject } from '@kubernetes/client-node';
import { EnsureError } from '../aws/errors';
import { EnsureOptions, EnsureResult } from '../aws/types';
import { ClusterClient, objectRefOf } from './client';
import { kubeNotFound, kubeStep } from './step';

type Obj = KubernetesObject & { spec?: any; status?: any; operation?: unknown };

/**
 * Registers an environment's Argo CD AppProject and Applications exactly as
 * the template rendered them, by server-side apply, and never syncs: an
 * `operation` in the input is refused, and only development Applications may
 * carry `syncPolicy.automated` (registration must not sync staging or
 * production); a dry run that does not know the tier yet (no record before
 * the claim is written) skips that check, as it applies nothing. Returns
 * each object's result.
 *
 * @public
 */
export async function registerArgoApplications(
  cluster: ClusterClient,
  objects: Obj[],
  input: { tier?: string },
  options: EnsureOptions = {},
): Promise<EnsureResult[]> {
  const done: string[] = [];
  for (const o of objects) {
    const name = `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`;
    const invalid = (message: string) =>
      new EnsureError(name, 'validate', 'Invalid', done, undefined, message);
    if (
      o.apiVersion !== 'argoproj.io/v1alpha1' ||
      !['AppProject', 'Application'].includes(o.kind!)
    ) {
      throw invalid('only Argo CD AppProjects and Applications are registered');
    }
    if (o.operation !== undefined) {
      throw invalid(
        'registration never syncs: the manifest must not contain an operation',
      );
    }
    if (
      o.kind === 'Application' &&
      o.spec?.syncPolicy?.automated &&
      input.tier !== 'development' &&
      !(input.tier === undefined && options.dryRun)
    ) {
      throw invalid(
        `a ${input.tier} Application must not have syncPolicy.automated: it is synced only after approval`,
      );
    }
  }
  const results: EnsureResult[] = [];
  // The project first: Argo CD rejects Applications of an unknown project.
  const sorted = [...objects].sort(
    (a, b) =>
      (a.kind === 'AppProject' ? -1 : 0) - (b.kind === 'AppProject' ? -1 : 0),
  );
  for (const o of sorted) {
    const resource = `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`;
    const ref = objectRefOf(o);
    const existing = await kubeStep(resource, 'read', done, () =>
      cluster.get<Obj>(ref),
    );
    const changed =
      !existing ||
      JSON.stringify(existing.spec) !==
        JSON.stringify({ ...existing.spec, ...o.spec });
    let action: EnsureResult['action'];
    if (!existing) action = options.dryRun ? 'would-create' : 'created';
    else if (!changed) action = 'unchanged';
    else action = options.dryRun ? 'would-update' : 'updated';
    if (!options.dryRun) {
      await kubeStep(resource, 'apply', done, () => cluster.apply(o));
      done.push(`registered ${resource}`);
    }
    results.push({ resource, action, changes: [] });
  }
  return results;
}

/**
 * Starts an Argo CD sync of one Application at a pinned revision by setting
 * `.operation` (what the Argo CD API server does), used when no Argo CD API
 * server is configured. Refuses when an operation is already running or
 * the Application is being deleted. Never
 * uses the refresh annotation, which does not sync.
 *
 * @public
 */
export async function syncApplicationViaOperation(
  cluster: ClusterClient,
  app: { name: string; namespace: string },
  input: { revision: string; initiatedBy: string; prune?: boolean },
): Promise<void> {
  const resource = `Application ${app.namespace}/${app.name}`;
  const ref = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    ...app,
  };
  const current = await kubeStep(resource, 'read', [], () =>
    cluster.get<Obj>(ref),
  );
  if (!current) {
    throw kubeNotFound(
      resource,
      'sync',
      [],
      'the Application is not registered',
    );
  }
  // Argo CD's API refuses it too ("application is deleting"): an operation
  // would run before the cascade deletion and deploy what is being removed.
  if (current.metadata?.deletionTimestamp) {
    throw new EnsureError(
      resource,
      'sync',
      'Conflict',
      [],
      undefined,
      'the Application is being deleted (Argo CD: application is deleting)',
    );
  }
  if (
    current.operation ||
    current.status?.operationState?.phase === 'Running'
  ) {
    throw new EnsureError(
      resource,
      'sync',
      'Conflict',
      [],
      undefined,
      'another operation is already in progress',
    );
  }
  await kubeStep(resource, 'set operation', [], () =>
    cluster.mergePatch(ref, {
      operation: {
        initiatedBy: { username: input.initiatedBy },
        info: [{ name: 'Reason', value: 'Logging Environments sync' }],
        sync: {
          revision: input.revision,
          prune: input.prune ?? false,
          syncOptions: ['ServerSideApply=true'],
        },
      },
    }),
  );
}
