/**
 * Comparison of an Application's desired state (rendered from git) with the
 * live state in the store, as Argo CD's `CompareAppState` and gitops-engine's
 * `Reconcile` do: which objects the app manages, which are hooks, their sync
 * status, sync wave and health.
 */
import { KubeObject, ObjectStore, ResourceType } from '../kube/types';
import {
  ANNOTATION_COMPARE_OPTIONS,
  ANNOTATION_HOOK,
  ANNOTATION_HOOK_DELETE_POLICY,
  ANNOTATION_IGNORE_HEALTH,
  ANNOTATION_LAST_APPLIED,
  ANNOTATION_SYNC_WAVE,
  ANNOTATION_TRACKING_ID,
  Application,
  ApplicationCondition,
  ApplicationSource,
  AppProject,
  HELM_HOOK,
  HELM_HOOK_DELETE_POLICY,
  HELM_HOOK_WEIGHT,
  HealthStatus,
  ResourceStatus,
  groupOf,
  versionOf,
} from './argocdTypes';
import { isGroupKindPermitted } from './argocdProject';
import { HealthOverrides, isWorse, resourceHealth } from './argocdHealth';
import { ManifestRenderer, RenderError } from './argocdRender';

// ---------------------------------------------------------------------------
// Hooks and waves (gitops-engine pkg/sync/hook, syncwaves)

const annotationsOf = (o: KubeObject | undefined) =>
  (o?.metadata?.annotations ?? {}) as Record<string, string>;

function csv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
}

const HOOK_TYPES = new Set(['PreSync', 'Sync', 'PostSync', 'SyncFail', 'Skip']);

const HELM_HOOK_TYPES: Record<string, string> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};

/** The hook types of an object (`hook.Types`): Argo CD's annotation, else Helm's. */
export function hookTypes(obj: KubeObject | undefined): string[] {
  const a = annotationsOf(obj);
  const types = csv(a[ANNOTATION_HOOK]).filter(t => HOOK_TYPES.has(t));
  if (types.length > 0) return types;
  return [
    ...new Set(
      csv(a[HELM_HOOK])
        .map(t => HELM_HOOK_TYPES[t])
        .filter(Boolean),
    ),
  ];
}

/** `hook.Skip`: annotated `Skip` and nothing else. */
export function isSkip(obj: KubeObject | undefined): boolean {
  const types = hookTypes(obj);
  return types.includes('Skip') && types.length === 1;
}

/** `hook.IsHook`. */
export function isHook(obj: KubeObject | undefined): boolean {
  const a = annotationsOf(obj);
  if (ANNOTATION_HOOK in a) return !isSkip(obj);
  return HELM_HOOK in a && hookTypes(obj).length > 0;
}

/** The sync phases an object takes part in (`syncPhases`). */
export function syncPhases(obj: KubeObject): string[] {
  if (isSkip(obj)) return [];
  if (isHook(obj)) {
    return [...new Set(hookTypes(obj).filter(t => t !== 'Skip'))];
  }
  return ['Sync'];
}

/** `hook.DeletePolicies`; `BeforeHookCreation` when none is given. */
export function deletePolicies(obj: KubeObject | undefined): string[] {
  const a = annotationsOf(obj);
  const policies = csv(a[ANNOTATION_HOOK_DELETE_POLICY]).filter(p =>
    ['HookSucceeded', 'HookFailed', 'BeforeHookCreation'].includes(p),
  );
  const helm: Record<string, string> = {
    'before-hook-creation': 'BeforeHookCreation',
    'hook-succeeded': 'HookSucceeded',
    'hook-failed': 'HookFailed',
  };
  for (const p of csv(a[HELM_HOOK_DELETE_POLICY])) {
    if (helm[p]) policies.push(helm[p]);
  }
  return policies.length > 0 ? policies : ['BeforeHookCreation'];
}

/** Go's `strconv.Atoi`: an optional sign and decimal digits, nothing else. */
export function atoi(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * `syncwaves.Wave`: the `argocd.argoproj.io/sync-wave` annotation parsed
 * with Atoi; anything else (`"1.5"`, `" 1"`) falls back to the Helm hook
 * weight, else 0.
 */
export function syncWave(obj: KubeObject | undefined): number {
  const a = annotationsOf(obj);
  return atoi(a[ANNOTATION_SYNC_WAVE]) ?? atoi(a[HELM_HOOK_WEIGHT]) ?? 0;
}

/** Whether a comma-separated options annotation holds an option. */
export function hasAnnotationOption(
  obj: KubeObject | undefined,
  annotation: string,
  option: string,
): boolean {
  return csv(annotationsOf(obj)[annotation]).includes(option);
}

// ---------------------------------------------------------------------------
// Tracking (annotation tracking, Argo CD 3.x's default)

/** `<app>:<group>/<kind>:<namespace>/<name>`. */
export function trackingId(
  appName: string,
  group: string,
  kind: string,
  namespace: string | undefined,
  name: string,
): string {
  return `${appName}:${group}/${kind}:${namespace ?? ''}/${name}`;
}

/** The app a live object is tracked by, if its tracking id is its own. */
export function trackedBy(
  obj: KubeObject,
  namespaced: boolean,
): string | undefined {
  const id = annotationsOf(obj)[ANNOTATION_TRACKING_ID];
  if (!id) return undefined;
  const i = id.indexOf(':');
  if (i < 0) return undefined;
  const appName = id.slice(0, i);
  const expected = trackingId(
    appName,
    groupOf(obj.apiVersion),
    obj.kind,
    namespaced ? obj.metadata.namespace : '',
    obj.metadata.name,
  );
  // A copied annotation (e.g. on an object created by another controller
  // from a template) does not make the copy part of the app.
  return id === expected ? appName : undefined;
}

// ---------------------------------------------------------------------------
// Diff

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isEmpty = (v: unknown) =>
  (Array.isArray(v) && v.length === 0) ||
  (isPlainObject(v) && Object.keys(v).length === 0);

/**
 * Whether every field of `desired` is present and equal in `live`: maps
 * recursively, lists element by element with equal length, scalars equal.
 * An empty map or list matches an absent field, as the API server drops
 * them.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === null || desired === undefined) {
    return live === null || live === undefined;
  }
  if (live === undefined || live === null) return isEmpty(desired);
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((d, i) => isSubset(d, live[i]))
    );
  }
  if (isPlainObject(desired)) {
    return (
      isPlainObject(live) &&
      Object.entries(desired).every(([k, v]) => isSubset(v, live[k]))
    );
  }
  return desired === live;
}

/** A Secret's `stringData` folded into `data`, as the API server stores it. */
export function foldStringData(obj: KubeObject): KubeObject {
  if (groupOf(obj.apiVersion) !== '' || obj.kind !== 'Secret') return obj;
  const stringData = obj.stringData as Record<string, string> | undefined;
  if (!stringData) return obj;
  const { stringData: _, ...rest } = obj;
  const data = { ...((obj.data as Record<string, string>) ?? {}) };
  for (const [k, v] of Object.entries(stringData)) {
    data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  return { ...rest, data } as KubeObject;
}

function removePointer(obj: unknown, pointer: string) {
  const parts = pointer
    .split('/')
    .slice(1)
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string, unknown>)[parts[i]];
  }
  if (cur !== null && typeof cur === 'object' && parts.length > 0) {
    const last = parts[parts.length - 1];
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete (cur as Record<string, unknown>)[last];
  }
}

/** The fields of a desired object that take part in the comparison. */
function comparable(
  target: KubeObject,
  app: Application,
  group: string,
): Record<string, unknown> {
  const { status: _s, metadata, ...rest } = foldStringData(target);
  const meta: Record<string, unknown> = { name: metadata.name };
  if (metadata.namespace) meta.namespace = metadata.namespace;
  if (metadata.labels) meta.labels = metadata.labels;
  if (metadata.annotations) meta.annotations = metadata.annotations;
  const out = structuredClone({ ...rest, metadata: meta }) as Record<
    string,
    unknown
  >;
  for (const rule of app.spec.ignoreDifferences ?? []) {
    if ((rule.group ?? '') !== group || rule.kind !== target.kind) continue;
    if (rule.name && rule.name !== metadata.name) continue;
    if (rule.namespace && rule.namespace !== metadata.namespace) continue;
    for (const p of rule.jsonPointers ?? []) removePointer(out, p);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Compare

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

/** `status.resources` of a comparison, sorted as Argo CD sorts them. */
export function resourceStatuses(result: CompareResult): ResourceStatus[] {
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
      if (r.health)
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

/** Drops the annotation kubectl writes, for comparing applied configurations. */
export function withoutLastApplied(obj: KubeObject): KubeObject {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  delete annotations[ANNOTATION_LAST_APPLIED];
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}
