import { createHash } from 'node:crypto';
import { ResourceType, apiVersionOf } from './types';

/**
 * The Kubernetes version the sandbox reports: OpenShift 4.19 runs
 * Kubernetes 1.32.
 */
export const KUBE_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Media type of aggregated discovery (`kubectl` 1.26+ asks for it first). */
export const AGGREGATED_DISCOVERY_V2 =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
/** The beta media type of aggregated discovery (client-go 1.26–1.29). */
export const AGGREGATED_DISCOVERY_V2BETA1 =
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

const STATUS_VERBS = ['get', 'patch', 'update'];

/**
 * Orders versions as Kubernetes does: GA before beta before alpha, higher
 * numbers first, anything else last alphabetically.
 */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stability = { beta: 1, alpha: 2 }[m[2]] ?? 0;
    return [stability, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return x[3].localeCompare(y[3]);
}

/** The API groups of `types` ('' excluded), each with its versions, preferred first. */
export function groupVersions(types: ResourceType[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const t of types) {
    if (!t.group) continue;
    const versions = groups.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    groups.set(t.group, versions);
  }
  for (const versions of groups.values()) versions.sort(compareKubeVersions);
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

/** `GET /api`. */
export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string, versions: string[]) {
  return {
    name: group,
    versions: versions.map(version => ({
      groupVersion: `${group}/${version}`,
      version,
    })),
    preferredVersion: {
      groupVersion: `${group}/${versions[0]}`,
      version: versions[0],
    },
  };
}

/** `GET /apis`. */
export function apiGroupList(types: ResourceType[]) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groupVersions(types)].map(([g, v]) => apiGroup(g, v)),
  };
}

/** `GET /apis/<group>`; undefined when the group is not served. */
export function apiGroupDocument(types: ResourceType[], group: string) {
  const versions = groupVersions(types).get(group);
  if (!versions) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
}

/** `GET /api/v1` and `GET /apis/<group>/<version>`; undefined when not served. */
export function apiResourceList(
  types: ResourceType[],
  group: string,
  version: string,
) {
  const served = types.filter(t => t.group === group && t.version === version);
  if (!served.length) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: served.flatMap(t => [
      {
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: t.verbs,
        ...(t.shortNames?.length ? { shortNames: t.shortNames } : {}),
        storageVersionHash: hash(`${t.group}/${t.version}/${t.plural}`).slice(
          0,
          12,
        ),
      },
      ...(t.statusSubresource
        ? [
            {
              name: `${t.plural}/status`,
              singularName: '',
              namespaced: t.namespaced,
              kind: t.kind,
              verbs: STATUS_VERBS,
            },
          ]
        : []),
    ]),
  };
}

function discoveryResource(t: ResourceType) {
  const responseKind = { group: t.group, version: t.version, kind: t.kind };
  return {
    resource: t.plural,
    responseKind,
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames?.length ? { shortNames: t.shortNames } : {}),
    ...(t.statusSubresource
      ? {
          subresources: [
            { subresource: 'status', responseKind, verbs: STATUS_VERBS },
          ],
        }
      : {}),
  };
}

/**
 * Aggregated discovery (`apidiscovery.k8s.io` `APIGroupDiscoveryList`) of
 * `/api` (the core group) or `/apis` (every other group).
 */
export function aggregatedDiscovery(
  types: ResourceType[],
  which: 'api' | 'apis',
  apiVersion: 'v2' | 'v2beta1' = 'v2',
) {
  const versionsOf = (group: string) =>
    [...new Set(types.filter(t => t.group === group).map(t => t.version))].sort(
      compareKubeVersions,
    );
  const groups = which === 'api' ? [''] : [...groupVersions(types).keys()];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
    metadata: {},
    items: groups.map(group => ({
      metadata: group ? { name: group } : {},
      versions: versionsOf(group).map(version => ({
        version,
        resources: types
          .filter(t => t.group === group && t.version === version)
          .map(discoveryResource),
        freshness: 'Current',
      })),
    })),
  };
}

function hash(text: string): string {
  return createHash('sha512').update(text).digest('hex').toUpperCase();
}

const param = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
});

const WRITE_PARAMS = [
  param('dryRun', 'When present, modifications are not persisted.'),
  param('fieldManager', 'Name of the actor making the change.'),
  param(
    'fieldValidation',
    'How to handle unknown fields: Ignore, Warn (default) or Strict.',
  ),
];

/** Groups of Kubernetes itself, whose types live in `k8s.io/api/<package>`. */
const KUBERNETES_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'rbac.authorization.k8s.io',
  'networking.k8s.io',
  'policy',
  'autoscaling',
  'coordination.k8s.io',
  'storage.k8s.io',
]);

/**
 * The OpenAPI definition name of a kind, as the API server publishes it:
 * `io.k8s.api.core.v1.Secret` for Kubernetes' own kinds, the reversed
 * group for the others (`com.grafana.loki.v1.LokiStack`).
 */
export function definitionName(t: ResourceType): string {
  if (KUBERNETES_GROUPS.has(t.group)) {
    const pkg = t.group === '' ? 'core' : t.group.split('.')[0];
    return `io.k8s.api.${pkg}.${t.version}.${t.kind}`;
  }
  return `${t.group.split('.').reverse().join('.')}.${t.version}.${t.kind}`;
}

/**
 * One group-version's OpenAPI v3 document. kubectl reads it to learn that
 * the server validates fields (`fieldValidation` on PATCH) and which patch
 * types a kind takes (strategic merge is not offered, so kubectl's
 * client-side apply uses its built-in types for core kinds and a JSON merge
 * patch for custom resources, as against a real server for CRDs).
 */
export function openApiV3Document(
  types: ResourceType[],
  group: string,
  version: string,
) {
  const served = types.filter(t => t.group === group && t.version === version);
  if (!served.length) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of served) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const ref = { $ref: `#/components/schemas/${definitionName(t)}` };
    const body = { content: { 'application/json': { schema: ref } } };
    const ok = {
      responses: {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: ref } },
        },
      },
    };
    const op = (action: string, extra: object = {}) => ({
      operationId: `${action}${t.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      ...ok,
      ...extra,
    });
    const base = t.namespaced
      ? `${prefix}/namespaces/{namespace}/${t.plural}`
      : `${prefix}/${t.plural}`;
    const patch = (suffix: string) =>
      op(`patch${suffix}`, {
        parameters: [...WRITE_PARAMS, param('force', 'Force apply.')],
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
            'application/apply-patch+yaml': { schema: { type: 'object' } },
          },
        },
      });
    paths[base] = {
      get: op('list'),
      post: op('post', { parameters: WRITE_PARAMS, requestBody: body }),
      delete: op('deletecollection'),
    };
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: op('put', { parameters: WRITE_PARAMS, requestBody: body }),
      patch: patch(''),
      delete: op('delete', { parameters: [WRITE_PARAMS[0]] }),
    };
    if (t.statusSubresource) {
      paths[`${base}/{name}/status`] = {
        get: op('get'),
        put: op('put', { parameters: WRITE_PARAMS, requestBody: body }),
        patch: patch(''),
      };
    }
    schemas[definitionName(t)] = {
      ...(t.schema ?? { type: 'object' }),
      'x-kubernetes-group-version-kind': [gvk],
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}

/** `GET /openapi/v3`: where each group-version's document is. */
export function openApiV3Index(types: ResourceType[]) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const gvs = [...new Set(types.map(t => apiVersionOf(t)))].sort();
  for (const gv of gvs) {
    const key = gv.includes('/') ? `apis/${gv}` : `api/${gv}`;
    const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
    paths[key] = {
      serverRelativeURL: `/openapi/v3/${key}?hash=${hash(
        JSON.stringify(openApiV3Document(types, group, version)),
      ).slice(0, 32)}`,
    };
  }
  return { paths };
}
