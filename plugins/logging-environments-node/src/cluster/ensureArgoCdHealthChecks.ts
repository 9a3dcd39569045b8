import { KubernetesObject } from '@kubernetes/client-node';
import { EnsureError } from '../aws/errors';
import { EnsureOptions, EnsureResult, summarize } from '../aws/types';
import {
  ArgoCdFlavour,
  ArgoCdFlavourSetting,
  ArgoCdHealthCheck,
  ArgoCdHealthChecks,
  argoCdHealthCheckKey,
  sameHealthScript,
} from './argoCdHealthChecks';
import { ClusterClient, ObjectRef, notServed } from './client';
import { kubeNotFound, kubeStep } from './step';

/** The OpenShift GitOps operator's resource (`argoproj.io/v1beta1`). */
const ARGOCD_CR = { apiVersion: 'argoproj.io/v1beta1', kind: 'ArgoCD' };
const ARGOCD_CM = 'argocd-cm';

type HealthEntry = { group?: string; kind?: string; check?: string };
type ArgoCdResource = KubernetesObject & {
  spec?: {
    resourceHealthChecks?: HealthEntry[];
    extraConfig?: Record<string, string>;
  };
};
type ConfigMap = KubernetesObject & { data?: Record<string, string> };

/**
 * A cluster's Argo CD flavour, and the `ArgoCD` resource that configures it
 * on OpenShift GitOps.
 *
 * @public
 */
export interface ArgoCdFlavourInfo {
  flavour: ArgoCdFlavour;
  /** OpenShift GitOps: the name of the `ArgoCD` resource in the namespace. */
  instance?: string;
}

/**
 * Finds which Argo CD runs in `namespace`: OpenShift GitOps when an
 * `ArgoCD` resource is there (the operator then owns `argocd-cm`), upstream
 * otherwise (including a cluster that does not serve the kind). A
 * configured flavour other than `auto` is taken as it is, but OpenShift
 * GitOps still needs its `ArgoCD` resource. Errors other than "not served"
 * (e.g. 403) are thrown: guessing wrong would write where the operator
 * reverts it.
 *
 * @public
 */
export async function detectArgoCdFlavour(
  cluster: ClusterClient,
  namespace: string,
  setting: ArgoCdFlavourSetting = 'auto',
): Promise<ArgoCdFlavourInfo> {
  if (setting === 'upstream') return { flavour: 'upstream' };
  let instances: ArgoCdResource[];
  try {
    instances = await cluster.list<ArgoCdResource>(
      ARGOCD_CR.apiVersion,
      ARGOCD_CR.kind,
      { namespace },
    );
  } catch (e) {
    if (!notServed(e)) throw e;
    instances = [];
  }
  const [first] = instances
    .map(i => i.metadata?.name ?? '')
    .filter(Boolean)
    .sort();
  if (first) return { flavour: 'openshift-gitops', instance: first };
  if (setting === 'openshift-gitops') {
    throw kubeNotFound(
      `ArgoCD ${namespace}/*`,
      'find the ArgoCD resource',
      [],
      `the cluster is configured as OpenShift GitOps (argocdFlavour), but there is no ArgoCD resource in ${namespace}`,
    );
  }
  return { flavour: 'upstream' };
}

/** How one shipped check compares with what a place holds. */
export type HealthCheckMatch = 'same' | 'different' | 'missing';

/**
 * What a cluster holds of the shipped health checks.
 *
 * @public
 */
export interface ArgoCdHealthChecksState extends ArgoCdFlavourInfo {
  namespace: string;
  /** Whether `argocd-cm` exists. */
  configMap: boolean;
  checks: Array<{
    group: string;
    kind: string;
    key: string;
    /** What `argocd-cm` holds under the key: the script Argo CD runs. */
    inConfigMap: HealthCheckMatch;
    /** OpenShift GitOps: the `spec.resourceHealthChecks` entry. */
    inResource?: HealthCheckMatch;
    /**
     * OpenShift GitOps: `spec.extraConfig` sets the key too; the operator
     * writes extraConfig last, so it wins over the entry.
     */
    inExtraConfig?: Exclude<HealthCheckMatch, 'missing'>;
  }>;
}

function match(actual: string | undefined, shipped: string): HealthCheckMatch {
  if (actual === undefined) return 'missing';
  return sameHealthScript(actual, shipped) ? 'same' : 'different';
}

const sameKind = (e: HealthEntry, c: ArgoCdHealthCheck) =>
  (e.group ?? '') === c.group && (e.kind ?? '') === c.kind;

/**
 * Reads, without changing anything, how the shipped checks compare with
 * what the cluster's Argo CD holds: `argocd-cm` for either flavour, and on
 * OpenShift GitOps the `ArgoCD` resource's entries and extraConfig.
 *
 * @public
 */
export async function inspectArgoCdHealthChecks(
  cluster: ClusterClient,
  checks: ArgoCdHealthCheck[],
  options: { namespace: string; flavour?: ArgoCdFlavourSetting },
): Promise<ArgoCdHealthChecksState> {
  const { namespace } = options;
  const info = await detectArgoCdFlavour(cluster, namespace, options.flavour);
  const cm = await cluster.get<ConfigMap>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: ARGOCD_CM,
    namespace,
  });
  const cr = info.instance
    ? await cluster.get<ArgoCdResource>({
        ...ARGOCD_CR,
        name: info.instance,
        namespace,
      })
    : undefined;
  const entries = cr?.spec?.resourceHealthChecks ?? [];
  const extraConfig = cr?.spec?.extraConfig ?? {};
  return {
    ...info,
    namespace,
    configMap: Boolean(cm),
    checks: checks.map(c => {
      const key = argoCdHealthCheckKey(c);
      const extra = extraConfig[key];
      // The operator keeps the last entry of a group and kind.
      const entry = [...entries].reverse().find(e => sameKind(e, c));
      return {
        group: c.group,
        kind: c.kind,
        key,
        inConfigMap: match(cm?.data?.[key], c.check),
        ...(info.flavour === 'openshift-gitops'
          ? { inResource: match(entry?.check, c.check) }
          : {}),
        ...(extra !== undefined
          ? {
              inExtraConfig: sameHealthScript(extra, c.check)
                ? ('same' as const)
                : ('different' as const),
            }
          : {}),
      };
    }),
  };
}

const kindName = (c: { group: string; kind: string }) =>
  c.group ? `${c.group}/${c.kind}` : c.kind;

/**
 * Installs the shipped Argo CD health checks in the form the cluster's Argo
 * CD takes, idempotently, touching nothing else:
 *
 * - upstream Argo CD: server-side apply of only the health-check keys of
 *   `argocd-cm` (with its labels), as the product's field manager; other
 *   keys keep their values and owners;
 * - OpenShift GitOps: the operator renders `argocd-cm` from the `ArgoCD`
 *   resource and reverts direct edits, so the checks go into its
 *   `spec.resourceHealthChecks`: the entry of each shipped group and kind
 *   gets the shipped script (added when missing), every other entry is
 *   kept as it is. The list is written whole (it is atomic) with the
 *   resourceVersion it was read at, re-read on a conflict. A
 *   `spec.extraConfig` key that overrides a check with another script is
 *   someone else's decision: that fails, naming the key.
 *
 * Nothing is written when everything already matches; a dry run only
 * reports.
 *
 * @public
 */
export async function ensureArgoCdHealthChecks(
  cluster: ClusterClient,
  shipped: ArgoCdHealthChecks,
  options: EnsureOptions & {
    /** The Argo CD namespace (default `openshift-gitops`). */
    namespace?: string;
    flavour?: ArgoCdFlavourSetting;
  } = {},
): Promise<EnsureResult> {
  const namespace = options.namespace ?? 'openshift-gitops';
  const info = await kubeStep(
    `Argo CD in ${namespace}`,
    'detect its flavour',
    [],
    () => detectArgoCdFlavour(cluster, namespace, options.flavour),
  );
  return info.flavour === 'openshift-gitops'
    ? ensureInArgoCdResource(cluster, shipped.checks, {
        namespace,
        name: info.instance!,
        dryRun: options.dryRun,
      })
    : ensureInConfigMap(cluster, shipped, {
        namespace,
        dryRun: options.dryRun,
      });
}

async function ensureInConfigMap(
  cluster: ClusterClient,
  shipped: ArgoCdHealthChecks,
  options: { namespace: string; dryRun?: boolean },
): Promise<EnsureResult> {
  const { namespace } = options;
  const resource = `ConfigMap ${namespace}/${ARGOCD_CM}`;
  const done: string[] = [];
  const ref = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: ARGOCD_CM,
    namespace,
  };
  const existing = await kubeStep(resource, 'read', done, () =>
    cluster.get<ConfigMap>(ref),
  );
  const changes: string[] = [];
  for (const c of shipped.checks) {
    const state = match(existing?.data?.[argoCdHealthCheckKey(c)], c.check);
    if (state === 'missing') {
      changes.push(`added the health check of ${kindName(c)}`);
    } else if (state === 'different') {
      changes.push(
        `replaced the health check of ${kindName(
          c,
        )} (it differed from the shipped script)`,
      );
    }
  }
  const result = summarize(
    resource,
    Boolean(existing),
    changes,
    options.dryRun,
  );
  if (changes.length && !options.dryRun) {
    await kubeStep(resource, 'apply the health checks', done, () =>
      cluster.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ARGOCD_CM, namespace, labels: shipped.labels },
        data: Object.fromEntries(
          shipped.checks.map(c => [argoCdHealthCheckKey(c), c.check]),
        ),
      } as ConfigMap),
    );
  }
  return result;
}

async function ensureInArgoCdResource(
  cluster: ClusterClient,
  checks: ArgoCdHealthCheck[],
  options: { namespace: string; name: string; dryRun?: boolean },
): Promise<EnsureResult> {
  const ref: ObjectRef = {
    ...ARGOCD_CR,
    name: options.name,
    namespace: options.namespace,
  };
  const resource = `ArgoCD ${options.namespace}/${options.name}`;
  const done: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const cr = await kubeStep(resource, 'read', done, () =>
      cluster.get<ArgoCdResource>(ref),
    );
    if (!cr) {
      throw kubeNotFound(resource, 'read', done, 'the ArgoCD resource is gone');
    }
    const extraConfig = cr.spec?.extraConfig ?? {};
    const overridden = checks.map(argoCdHealthCheckKey).filter((key, i) => {
      const value = extraConfig[key];
      return value !== undefined && !sameHealthScript(value, checks[i].check);
    });
    if (overridden.length) {
      throw new EnsureError(
        resource,
        'check spec.extraConfig',
        'Conflict',
        done,
        undefined,
        `spec.extraConfig sets ${overridden.join(
          ', ',
        )} to another script, and the operator lets extraConfig override spec.resourceHealthChecks: remove ${
          overridden.length > 1 ? 'those keys' : 'that key'
        } (or make them the shipped scripts)`,
      );
    }
    const { entries, changes } = mergeEntries(
      cr.spec?.resourceHealthChecks ?? [],
      checks,
    );
    const result = summarize(resource, true, changes, options.dryRun);
    if (!changes.length || options.dryRun) return result;
    try {
      await kubeStep(resource, 'update spec.resourceHealthChecks', done, () =>
        cluster.mergePatch(ref, {
          metadata: {
            name: options.name,
            namespace: options.namespace,
            // Optimistic locking: the list is replaced whole.
            resourceVersion: cr.metadata?.resourceVersion,
          },
          spec: { resourceHealthChecks: entries },
        }),
      );
      return result;
    } catch (e) {
      // Someone changed the resource since it was read: merge again.
      if (e instanceof EnsureError && e.code === 'Conflict' && attempt < 3) {
        continue;
      }
      throw e;
    }
  }
}

/**
 * The entries with the shipped checks in: the first entry of each shipped
 * group and kind gets the shipped script (later duplicates, which the
 * operator would let win, are dropped), missing ones are appended, every
 * other entry is kept as it is and where it is.
 */
function mergeEntries(
  current: HealthEntry[],
  checks: ArgoCdHealthCheck[],
): { entries: HealthEntry[]; changes: string[] } {
  const entries: HealthEntry[] = [];
  const changes: string[] = [];
  const placed = new Set<ArgoCdHealthCheck>();
  for (const entry of current) {
    const check = checks.find(c => sameKind(entry, c));
    if (!check) {
      entries.push(entry);
      continue;
    }
    if (placed.has(check)) {
      changes.push(`removed a second entry for ${kindName(check)}`);
      continue;
    }
    placed.add(check);
    if (sameHealthScript(entry.check, check.check)) {
      entries.push(entry);
    } else {
      entries.push({ ...entry, check: check.check });
      changes.push(
        `replaced the entry of ${kindName(
          check,
        )} (it differed from the shipped script)`,
      );
    }
  }
  for (const check of checks) {
    if (placed.has(check)) continue;
    entries.push({
      ...(check.group ? { group: check.group } : {}),
      kind: check.kind,
      check: check.check,
    });
    changes.push(`added an entry for ${kindName(check)}`);
  }
  return { entries, changes };
}
