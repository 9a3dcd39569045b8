/**
 * Comparison of an Application's desired state (rendered from git) with the
 * live state in the store, as Argo CD's `CompareAppState` and gitops-engine's
 * `Reconcile` do: which objects the app manages, which are hooks, their sync
 * status, sync wave and health.
 */
import { KubeObject, ObjectStore, ResourceType } from '../../../kube/types';
import {
  ANNOTATION_COMPARE_OPTIONS,
  ANNOTATION_IGNORE_HEALTH,
  ANNOTATION_TRACKING_ID,
  Application,
  ApplicationCondition,
  ApplicationSource,
  AppProject,
  HealthStatus,
  ResourceStatus,
  groupOf,
  versionOf,
} from '../types';
import { isGroupKindPermitted } from '../project';
import { HealthOverrides, isWorse, resourceHealth } from '../health';
import { ManifestRenderer, RenderError } from '../render';
import {
  annotationsOf,
  hasAnnotationOption,
  isHook,
  isSkip,
  syncWave,
  trackedBy,
  trackingId,
} from './annotations';
import { comparable, isSubset } from './diff';

export {
  atoi,
  deletePolicies,
  hasAnnotationOption,
  isHook,
  syncPhases,
  syncWave,
  trackedBy,
  trackingId,
} from './annotations';
export { foldStringData, isSubset } from './diff';

/** A resource the app manages: a desired object, its live object, or both. */
export interface ManagedResource {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  namespaced: boolean;
  /** Whether the store serves the kind. */
  served: boolean;
  /** Desired object: namespace filled in, tracking annotation added. */
  target?: KubeObject;
  live?: KubeObject;
  hook: boolean;
  status?: 'Synced' | 'OutOfSync' | 'Unknown';
  requiresPruning?: boolean;
  syncWave?: number;
  health?: HealthStatus;
}

/** Result of comparing an Application at a revision. */
export interface CompareResult {
  /** Resolved commit SHA (absent when resolution failed). */
  revision?: string;
  source: ApplicationSource;
  sourceType?: 'Kustomize' | 'Directory';
  /** Non-hook desired objects paired with live ones, then extra live objects. */
  resources: ManagedResource[];
  /** Desired hooks. */
  hooks: KubeObject[];
  syncStatus: 'Synced' | 'OutOfSync' | 'Unknown';
  health: HealthStatus;
  /** ComparisonError conditions (manifest generation). */
  conditions: ApplicationCondition[];
  /** Whether the desired state could not be loaded. */
  failed: boolean;
}

/** Types whose objects the live-state scan skips (Argo CD's default exclusions). */
const EXCLUDED_KINDS = new Set(['/Event', 'events.k8s.io/Event']);

function typeFor(store: ObjectStore, apiVersion: string, kind: string) {
  try {
    return store.typeOf(apiVersion, kind);
  } catch {
    const group = groupOf(apiVersion);
    return store.types().find(t => t.group === group && t.kind === kind);
  }
}

/** The live objects tracked by an app (by tracking annotation). */
export function trackedObjects(
  store: ObjectStore,
  appName: string,
): Array<{ obj: KubeObject; type: ResourceType }> {
  const out: Array<{ obj: KubeObject; type: ResourceType }> = [];
  const seen = new Set<string>();
  for (const type of store.types()) {
    const gk = `${type.group}/${type.kind}`;
    if (EXCLUDED_KINDS.has(gk) || seen.has(gk)) continue;
    seen.add(gk);
    const apiVersion = type.group
      ? `${type.group}/${type.version}`
      : type.version;
    for (const obj of store.list(apiVersion, type.kind)) {
      if (trackedBy(obj, type.namespaced) === appName) out.push({ obj, type });
    }
  }
  return out;
}

const resourceKey = (
  group: string,
  kind: string,
  namespace: string,
  name: string,
) => `${group}/${kind}/${namespace}/${name}`;

/** Options of {@link compareAppState}. */
export interface CompareOptions {
  store: ObjectStore;
  renderer: ManifestRenderer;
  app: Application;
  project: AppProject | undefined;
  source: ApplicationSource;
  /** Revision to compare with (branch, tag, SHA; empty = HEAD). */
  revision: string | undefined;
  /** Already resolved SHA (comparison with the most recent revision). */
  resolvedRevision?: string;
  hard?: boolean;
  healthOverrides: HealthOverrides;
}

/**
 * Compares an Application's desired state at a revision with the live
 * state: `CompareAppState` + `setApplicationHealth`.
 */
export async function compareAppState(
  options: CompareOptions,
): Promise<CompareResult> {
  const { store, renderer, app, source } = options;
  const appName = app.metadata.name;
  const destNamespace = app.spec.destination?.namespace ?? '';
  const conditions: ApplicationCondition[] = [];
  let revision: string | undefined;
  let sourceType: CompareResult['sourceType'];
  let targets: KubeObject[] = [];
  let failed = false;
  try {
    renderer.checkRepo(source.repoURL);
    revision =
      options.resolvedRevision ??
      (await renderer.resolveRevision(options.revision));
    const rendered = await renderer.render(revision, source, {
      hard: options.hard,
    });
    targets = rendered.objects;
    sourceType = rendered.sourceType;
  } catch (e) {
    failed = true;
    const desc = e instanceof RenderError ? e.message : String(e);
    conditions.push({
      type: 'ComparisonError',
      message: `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${desc}`,
    });
  }

  // Reconcile: split hooks, pair desired objects with live ones by key.
  const hooks: KubeObject[] = [];
  const resources: ManagedResource[] = [];
  const byKey = new Map<string, ManagedResource>();
  for (const t of targets) {
    if (!t?.metadata?.name && !t?.metadata?.generateName) continue;
    if (isHook(t)) {
      hooks.push(t);
      continue;
    }
    const group = groupOf(t.apiVersion);
    const type = typeFor(store, t.apiVersion, t.kind);
    const namespaced = type ? type.namespaced : true;
    const namespace = namespaced ? t.metadata.namespace || destNamespace : '';
    const target = structuredClone(t);
    if (namespaced) target.metadata.namespace = namespace;
    else delete target.metadata.namespace;
    target.metadata.annotations = {
      ...(target.metadata.annotations ?? {}),
      [ANNOTATION_TRACKING_ID]: trackingId(
        appName,
        group,
        t.kind,
        namespace,
        t.metadata.name,
      ),
    };
    let live: KubeObject | undefined;
    if (type) {
      try {
        live = store.get({
          apiVersion: t.apiVersion,
          kind: t.kind,
          namespace,
          name: t.metadata.name,
        });
      } catch {
        live = undefined;
      }
    }
    const r: ManagedResource = {
      group,
      version: versionOf(t.apiVersion),
      kind: t.kind,
      namespace,
      name: t.metadata.name,
      namespaced,
      served: Boolean(type),
      target,
      live,
      hook: false,
      syncWave: syncWave(t),
    };
    const key = resourceKey(group, t.kind, namespace, t.metadata.name);
    if (byKey.has(key)) continue;
    byKey.set(key, r);
    resources.push(r);
  }
  for (const { obj, type } of trackedObjects(store, appName)) {
    const key = resourceKey(
      type.group,
      obj.kind,
      type.namespaced ? obj.metadata.namespace ?? '' : '',
      obj.metadata.name,
    );
    if (byKey.has(key)) continue;
    const r: ManagedResource = {
      group: type.group,
      version: type.version,
      kind: obj.kind,
      namespace: type.namespaced ? obj.metadata.namespace ?? '' : '',
      name: obj.metadata.name,
      namespaced: type.namespaced,
      served: true,
      live: obj,
      hook: isHook(obj),
    };
    byKey.set(key, r);
    resources.push(r);
  }

  // Sync status of each resource and of the app.
  let syncStatus: CompareResult['syncStatus'] = 'Synced';
  for (const r of resources) {
    if (r.hook || (r.target && isSkip(r.target))) continue;
    if (
      !r.target ||
      !r.live ||
      !isSubset(comparable(r.target, app, r.group), r.live)
    ) {
      r.status = 'OutOfSync';
      r.requiresPruning = !r.target && Boolean(r.live);
      const ignoreExtraneous =
        r.requiresPruning &&
        hasAnnotationOption(
          r.live,
          ANNOTATION_COMPARE_OPTIONS,
          'IgnoreExtraneous',
        );
      if (!ignoreExtraneous) syncStatus = 'OutOfSync';
    } else {
      r.status = 'Synced';
    }
    if (
      options.project &&
      !isGroupKindPermitted(options.project, r.group, r.kind, r.namespaced)
    ) {
      r.status = 'Unknown';
    }
    if (failed) r.status = 'Unknown';
  }
  if (failed) syncStatus = 'Unknown';

  // Health (controller/health.go setApplicationHealth).
  let appHealth = 'Healthy';
  let containsResources = false;
  let containsLive = false;
  for (const r of resources) {
    if (r.target && isSkip(r.target)) continue;
    if (r.live && (isHook(r.live) || r.hook)) continue;
    containsResources = true;
    if (r.live) containsLive = true;
    if (annotationsOf(r.live)[ANNOTATION_IGNORE_HEALTH] === 'true') continue;
    let health: HealthStatus | undefined;
    if (!r.live) health = { status: 'Missing' };
    else health = await resourceHealth(r.live, options.healthOverrides);
    if (!health) continue;
    r.health = health;
    if (!r.live) continue;
    if (isWorse(appHealth, health.status)) appHealth = health.status;
  }
  if (containsResources && !containsLive && isWorse(appHealth, 'Missing')) {
    appHealth = 'Missing';
  }

  return {
    revision,
    source,
    sourceType,
    resources,
    hooks,
    syncStatus,
    health: { status: appHealth },
    conditions,
    failed,
  };
}

/**
 * `status.resources` of a comparison, sorted as Argo CD sorts them; with
 * each resource's health only when `persistHealth` (Argo CD 2.x, or 3.x
 * with `--persist-resource-health`).
 */
export function resourceStatuses(
  result: CompareResult,
  persistHealth: boolean,
): ResourceStatus[] {
  return result.resources
    .map(r => {
      const s: ResourceStatus = {
        group: r.group,
        version: r.version,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
      };
      if (r.status) s.status = r.status;
      // An empty status (a script returning nothing) is `health: {}`, omitempty.
      if (r.health && persistHealth)
        s.health = r.health.status ? { ...r.health } : ({} as HealthStatus);
      if (r.hook) s.hook = true;
      if (r.requiresPruning) s.requiresPruning = true;
      if (r.syncWave !== undefined) s.syncWave = r.syncWave;
      return s;
    })
    .sort((a, b) => {
      const ka = [a.group, a.kind, a.namespace, a.name].join('/');
      const kb = [b.group, b.kind, b.namespace, b.name].join('/');
      if (ka < kb) return -1;
      return ka > kb ? 1 : 0;
    });
}
