import { ResourceHealthSource } from '@internal/plugin-logging-environments-common';
import { hasLiveHealth, liveHealth } from '../health/liveHealth';

/** A node of an Application's resource tree (`ResourceNode` of the Argo CD API). */
export interface ArgoResourceNode {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  createdAt?: string;
  health?: { status?: string; message?: string };
}

/** `GET /api/v1/applications/{name}/resource-tree` (`ApplicationTree`). */
export interface ArgoApplicationTree {
  nodes?: ArgoResourceNode[];
}

/** A resource of an Application, by group, kind, namespace and name. */
export interface ResourceRef {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * What tells a resource's health besides the Application object itself.
 * Each part is optional: without any, only what the Application persists
 * and its own health are read.
 */
export interface HealthEvidence {
  /**
   * The Application's resource tree as the Argo CD API served it, where
   * Argo CD 3.x keeps per-resource health.
   */
  tree?: ArgoApplicationTree;
  /**
   * The live object of a resource the portal evaluates itself (LokiStack,
   * ClusterLogForwarder: {@link hasLiveHealth}), when it has it.
   */
  live?(ref: ResourceRef): Record<string, any> | undefined;
  /**
   * Why the status of a resource cannot be trusted yet (its operator has
   * not reported on the spec the sync applied), or undefined. Its health
   * then reads Progressing with that message, whatever Argo CD says.
   */
  stale?(ref: ResourceRef): string | undefined;
}

/**
 * A resource's health and where it was read. No `status`: Argo CD assesses
 * no health for it (a kind without a health check, such as a ServiceAccount
 * or a RoleBinding, or one annotated `argocd.argoproj.io/ignore-healthcheck`),
 * so its sync status alone counts. `Unknown` when it cannot be told, which
 * is never healthy.
 */
export interface ResolvedHealth {
  status?: string;
  message?: string;
  source?: ResourceHealthSource;
}

/** What the resolution reads of the Application and of the resource. */
export interface HealthInput {
  /** `status.resourceHealthSource` of the Application (`appTree`, or unset: inline). */
  resourceHealthSource?: string;
  /** `status.health.status` of the Application. */
  applicationHealth?: string;
  resource: ResourceRef & {
    /** Its entry of `status.resources`, if it has one. */
    listed?: {
      status?: string;
      health?: { status?: string; message?: string };
    };
  };
  /**
   * Whether the resource is the one its wave is for (the WAVE_PLAN step's
   * kind): its health is required, not taken as "not assessed".
   */
  required: boolean;
}

const sameRef = (a: ResourceRef, b: ResourceRef) =>
  (a.group ?? '') === (b.group ?? '') &&
  a.kind === b.kind &&
  (a.namespace ?? '') === (b.namespace ?? '') &&
  a.name === b.name;

/**
 * The health of one resource of an Application, read where Argo CD puts
 * it, else evaluated, else Unknown:
 *
 * 1. `status.resources[].health`: Argo CD 2.x (or 3.x with
 *    `controller.resource.health.persist`) writes it there for every
 *    resource it assesses (controller/health.go `setApplicationHealth`), so
 *    in that mode a resource listed without it has no health check;
 * 2. the resource tree of the Argo CD API (3.x, `resourceHealthSource:
 *    appTree`): a node's health; a node never created is Missing
 *    (argocd-server `inferResourcesStatusHealth`); a live node without
 *    health has no health check;
 * 3. a LokiStack or ClusterLogForwarder from its live object, with the
 *    rules of the Lua checks the portal ships;
 * 4. the Application's own health as a bound: Argo CD takes the
 *    Application's health as the worst of its live, assessed resources
 *    (controller/health.go; a resource that does not exist and one annotated
 *    `ignore-healthcheck` are left out), so a resource that is Synced (hence
 *    live) in a Healthy Application is Healthy, or not assessed;
 * 5. otherwise Unknown.
 *
 * A status the evidence calls stale reads Progressing before all of these.
 */
export function resolveResourceHealth(
  input: HealthInput,
  evidence: HealthEvidence = {},
): ResolvedHealth {
  const { resource, required } = input;
  const ref: ResourceRef = {
    group: resource.group,
    kind: resource.kind,
    namespace: resource.namespace,
    name: resource.name,
  };
  const stale = evidence.stale?.(ref);
  if (stale) return { status: 'Progressing', message: stale, source: 'live' };

  const listed = resource.listed;
  if (listed?.health) {
    return listed.health.status
      ? {
          status: listed.health.status,
          ...(listed.health.message ? { message: listed.health.message } : {}),
          source: 'application',
        }
      : {
          // `health: {}`: a health script that returned no status.
          status: 'Unknown',
          message: 'Argo CD reports a health without a status',
          source: 'application',
        };
  }

  const appTree = input.resourceHealthSource === 'appTree';
  const node = evidence.tree?.nodes?.find(n =>
    sameRef({ ...n, group: n.group ?? '' }, ref),
  );
  if (node?.health?.status) {
    return {
      status: node.health.status,
      ...(node.health.message ? { message: node.health.message } : {}),
      source: 'resource-tree',
    };
  }
  if (node && !node.uid && !node.resourceVersion && !node.createdAt) {
    return {
      status: 'Missing',
      message: 'Resource has not been created',
      source: 'resource-tree',
    };
  }
  // Live, and Argo CD has no health for it (in the tree, or, inline, in
  // status.resources): nothing to wait for, unless its wave is for it.
  if (!required && (node || (listed && !appTree))) return {};

  const object = hasLiveHealth(ref.group, ref.kind)
    ? evidence.live?.(ref)
    : undefined;
  const evaluated = object
    ? liveHealth(ref.group, ref.kind, object)
    : undefined;
  if (evaluated) {
    return {
      status: evaluated.status,
      ...(evaluated.message ? { message: evaluated.message } : {}),
      source: 'live',
    };
  }

  if (input.applicationHealth === 'Healthy' && listed?.status === 'Synced') {
    return {
      status: 'Healthy',
      message:
        'The Application is Healthy, so none of its live resources is worse',
      source: 'application-health',
    };
  }
  let why = 'Argo CD reports no health for it';
  if (appTree) {
    why = evidence.tree
      ? "Argo CD's resource tree does not list it"
      : "Argo CD 3.x keeps resource health in the Application's resource tree, which the portal reads through the Argo CD API (the cluster's argocdUrl and argocdToken) and could not read";
  }
  return { status: 'Unknown', message: why };
}
