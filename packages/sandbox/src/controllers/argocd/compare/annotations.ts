/**
 * What Argo CD reads from a resource's annotations: hooks and their delete
 * policies, sync waves, per-resource options (gitops-engine `pkg/sync/hook`,
 * `syncwaves`), and annotation tracking (Argo CD 3.x's default).
 */
import { KubeObject } from '../../../kube/types';
import {
  ANNOTATION_HOOK,
  ANNOTATION_HOOK_DELETE_POLICY,
  ANNOTATION_SYNC_WAVE,
  ANNOTATION_TRACKING_ID,
  HELM_HOOK,
  HELM_HOOK_DELETE_POLICY,
  HELM_HOOK_WEIGHT,
  groupOf,
} from '../types';

/** A resource's annotations (none: empty). */
export const annotationsOf = (o: KubeObject | undefined) =>
  (o?.metadata?.annotations ?? {}) as Record<string, string>;

// ---------------------------------------------------------------------------
// Hooks and waves (gitops-engine pkg/sync/hook, syncwaves)

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
