/**
 * Resource health as Argo CD assesses it: health customizations from
 * `argocd-cm` (Lua), Argo CD's built-in Lua scripts
 * (`resource_customizations/`), then gitops-engine's built-in checks
 * (`pkg/health`). A kind with none of these has no health.
 */
import { parse as parseYaml } from 'yaml';
import { KubeObject, ObjectStore } from '../../kube/types';
import { HealthStatus, groupOf } from './types';
import { globMatch } from './project';
import { runHealthLua } from '../lua';

/** Health codes from most to least healthy (`health.IsWorse`). */
const HEALTH_ORDER = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

/** Whether `next` is a worse health status than `current`. */
export function isWorse(current: string, next: string): boolean {
  return (
    Math.max(HEALTH_ORDER.indexOf(next), 0) >
    Math.max(HEALTH_ORDER.indexOf(current), 0)
  );
}

/** A health customization (`ResourceOverride`) from `argocd-cm`. */
export interface HealthOverride {
  healthLua?: string;
  useOpenLibs?: boolean;
}

/** Keyed by `group/Kind` (or `Kind` for the core group), possibly a glob. */
export type HealthOverrides = Record<string, HealthOverride>;

// From argoproj/argo-cd resource_customizations/external-secrets.io/*/health.lua
// and operators.coreos.com/Subscription/health.lua (built in to Argo CD, so
// they apply without any argocd-cm configuration).
const DELETION_BLOCK = `-- Surface deletion progress while the resource is terminating. You can customize this
-- block, e.g. map known finalizers in obj.metadata.finalizers to clearer messages.
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  local deletionHs = {}
  deletionHs.status = "Progressing"
  deletionHs.message = "Pending deletion"
  if obj.metadata.finalizers ~= nil and #obj.metadata.finalizers > 0 then
    deletionHs.message = "Pending deletion; blocked by finalizers: " .. table.concat(obj.metadata.finalizers, ", ")
  end
  return deletionHs
end
`;

const readyConditionScript = (kind: string) => `${DELETION_BLOCK}
local hs = {}
if obj.status ~= nil then
  if obj.status.conditions ~= nil then
    for i, condition in ipairs(obj.status.conditions) do
      if condition.type == "Ready" and condition.status == "False" then
        hs.status = "Degraded"
        hs.message = condition.message
        return hs
      end
      if condition.type == "Ready" and condition.status == "True" then
        hs.status = "Healthy"
        hs.message = condition.message
        return hs
      end
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for ${kind}"
return hs
`;

/** Argo CD's built-in health scripts for the CRDs the sandbox serves. */
export const BUILTIN_HEALTH_LUA: Record<string, string> = {
  'external-secrets.io/ExternalSecret': `${DELETION_BLOCK}
function checkStatus(condition)
  local hs = {}
  if condition.status == "False" then
    hs.status = "Degraded"
    hs.message = condition.message
    return hs
  end
  if condition.status == "True" then
    hs.status = "Healthy"
    hs.message = condition.message
    return hs
  end
end

local hs = {}
if obj.status ~= nil then
  if obj.status.conditions ~= nil then
    for i, condition in ipairs(obj.status.conditions) do
      if condition.type == "Ready" and (obj.spec.refreshPolicy ~= "OnChange" or condition.lastTransitionTime >= obj.status.refreshTime) then
        return checkStatus(condition)
      end
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for ExternalSecret"
return hs
`,
  'external-secrets.io/SecretStore': readyConditionScript('SecretStore'),
  'external-secrets.io/ClusterSecretStore':
    readyConditionScript('ClusterSecretStore'),
  'operators.coreos.com/Subscription': `local health_status = {}
if obj.status ~= nil then
  if obj.status.conditions ~= nil then
    local numDegraded = 0
    local numPending = 0
    local msg = ""
    for i, condition in pairs(obj.status.conditions) do
      msg = msg .. i .. ": " .. condition.type .. " | " .. condition.status .. "\\n"
      if condition.type == "InstallPlanPending" and condition.status == "True" then
        numPending = numPending + 1
      elseif (condition.type == "InstallPlanMissing" and condition.reason ~= "ReferencedInstallPlanNotFound") then
        numDegraded = numDegraded + 1
      elseif (condition.type == "CatalogSourcesUnhealthy" or condition.type == "InstallPlanFailed" or condition.type == "ResolutionFailed") and condition.status == "True" then
        numDegraded = numDegraded + 1
      end
    end
    if numDegraded == 0 and numPending == 0 then
      health_status.status = "Healthy"
      health_status.message = msg
      return health_status
    elseif numPending > 0 and numDegraded == 0 then
      health_status.status = "Progressing"
      health_status.message = "An install plan for a subscription is pending installation"
      return health_status
    else
      health_status.status = "Degraded"
      health_status.message = msg
      return health_status
    end
  end
end
health_status.status = "Progressing"
health_status.message = "An install plan for a subscription is pending installation"
return health_status`,
};

/** The `group/Kind` key Argo CD files customizations under (`Kind` for core). */
export function configMapKey(group: string, kind: string): string {
  return group ? `${group}/${kind}` : kind;
}

const SPLIT_PREFIX = 'resource.customizations.';

/**
 * Reads the health customizations of the `argocd-cm` ConfigMap in a
 * namespace, as `SettingsManager.GetResourceOverrides` does: the
 * `resource.customizations` block (YAML keyed by `group/Kind`, with
 * `health.lua` and `health.lua.useOpenLibs`) and then the split keys
 * `resource.customizations.health.<group>_<Kind>` and
 * `resource.customizations.useOpenLibs.<group>_<Kind>`, which win.
 */
export function readHealthOverrides(
  store: ObjectStore,
  namespace: string,
): HealthOverrides {
  const cm = store.get({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace,
    name: 'argocd-cm',
  });
  const data = (cm?.data ?? {}) as Record<string, string>;
  const overrides: HealthOverrides = {};
  if (data['resource.customizations']) {
    try {
      const block = parseYaml(data['resource.customizations']) as Record<
        string,
        Record<string, unknown>
      >;
      for (const [key, value] of Object.entries(block ?? {})) {
        if (!value || typeof value !== 'object') continue;
        const o: HealthOverride = {};
        if (typeof value['health.lua'] === 'string') {
          o.healthLua = value['health.lua'];
        }
        if (value['health.lua.useOpenLibs'] !== undefined) {
          o.useOpenLibs =
            value['health.lua.useOpenLibs'] === true ||
            value['health.lua.useOpenLibs'] === 'true';
        }
        overrides[key] = o;
      }
    } catch {
      // Argo CD logs and ignores an unparsable block.
    }
  }
  for (const [key, value] of Object.entries(data)) {
    if (!key.startsWith(SPLIT_PREFIX)) continue;
    const parts = key.split('.');
    if (parts.length < 4) continue;
    const type = parts[2];
    const groupKind = parts.slice(3).join('.');
    const gk = groupKind.split('_');
    let overrideKey: string;
    if (gk.length === 2) overrideKey = `${gk[0]}/${gk[1]}`;
    else if (gk.length === 1 && groupKind) overrideKey = groupKind;
    else continue;
    if (overrideKey === 'all') overrideKey = '*/*';
    const o = (overrides[overrideKey] ??= {});
    if (type === 'health') o.healthLua = value;
    if (type === 'useOpenLibs') o.useOpenLibs = value === 'true';
  }
  return overrides;
}

/** The health script for an object: customization, wildcard customization, built-in. */
export function healthScriptFor(
  obj: KubeObject,
  overrides: HealthOverrides,
): { script: string; useOpenLibs: boolean } | undefined {
  const key = configMapKey(groupOf(obj.apiVersion), obj.kind);
  const exact = overrides[key];
  if (exact?.healthLua) {
    return { script: exact.healthLua, useOpenLibs: Boolean(exact.useOpenLibs) };
  }
  for (const [pattern, o] of Object.entries(overrides)) {
    if (o.healthLua && globMatch(pattern, key)) {
      return { script: o.healthLua, useOpenLibs: Boolean(o.useOpenLibs) };
    }
  }
  const builtIn = BUILTIN_HEALTH_LUA[key];
  return builtIn ? { script: builtIn, useOpenLibs: true } : undefined;
}

type Conditions = Array<Record<string, string | undefined>>;

function jobHealth(job: KubeObject): HealthStatus {
  const status = (job.status ?? {}) as { conditions?: Conditions };
  let failed = false;
  let complete = false;
  let suspended = false;
  let message = '';
  let failMessage = '';
  for (const c of status.conditions ?? []) {
    if (c.type === 'Failed') {
      failed = true;
      complete = true;
      failMessage = c.message ?? '';
    } else if (c.type === 'Complete') {
      complete = true;
      message = c.message ?? '';
    } else if (c.type === 'Suspended') {
      complete = true;
      message = c.message ?? '';
      if (c.status === 'True') suspended = true;
    }
  }
  if (!complete) return { status: 'Progressing', message };
  if (failed) return { status: 'Degraded', message: failMessage };
  if (suspended) return { status: 'Suspended', message: failMessage };
  return { status: 'Healthy', message };
}

function podHealth(pod: KubeObject): HealthStatus {
  const spec = (pod.spec ?? {}) as { restartPolicy?: string };
  const status = (pod.status ?? {}) as {
    phase?: string;
    message?: string;
    conditions?: Conditions;
    containerStatuses?: Array<{
      name: string;
      state?: Record<string, Record<string, unknown>>;
      lastState?: Record<string, unknown>;
    }>;
  };
  const restartPolicy = spec.restartPolicy ?? 'Always';
  const message = status.message ?? '';
  if (restartPolicy === 'Always') {
    const messages: string[] = [];
    for (const cs of status.containerStatuses ?? []) {
      const reason = String(cs.state?.waiting?.reason ?? '');
      if (
        reason.startsWith('Err') ||
        reason.endsWith('Error') ||
        reason.endsWith('BackOff')
      ) {
        messages.push(String(cs.state?.waiting?.message ?? ''));
      }
    }
    if (messages.length) {
      return { status: 'Degraded', message: messages.join(', ') };
    }
  }
  switch (status.phase) {
    case 'Pending':
      return { status: 'Progressing', message };
    case 'Succeeded':
      return { status: 'Healthy', message };
    case 'Failed':
      return { status: 'Degraded', message };
    case 'Running': {
      if (restartPolicy !== 'Always') return { status: 'Progressing', message };
      const ready = (status.conditions ?? []).some(
        c => c.type === 'Ready' && c.status === 'True',
      );
      return { status: ready ? 'Healthy' : 'Progressing', message };
    }
    default:
      return { status: 'Unknown', message };
  }
}

function pvcHealth(pvc: KubeObject): HealthStatus {
  const phase = (pvc.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Lost') return { status: 'Degraded' };
  if (phase === 'Pending') return { status: 'Progressing' };
  if (phase === 'Bound') return { status: 'Healthy' };
  return { status: 'Unknown' };
}

/**
 * gitops-engine's built-in health checks for the kinds the sandbox serves
 * (`health.GetHealthCheckFunc`); undefined for kinds without one (Secret,
 * ConfigMap, ServiceAccount, RBAC, Namespace, most CRDs).
 */
export function builtinHealth(obj: KubeObject): HealthStatus | undefined {
  const group = groupOf(obj.apiVersion);
  if (group === 'batch' && obj.kind === 'Job') return jobHealth(obj);
  if (group === '' && obj.kind === 'Pod') return podHealth(obj);
  if (group === '' && obj.kind === 'PersistentVolumeClaim') {
    return pvcHealth(obj);
  }
  return undefined;
}

// Health scripts are pure functions of the object, and an object's content
// is fixed by its uid and resourceVersion: cache what the Lua VM computed.
const luaCache = new Map<string, HealthStatus>();
const LUA_CACHE_LIMIT = 2000;

/**
 * The health of a live object (`health.GetResourceHealth` with Argo CD's
 * Lua overrides), or undefined when Argo CD has no health check for it.
 * A failing script gives `Unknown` with the error, as in Argo CD.
 */
export async function resourceHealth(
  obj: KubeObject,
  overrides: HealthOverrides,
): Promise<HealthStatus | undefined> {
  if (obj.metadata.deletionTimestamp) {
    return { status: 'Progressing', message: 'Pending deletion' };
  }
  const script = healthScriptFor(obj, overrides);
  if (script) {
    const key = `${obj.metadata.uid}/${obj.metadata.resourceVersion}/${script.useOpenLibs}/${script.script}`;
    const cached = luaCache.get(key);
    if (cached) return { ...cached };
    let result: HealthStatus;
    try {
      const r = await runHealthLua(script.script, obj, {
        useOpenLibs: script.useOpenLibs,
      });
      result = r.message
        ? { status: r.status, message: r.message }
        : { status: r.status };
    } catch (e) {
      result = { status: 'Unknown', message: (e as Error).message };
    }
    if (luaCache.size >= LUA_CACHE_LIMIT) luaCache.clear();
    if (obj.metadata.uid && obj.metadata.resourceVersion) {
      luaCache.set(key, result);
    }
    return { ...result };
  }
  const builtIn = builtinHealth(obj);
  // `message` is omitempty in Argo CD's HealthStatus.
  if (builtIn && !builtIn.message) delete builtIn.message;
  return builtIn;
}
