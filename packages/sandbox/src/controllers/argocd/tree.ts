/**
 * The resource tree of an Application (`ApplicationTree` of the API's
 * `resource-tree` endpoint): its managed resources and, below them, the
 * objects they own through `ownerReferences` (a Job's Pods, an
 * ExternalSecret's Secret), each with its health. Since Argo CD 3.0 this is
 * where per-resource health lives (`status.resourceHealthSource: appTree`).
 */
import { KubeObject, ObjectStore } from '../../kube/types';
import { HealthStatus, ResourceStatus, groupOf, versionOf } from './types';
import { HealthOverrides, resourceHealth } from './health';

/** Identifies a resource of the tree. */
export interface ResourceRef {
  group: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

/** A node of the tree (`ResourceNode`). */
export interface ResourceNode extends ResourceRef {
  version: string;
  parentRefs?: ResourceRef[];
  info?: Array<{ name: string; value: string }>;
  resourceVersion?: string;
  images?: string[];
  health?: HealthStatus;
  createdAt?: string;
}

/** The answer of `GET .../resource-tree`. */
export interface ApplicationTree {
  nodes: ResourceNode[];
  orphanedNodes?: ResourceNode[];
}

function podInfo(pod: KubeObject) {
  const spec = (pod.spec ?? {}) as {
    containers?: Array<{ image?: string }>;
    nodeName?: string;
  };
  const status = (pod.status ?? {}) as {
    phase?: string;
    reason?: string;
    containerStatuses?: Array<{ ready?: boolean }>;
  };
  const containers = spec.containers ?? [];
  const ready = (status.containerStatuses ?? []).filter(c => c.ready).length;
  const info = [
    {
      name: 'Status Reason',
      value: status.reason ?? status.phase ?? 'Unknown',
    },
  ];
  if (spec.nodeName) info.push({ name: 'Node', value: spec.nodeName });
  info.push({ name: 'Containers', value: `${ready}/${containers.length}` });
  return {
    info,
    images: containers.map(c => c.image).filter((i): i is string => Boolean(i)),
  };
}

async function nodeOf(
  obj: KubeObject,
  overrides: HealthOverrides,
  parent?: KubeObject,
): Promise<ResourceNode> {
  const node: ResourceNode = {
    group: groupOf(obj.apiVersion),
    version: versionOf(obj.apiVersion),
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
    createdAt: obj.metadata.creationTimestamp,
  };
  if (parent) {
    node.parentRefs = [
      {
        group: groupOf(parent.apiVersion),
        kind: parent.kind,
        namespace: parent.metadata.namespace,
        name: parent.metadata.name,
        uid: parent.metadata.uid,
      },
    ];
  }
  if (obj.kind === 'Pod' && groupOf(obj.apiVersion) === '') {
    Object.assign(node, podInfo(obj));
  }
  const health = await resourceHealth(obj, overrides);
  if (health) node.health = health;
  return node;
}

/**
 * Builds the tree of managed resources (`status.resources`) and their
 * descendants from the live objects in the store.
 */
export async function buildResourceTree(
  store: ObjectStore,
  resources: ResourceStatus[],
  overrides: HealthOverrides,
): Promise<ApplicationTree> {
  // Index every object by the uids of its owners.
  const children = new Map<string, KubeObject[]>();
  const seenKinds = new Set<string>();
  for (const type of store.types()) {
    const gk = `${type.group}/${type.kind}`;
    if (seenKinds.has(gk) || type.kind === 'Event') continue;
    seenKinds.add(gk);
    const apiVersion = type.group
      ? `${type.group}/${type.version}`
      : type.version;
    for (const o of store.list(apiVersion, type.kind)) {
      for (const ref of o.metadata.ownerReferences ?? []) {
        const list = children.get(ref.uid) ?? [];
        list.push(o);
        children.set(ref.uid, list);
      }
    }
  }
  const nodes: ResourceNode[] = [];
  const visited = new Set<string>();
  const visit = async (obj: KubeObject, parent?: KubeObject) => {
    const uid = obj.metadata.uid ?? `${obj.kind}/${obj.metadata.name}`;
    if (visited.has(uid)) return;
    visited.add(uid);
    nodes.push(await nodeOf(obj, overrides, parent));
    for (const child of children.get(uid) ?? []) await visit(child, obj);
  };
  for (const r of resources) {
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    let live: KubeObject | undefined;
    try {
      live = store.get({
        apiVersion,
        kind: r.kind,
        namespace: r.namespace || undefined,
        name: r.name,
      });
    } catch {
      live = undefined;
    }
    if (live) await visit(live);
    else {
      // controller/appcontroller.go getResourceTree: a managed resource
      // without a live object is a node without uid or resourceVersion,
      // health Missing.
      nodes.push({
        group: r.group,
        version: r.version,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        health: { status: 'Missing' },
      });
    }
  }
  return { nodes };
}
