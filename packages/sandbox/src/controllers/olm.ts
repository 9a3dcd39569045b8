/**
 * Simulated Operator Lifecycle Manager (OLM v0, as on OpenShift 4).
 *
 * A Subscription is resolved against a small built-in catalog (the default
 * OpenShift catalog sources in `openshift-marketplace`). When it resolves,
 * the "install plan" creates the channel head's ClusterServiceVersion after
 * `profile.csvInstallMs`, and the CSV then walks OLM's phases
 * Pending → InstallReady → Installing → Succeeded, one step per half
 * `csvInstallMs`. The namespace must have exactly one OperatorGroup, or the
 * CSV fails as OLM's operator does (`NoOperatorGroup`,
 * `TooManyOperatorGroups`). OperatorGroups get `status.namespaces`.
 *
 * Strings are OLM's (operator-framework/operator-lifecycle-manager
 * `pkg/controller/operators/olm/operator.go` for CSV phases and reasons,
 * `pkg/controller/registry/resolver/resolver.go` for resolution messages,
 * operator-framework/api `subscription_types.go` for Subscription fields).
 *
 * Simplified: no CatalogSource, InstallPlan, PackageManifest or Deployment
 * objects (the Subscription carries no `installPlanRef`); no install-mode or
 * dependency checks; no copied CSVs in other namespaces; `startingCSV` pins
 * the install (no automatic upgrade chain from it); a changed channel
 * installs the new head with `spec.replaces` and deletes the old CSV once the
 * new one Succeeded. Operators' CRDs are always served by the sandbox (its
 * served kinds are fixed when the store is created): a package that lists
 * the CRDs it owns (External Secrets: its kinds and the configuration
 * object its operator waits for) gets them in the CSV's
 * `spec.customresourcedefinitions.owned`, and its CSV stays `Pending`
 * (`RequirementsNotMet`, "one or more requirements couldn't be found") if
 * the sandbox does not serve one, as OLM's requirement check would.
 */
import { KubeObject } from '../kube/types';
import {
  Condition,
  keyOf,
  kubeTime,
  listKeys,
  refOf,
  setCondition,
  stableJson,
  startWorkQueue,
  writeStatus,
} from './kit';
import { Controller, ControllerContext } from './types';

const SUB = {
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'Subscription',
};
const CSV = {
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'ClusterServiceVersion',
};
const OG = { apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup' };

/** One package of the built-in catalog. */
export interface CatalogPackage {
  /** CatalogSource (in `openshift-marketplace`) that ships the package. */
  source: string;
  displayName: string;
  provider: string;
  defaultChannel: string;
  /** CSV names per channel, oldest first; the last one is the channel head. */
  channels: Record<string, string[]>;
  /** CRDs the bundle installs (`spec.customresourcedefinitions.owned`). */
  owned?: OwnedCrd[];
}

/** An entry of a CSV's `spec.customresourcedefinitions.owned`. */
export interface OwnedCrd {
  /** `<plural>.<group>`. */
  name: string;
  version: string;
  kind: string;
}

/** The External Secrets kinds both External Secrets bundles own. */
const EXTERNAL_SECRETS_CRDS: OwnedCrd[] = [
  {
    name: 'clustersecretstores.external-secrets.io',
    version: 'v1',
    kind: 'ClusterSecretStore',
  },
  {
    name: 'externalsecrets.external-secrets.io',
    version: 'v1',
    kind: 'ExternalSecret',
  },
  {
    name: 'secretstores.external-secrets.io',
    version: 'v1',
    kind: 'SecretStore',
  },
];

/** The CatalogSources of a default OpenShift 4 cluster. */
export const CATALOG_SOURCES = [
  'certified-operators',
  'community-operators',
  'redhat-marketplace',
  'redhat-operators',
];

/** Namespace of the global catalog sources on OpenShift. */
export const MARKETPLACE_NAMESPACE = 'openshift-marketplace';

/**
 * The packages the product installs, with plausible channel heads (the
 * sandbox's catalog, not a copy of Red Hat's index).
 */
export const OLM_CATALOG: Record<string, CatalogPackage> = {
  'loki-operator': {
    source: 'redhat-operators',
    displayName: 'Loki Operator',
    provider: 'Red Hat',
    defaultChannel: 'stable-6.2',
    channels: {
      'stable-5.9': ['loki-operator.v5.9.18', 'loki-operator.v5.9.19'],
      'stable-6.0': ['loki-operator.v6.0.9', 'loki-operator.v6.0.10'],
      'stable-6.1': ['loki-operator.v6.1.7', 'loki-operator.v6.1.8'],
      'stable-6.2': ['loki-operator.v6.2.2', 'loki-operator.v6.2.3'],
      'stable-6.3': ['loki-operator.v6.3.0', 'loki-operator.v6.3.1'],
    },
  },
  'cluster-logging': {
    source: 'redhat-operators',
    displayName: 'Red Hat OpenShift Logging',
    provider: 'Red Hat',
    defaultChannel: 'stable-6.2',
    channels: {
      'stable-5.9': ['cluster-logging.v5.9.18', 'cluster-logging.v5.9.19'],
      'stable-6.0': ['cluster-logging.v6.0.9', 'cluster-logging.v6.0.10'],
      'stable-6.1': ['cluster-logging.v6.1.7', 'cluster-logging.v6.1.8'],
      'stable-6.2': ['cluster-logging.v6.2.2', 'cluster-logging.v6.2.3'],
      'stable-6.3': ['cluster-logging.v6.3.0', 'cluster-logging.v6.3.1'],
    },
  },
  'openshift-external-secrets-operator': {
    source: 'redhat-operators',
    displayName: 'External Secrets Operator for Red Hat OpenShift',
    provider: 'Red Hat',
    defaultChannel: 'stable-v1',
    channels: {
      'stable-v1': [
        'external-secrets-operator.v1.0.0',
        'external-secrets-operator.v1.0.1',
      ],
    },
    // openshift/external-secrets-operator bundle/manifests.
    owned: [
      ...EXTERNAL_SECRETS_CRDS,
      {
        name: 'externalsecretsconfigs.operator.openshift.io',
        version: 'v1alpha1',
        kind: 'ExternalSecretsConfig',
      },
    ],
  },
  'external-secrets-operator': {
    source: 'community-operators',
    displayName: 'External Secrets Operator',
    provider: 'External Secrets',
    defaultChannel: 'stable',
    channels: {
      alpha: [
        'external-secrets-operator.v0.20.3',
        'external-secrets-operator.v0.20.4',
      ],
      stable: [
        'external-secrets-operator.v0.20.3',
        'external-secrets-operator.v0.20.4',
      ],
    },
    // external-secrets/external-secrets-helm-operator bundle/manifests.
    owned: [
      ...EXTERNAL_SECRETS_CRDS,
      {
        name: 'operatorconfigs.operator.external-secrets.io',
        version: 'v1alpha1',
        kind: 'OperatorConfig',
      },
    ],
  },
  'openshift-gitops-operator': {
    source: 'redhat-operators',
    displayName: 'Red Hat OpenShift GitOps',
    provider: 'Red Hat Inc',
    defaultChannel: 'latest',
    channels: {
      latest: [
        'openshift-gitops-operator.v1.16.0',
        'openshift-gitops-operator.v1.16.1',
      ],
      'gitops-1.15': [
        'openshift-gitops-operator.v1.15.2',
        'openshift-gitops-operator.v1.15.3',
      ],
      'gitops-1.16': [
        'openshift-gitops-operator.v1.16.0',
        'openshift-gitops-operator.v1.16.1',
      ],
    },
  },
};

/** The outcome of resolving a Subscription. */
export type Resolution =
  | {
      ok: true;
      csv: string;
      head: string;
      pkg: CatalogPackage;
      channel: string;
    }
  | { ok: false; catalogMissing: boolean; message: string };

/** Resolves a Subscription spec against the catalog, with OLM's messages. */
export function resolveSubscription(sub: KubeObject): Resolution {
  const spec = (sub.spec ?? {}) as {
    name?: string;
    channel?: string;
    source?: string;
    sourceNamespace?: string;
    startingCSV?: string;
  };
  const subName = sub.metadata.name;
  const source = spec.source ?? '';
  const sourceNamespace = spec.sourceNamespace ?? '';
  if (
    sourceNamespace !== MARKETPLACE_NAMESPACE ||
    !CATALOG_SOURCES.includes(source)
  ) {
    return {
      ok: false,
      catalogMissing: true,
      message: `constraints not satisfiable: no operators found from catalog ${source} in namespace ${sourceNamespace} referenced by subscription ${subName}`,
    };
  }
  const pkg = OLM_CATALOG[spec.name ?? ''];
  if (!pkg || pkg.source !== source) {
    return {
      ok: false,
      catalogMissing: false,
      message: `constraints not satisfiable: no operators found in package ${spec.name} in the catalog referenced by subscription ${subName}`,
    };
  }
  const channel = spec.channel || pkg.defaultChannel;
  const csvs = pkg.channels[channel];
  if (!csvs) {
    return {
      ok: false,
      catalogMissing: false,
      message: `constraints not satisfiable: no operators found in channel ${channel} of package ${spec.name} in the catalog referenced by subscription ${subName}`,
    };
  }
  const head = csvs[csvs.length - 1];
  if (spec.startingCSV && !csvs.includes(spec.startingCSV)) {
    return {
      ok: false,
      catalogMissing: false,
      message: `constraints not satisfiable: no operators found with name ${spec.startingCSV} in channel ${channel} of package ${spec.name} in the catalog referenced by subscription ${subName}`,
    };
  }
  return { ok: true, csv: spec.startingCSV || head, head, pkg, channel };
}

// OLM's CSV phases and their reasons/messages (operator.go).
const STEPS = [
  {
    phase: 'Pending',
    reason: 'RequirementsUnknown',
    message: 'requirements not yet checked',
  },
  {
    phase: 'InstallReady',
    reason: 'AllRequirementsMet',
    message: 'all requirements found, attempting install',
  },
  {
    phase: 'Installing',
    reason: 'InstallSucceeded',
    message: 'waiting for install components to report healthy',
  },
  {
    phase: 'Succeeded',
    reason: 'InstallSucceeded',
    message: 'install strategy completed with no errors',
  },
];

const REQUIREMENTS_NOT_MET = {
  phase: 'Pending',
  reason: 'RequirementsNotMet',
  message: "one or more requirements couldn't be found",
};

const NO_OG = {
  phase: 'Failed',
  reason: 'NoOperatorGroup',
  message: 'csv in namespace with no operatorgroups',
};
const TOO_MANY_OG = {
  phase: 'Failed',
  reason: 'TooManyOperatorGroups',
  message:
    "csv created in namespace with multiple operatorgroups, can't pick one automatically",
};

interface CsvStatus {
  phase?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  conditions?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

function csvPhase(
  current: CsvStatus,
  step: { phase: string; reason: string; message: string },
): CsvStatus {
  if (
    current.phase === step.phase &&
    current.reason === step.reason &&
    current.message === step.message
  ) {
    return current;
  }
  const now = kubeTime();
  const entry = { ...step, lastTransitionTime: now, lastUpdateTime: now };
  return {
    ...current,
    ...entry,
    // OLM keeps the phase history in status.conditions (bounded).
    conditions: [...(current.conditions ?? []), entry].slice(-20),
  };
}

/**
 * Starts the simulated OLM: Subscriptions, ClusterServiceVersions and
 * OperatorGroup status. Seeds the `global-operators` OperatorGroup in
 * `openshift-operators` when that namespace has none, as OpenShift ships it.
 */
export function startOlmController(ctx: ControllerContext): Controller {
  const { store, profile } = ctx;
  const stepMs = Math.max(1, Math.round(profile.csvInstallMs / 2));
  // When each Subscription (by uid) was resolved, to time its install plan.
  const resolvedAt = new Map<string, { csv: string; at: number }>();
  // When this controller last moved each CSV (by uid) to a new phase.
  const phaseAt = new Map<string, number>();

  if (
    store.get({
      apiVersion: 'v1',
      kind: 'Namespace',
      name: 'openshift-operators',
    }) &&
    store.list(OG.apiVersion, OG.kind, { namespace: 'openshift-operators' })
      .length === 0
  ) {
    store.create({
      apiVersion: OG.apiVersion,
      kind: OG.kind,
      metadata: { name: 'global-operators', namespace: 'openshift-operators' },
      spec: {},
    });
  }

  const operatorGroups = (namespace: string) =>
    store.list(OG.apiVersion, OG.kind, { namespace });

  const reconcileOperatorGroup = (key: string) => {
    const og = store.get(refOf(OG.apiVersion, OG.kind, key));
    if (!og) return;
    const spec = (og.spec ?? {}) as {
      targetNamespaces?: string[];
      selector?: unknown;
    };
    // OLM: explicit targets, else all namespaces ("") unless a selector is set.
    let namespaces = spec.selector ? [] : [''];
    if (spec.targetNamespaces?.length) namespaces = [...spec.targetNamespaces];
    writeStatus(store, refOf(OG.apiVersion, OG.kind, key), current => {
      const status = (current.status ?? {}) as Record<string, unknown>;
      if (JSON.stringify(status.namespaces) === JSON.stringify(namespaces)) {
        return undefined;
      }
      return { ...status, namespaces, lastUpdated: kubeTime() };
    });
  };

  /** The CRDs a CSV owns that the sandbox does not serve. */
  const unservedCrds = (csv: KubeObject): OwnedCrd[] => {
    const owned = (
      csv.spec as { customresourcedefinitions?: { owned?: OwnedCrd[] } }
    )?.customresourcedefinitions?.owned;
    return (owned ?? []).filter(crd => {
      const group = crd.name.slice(crd.name.indexOf('.') + 1);
      try {
        store.typeOf(`${group}/${crd.version}`, crd.kind);
        return false;
      } catch {
        return true;
      }
    });
  };

  const reconcileCsv = (key: string): number | void => {
    const ref = refOf(CSV.apiVersion, CSV.kind, key);
    const csv = store.get(ref);
    if (!csv) return undefined;
    const groups = operatorGroups(csv.metadata.namespace!);
    const current = (csv.status ?? {}) as CsvStatus;
    let next: CsvStatus;
    let requeue: number | undefined;
    if (groups.length === 0) {
      next = csvPhase(current, NO_OG);
    } else if (groups.length > 1) {
      next = csvPhase(current, TOO_MANY_OG);
    } else {
      const index = STEPS.findIndex(
        s => s.phase === current.phase && s.reason === current.reason,
      );
      if (index === STEPS.length - 1) return undefined;
      const missing = unservedCrds(csv);
      if (missing.length > 0) {
        // The sandbox cannot install a CRD: its served kinds are fixed.
        const pending = csvPhase(current, REQUIREMENTS_NOT_MET);
        next =
          pending === current
            ? current
            : {
                ...pending,
                requirementStatus: missing.map(crd => ({
                  group: 'apiextensions.k8s.io',
                  version: 'v1',
                  kind: 'CustomResourceDefinition',
                  name: crd.name,
                  status: 'NotPresent',
                  message: 'CRD is not present',
                })),
              };
      } else if (index < 0) {
        // New, or recovering from Failed once the OperatorGroup is fixed.
        next = csvPhase(current, STEPS[0]);
        requeue = stepMs;
      } else {
        // Status times have second precision; prefer the precise one.
        const since =
          phaseAt.get(csv.metadata.uid!) ??
          (Date.parse(current.lastTransitionTime ?? '') || 0);
        const wait = since + stepMs - Date.now();
        if (wait > 0) return wait;
        next = csvPhase(current, STEPS[index + 1]);
        if (index + 1 < STEPS.length - 1) requeue = stepMs;
      }
    }
    if (next !== current) {
      writeStatus(store, ref, () => next);
      phaseAt.set(csv.metadata.uid!, Date.now());
      ctx.log(
        `olm: csv ${key} ${next.phase}${
          next.reason ? ` (${next.reason})` : ''
        }`,
      );
    }
    return requeue;
  };

  const createCsv = (
    sub: KubeObject,
    resolution: Extract<Resolution, { ok: true }>,
    replaces: string | undefined,
  ) => {
    const namespace = sub.metadata.namespace!;
    const groups = operatorGroups(namespace);
    const og = groups.length === 1 ? groups[0] : undefined;
    const version = resolution.csv.replace(/^.*?\.v/, '');
    const pkgName = (sub.spec as { name: string }).name;
    store.create({
      apiVersion: CSV.apiVersion,
      kind: CSV.kind,
      metadata: {
        name: resolution.csv,
        namespace,
        labels: {
          'olm.managed': 'true',
          [`operators.coreos.com/${pkgName}.${namespace}`]: '',
        },
        annotations: {
          ...(og
            ? {
                'olm.operatorGroup': og.metadata.name,
                'olm.operatorNamespace': namespace,
                'olm.targetNamespaces': (
                  (og.spec as { targetNamespaces?: string[] })
                    ?.targetNamespaces ?? []
                ).join(','),
              }
            : {}),
          'operatorframework.io/properties': JSON.stringify({
            properties: [
              {
                type: 'olm.package',
                value: { packageName: pkgName, version },
              },
            ],
          }),
        },
      },
      spec: {
        displayName: resolution.pkg.displayName,
        version,
        provider: { name: resolution.pkg.provider },
        ...(replaces ? { replaces } : {}),
        ...(resolution.pkg.owned
          ? { customresourcedefinitions: { owned: resolution.pkg.owned } }
          : {}),
        installModes: [
          { type: 'OwnNamespace', supported: true },
          { type: 'SingleNamespace', supported: true },
          { type: 'MultiNamespace', supported: false },
          { type: 'AllNamespaces', supported: true },
        ],
      },
    });
    ctx.log(
      `olm: installed csv ${namespace}/${
        resolution.csv
      } for subscription ${keyOf(sub)}`,
    );
  };

  const healthyCatalogs = (previous: unknown) => {
    // Keep the first-seen timestamps so a steady state writes nothing.
    const prev = Array.isArray(previous) ? previous : [];
    return CATALOG_SOURCES.map(name => {
      const old = prev.find(
        (h: { catalogSourceRef?: { name?: string } }) =>
          h?.catalogSourceRef?.name === name,
      );
      return {
        catalogSourceRef: {
          apiVersion: 'operators.coreos.com/v1alpha1',
          kind: 'CatalogSource',
          name,
          namespace: MARKETPLACE_NAMESPACE,
        },
        healthy: true,
        lastUpdated:
          (old as { lastUpdated?: string })?.lastUpdated ?? kubeTime(),
      };
    });
  };

  const reconcileSubscription = (key: string): number | void => {
    const ref = refOf(SUB.apiVersion, SUB.kind, key);
    const sub = store.get(ref);
    if (!sub) return undefined;
    const uid = sub.metadata.uid!;
    const namespace = sub.metadata.namespace!;
    const resolution = resolveSubscription(sub);
    const status = (sub.status ?? {}) as Record<string, unknown>;
    let conditions = (status.conditions ?? []) as Condition[];

    if (!resolution.ok) {
      resolvedAt.delete(uid);
      conditions = setCondition(conditions, {
        type: 'CatalogSourcesUnhealthy',
        status: resolution.catalogMissing ? 'True' : 'False',
        reason: resolution.catalogMissing
          ? 'UnhealthyCatalogSourceFound'
          : 'AllCatalogSourcesHealthy',
        message: resolution.catalogMissing
          ? `targeted catalogsource ${
              (sub.spec as { sourceNamespace?: string }).sourceNamespace
            }/${(sub.spec as { source?: string }).source} missing`
          : 'all available catalogsources are healthy',
      });
      conditions = setCondition(conditions, {
        type: 'ResolutionFailed',
        status: 'True',
        reason: 'ConstraintsNotSatisfiable',
        message: resolution.message,
      });
      writeStatus(store, ref, current => {
        const s = (current.status ?? {}) as Record<string, unknown>;
        const next = {
          ...s,
          catalogHealth: healthyCatalogs(s.catalogHealth),
          conditions,
        };
        return sameExceptTime(s, next)
          ? undefined
          : { ...next, lastUpdated: kubeTime() };
      });
      return undefined;
    }

    const existing = store.get({ ...CSV, namespace, name: resolution.csv });
    const installed = status.installedCSV as string | undefined;
    let requeue: number | undefined;
    if (!existing) {
      const plan = resolvedAt.get(uid);
      if (!plan || plan.csv !== resolution.csv) {
        resolvedAt.set(uid, { csv: resolution.csv, at: Date.now() });
        requeue = profile.csvInstallMs;
      } else {
        const wait = plan.at + profile.csvInstallMs - Date.now();
        if (wait > 0) {
          requeue = wait;
        } else {
          createCsv(
            sub,
            resolution,
            installed !== resolution.csv ? installed : undefined,
          );
          resolvedAt.delete(uid);
        }
      }
    } else if (
      installed &&
      installed !== resolution.csv &&
      (existing.status as CsvStatus | undefined)?.phase === 'Succeeded'
    ) {
      // The replacement succeeded: OLM garbage-collects the replaced CSV.
      try {
        store.delete({ ...CSV, namespace, name: installed });
      } catch {
        // already gone
      }
    }

    const csvNow = store.get({ ...CSV, namespace, name: resolution.csv });
    conditions = setCondition(conditions, {
      type: 'CatalogSourcesUnhealthy',
      status: 'False',
      reason: 'AllCatalogSourcesHealthy',
      message: 'all available catalogsources are healthy',
    });
    conditions = conditions.filter(c => c.type !== 'ResolutionFailed');
    writeStatus(store, ref, current => {
      const s = (current.status ?? {}) as Record<string, unknown>;
      const next: Record<string, unknown> = {
        ...s,
        catalogHealth: healthyCatalogs(s.catalogHealth),
        conditions,
        currentCSV: resolution.csv,
        state:
          csvNow && resolution.csv === resolution.head
            ? 'AtLatestKnown'
            : 'UpgradePending',
      };
      if (csvNow) next.installedCSV = resolution.csv;
      return sameExceptTime(s, next)
        ? undefined
        : { ...next, lastUpdated: kubeTime() };
    });
    return requeue;
  };

  const namespaceKeys =
    (kind: { apiVersion: string; kind: string }) => (o: KubeObject) =>
      store
        .list(kind.apiVersion, kind.kind, { namespace: o.metadata.namespace })
        .map(keyOf);

  const subs = startWorkQueue({
    ctx,
    name: 'olm-subscriptions',
    watches: [
      { ...SUB, keys: o => [keyOf(o)] },
      { ...CSV, keys: namespaceKeys(SUB) },
      { ...OG, keys: namespaceKeys(SUB) },
    ],
    listKeys: () => listKeys(store, SUB.apiVersion, SUB.kind),
    resyncMs: profile.csvInstallMs * 10,
    reconcile: reconcileSubscription,
  });
  const csvs = startWorkQueue({
    ctx,
    name: 'olm-csvs',
    watches: [
      {
        ...CSV,
        keys: (o, type) => {
          if (type !== 'DELETED') return [keyOf(o)];
          phaseAt.delete(o.metadata.uid!);
          return [];
        },
      },
      { ...OG, keys: namespaceKeys(CSV) },
    ],
    listKeys: () => listKeys(store, CSV.apiVersion, CSV.kind),
    resyncMs: profile.csvInstallMs * 10,
    reconcile: reconcileCsv,
  });
  const groups = startWorkQueue({
    ctx,
    name: 'olm-operatorgroups',
    watches: [
      { ...OG, keys: (o, type) => (type === 'DELETED' ? [] : [keyOf(o)]) },
    ],
    listKeys: () => listKeys(store, OG.apiVersion, OG.kind),
    resyncMs: 0,
    reconcile: reconcileOperatorGroup,
  });

  return {
    name: 'olm',
    stop() {
      subs.stop();
      csvs.stop();
      groups.stop();
    },
  };
}

/** Equal apart from `lastUpdated` (which OLM bumps only on real changes). */
function sameExceptTime(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): boolean {
  const { lastUpdated: _a, ...restA } = a;
  const { lastUpdated: _b, ...restB } = b;
  return stableJson(restA) === stableJson(restB);
}
