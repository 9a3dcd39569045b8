import { KubernetesObject } from '@kubernetes/client-node';
import { EnsureError } from '../aws/errors';
import { EnsureOptions, EnsureResult } from '../aws/types';
import { ClusterClient, waitFor } from './client';
import { kubeStep } from './step';

type Obj = KubernetesObject & { spec?: any; status?: any };

const ALLOWED = new Set([
  'v1/Namespace',
  'operators.coreos.com/v1/OperatorGroup',
  'operators.coreos.com/v1alpha1/Subscription',
]);

/**
 * Ensures OLM installs the given operators: applies the rendered
 * Namespaces, OperatorGroups and Subscriptions (skipping any Subscription
 * whose operator is already installed), then waits, bounded, for each
 * Subscription's ClusterServiceVersion to reach `Succeeded`. Fails with
 * OLM's own reason (e.g. a ResolutionFailed condition, a CSV phase).
 *
 * @public
 */
export async function ensureOperators(
  cluster: ClusterClient,
  objects: Obj[],
  options: EnsureOptions & { timeoutMs?: number } = {},
): Promise<EnsureResult[]> {
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}`;
    if (!ALLOWED.has(key)) {
      throw new EnsureError(
        'operators',
        'validate',
        'Invalid',
        [],
        undefined,
        `only Namespaces, OperatorGroups and Subscriptions may be applied, not ${key} ${o.metadata?.name}`,
      );
    }
  }
  const results: EnsureResult[] = [];
  const done: string[] = [];

  // Namespaces, then OperatorGroups, then Subscriptions: OLM needs the group
  // before it resolves a subscription in that namespace.
  const order = ['Namespace', 'OperatorGroup', 'Subscription'];
  const sorted = [...objects].sort(
    (a, b) => order.indexOf(a.kind!) - order.indexOf(b.kind!),
  );
  const pending: Obj[] = [];
  for (const o of sorted) {
    const resource = `${o.kind} ${
      o.metadata?.namespace ? `${o.metadata.namespace}/` : ''
    }${o.metadata?.name}`;
    const ref = {
      apiVersion: o.apiVersion!,
      kind: o.kind!,
      name: o.metadata!.name!,
      namespace: o.metadata?.namespace,
    };
    const existing = await kubeStep(resource, 'read', done, () =>
      cluster.get<Obj>(ref),
    );
    if (o.kind === 'Subscription' && existing?.status?.installedCSV) {
      const csv = await kubeStep(resource, 'read its CSV', done, () =>
        cluster.get<Obj>({
          apiVersion: 'operators.coreos.com/v1alpha1',
          kind: 'ClusterServiceVersion',
          name: existing.status.installedCSV,
          namespace: ref.namespace,
        }),
      );
      if (csv?.status?.phase === 'Succeeded') {
        results.push({
          resource,
          action: 'unchanged',
          changes: [`${csv.metadata?.name} already installed`],
        });
        continue;
      }
    }
    if (options.dryRun) {
      results.push({
        resource,
        action: existing ? 'would-update' : 'would-create',
        changes: [],
      });
      continue;
    }
    await kubeStep(resource, 'apply', done, () => cluster.apply(o));
    done.push(`applied ${resource}`);
    results.push({
      resource,
      action: existing ? 'updated' : 'created',
      changes: [],
    });
    if (o.kind === 'Subscription') pending.push(o);
  }

  for (const sub of pending) {
    const resource = `Subscription ${sub.metadata!.namespace}/${
      sub.metadata!.name
    }`;
    const ref = {
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'Subscription',
      name: sub.metadata!.name!,
      namespace: sub.metadata!.namespace,
    };
    const installed = await waitFor(
      async () => {
        const current = await kubeStep(resource, 'read', done, () =>
          cluster.get<Obj>(ref),
        );
        const failed = current?.status?.conditions?.find(
          (c: any) => c.type === 'ResolutionFailed' && c.status === 'True',
        );
        if (failed) return { failed: `${failed.reason}: ${failed.message}` };
        const name =
          current?.status?.installedCSV ?? current?.status?.currentCSV;
        if (!name) return undefined;
        const csv = await kubeStep(resource, 'read its CSV', done, () =>
          cluster.get<Obj>({
            apiVersion: 'operators.coreos.com/v1alpha1',
            kind: 'ClusterServiceVersion',
            name,
            namespace: ref.namespace,
          }),
        );
        if (csv?.status?.phase === 'Succeeded') return { csv: name };
        if (csv?.status?.phase === 'Failed') {
          return {
            failed: `CSV ${name} failed: ${csv.status.reason ?? ''} ${
              csv.status.message ?? ''
            }`.trim(),
          };
        }
        return undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 600_000,
        intervalMs: 500,
        progress: options.onWaiting && {
          what: `${resource} (OLM installing its ClusterServiceVersion)`,
          log: options.onWaiting,
        },
      },
    );
    if (!installed || 'failed' in installed) {
      throw new EnsureError(
        resource,
        'wait for the operator',
        installed ? 'InstallFailed' : 'Timeout',
        done,
        undefined,
        installed && 'failed' in installed
          ? installed.failed
          : 'OLM did not report an installed ClusterServiceVersion in time',
      );
    }
    const entry = results.find(r => r.resource === resource);
    entry?.changes.push(`installed ${installed.csv}`);
  }
  return results;
}
