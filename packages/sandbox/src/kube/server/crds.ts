/**
 * `apiextensions.k8s.io/v1` CustomResourceDefinitions, read only: one per
 * served custom kind, built from the served types. Clients look for them
 * (kubectl asks which CRDs exist before it validates a kind the OpenAPI
 * documents do not describe, `kubectl get crd`). They cannot be created,
 * changed or deleted: the served types are fixed when the server starts.
 */
import { createHash } from 'node:crypto';
import { ServerResponse } from 'node:http';
import { parseFieldSelector, parseLabelSelector } from '../selectors';
import { IncludeObject } from '../table';
import { KubeObject, ResourceType, apiVersionOf, byteOrder } from '../types';
import { ServerContext, isCustom, partialMeta } from './context';
import { methodNotAllowed, notFound, notFoundPath } from './errors';
import { Negotiated, send } from './http';
import { listOf } from './list';

/** The served CustomResourceDefinition kind (get and list only). */
export const CRD_TYPE: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  shortNames: ['crd', 'crds'],
  namespaced: false,
  statusSubresource: false,
  verbs: ['get', 'list'],
};

function uidOf(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(
    16,
    20,
  )}-${h.slice(20, 32)}`;
}

/** The CRDs of the custom kinds among `types`, as the API server shows them. */
export function customResourceDefinitions(
  types: ResourceType[],
  created: string,
): KubeObject[] {
  const byKind = new Map<string, ResourceType[]>();
  for (const t of types.filter(isCustom)) {
    const key = `${t.plural}.${t.group}`;
    byKind.set(key, [...(byKind.get(key) ?? []), t]);
  }
  return [...byKind]
    .sort(([a], [b]) => byteOrder(a, b))
    .map(([name, versions]) => {
      const [first] = versions;
      const names = {
        plural: first.plural,
        singular: first.singular,
        kind: first.kind,
        listKind: `${first.kind}List`,
        ...(first.shortNames?.length ? { shortNames: first.shortNames } : {}),
      };
      return {
        apiVersion: apiVersionOf(CRD_TYPE),
        kind: CRD_TYPE.kind,
        metadata: {
          name,
          uid: uidOf(name),
          resourceVersion: '1',
          generation: 1,
          creationTimestamp: created,
        },
        spec: {
          group: first.group,
          names,
          scope: first.namespaced ? 'Namespaced' : 'Cluster',
          versions: versions.map((t, i) => ({
            name: t.version,
            served: true,
            storage: i === 0,
            schema: {
              openAPIV3Schema: t.schema ?? {
                type: 'object',
                'x-kubernetes-preserve-unknown-fields': true,
              },
            },
            ...(t.statusSubresource ? { subresources: { status: {} } } : {}),
          })),
          conversion: { strategy: 'None' },
        },
        status: {
          acceptedNames: names,
          conditions: [
            {
              type: 'NamesAccepted',
              status: 'True',
              lastTransitionTime: created,
              reason: 'NoConflicts',
              message: 'no conflicts found',
            },
            {
              type: 'Established',
              status: 'True',
              lastTransitionTime: created,
              reason: 'InitialNamesAccepted',
              message: 'the initial names have been accepted',
            },
          ],
          storedVersions: [first.version],
        },
      } as KubeObject;
    });
}

/**
 * Serves `/apis/apiextensions.k8s.io/v1/customresourcedefinitions[/<name>]`
 * (GET only); returns whether the path was one of them.
 */
export function serveCrds(
  ctx: ServerContext,
  crds: KubeObject[],
  res: ServerResponse,
  method: string,
  segments: string[],
  q: URLSearchParams,
  neg: Negotiated,
): boolean {
  if (segments[0] !== CRD_TYPE.plural) return false;
  if (segments.length > 2) throw notFoundPath();
  if (method !== 'GET' || ['true', '1'].includes(q.get('watch') ?? '')) {
    throw methodNotAllowed();
  }
  const name = segments[1];
  const resourceVersion = ctx.store.currentRevision();
  const table = (items: KubeObject[]) =>
    ctx.tables.render(CRD_TYPE, items, {
      tableVersion: neg.table!,
      includeObject: (q.get('includeObject') as IncludeObject) || undefined,
      resourceVersion,
    });
  if (name) {
    const crd = crds.find(c => c.metadata.name === name);
    if (!crd) throw notFound(CRD_TYPE, name);
    if (neg.table) send(res, 200, table([crd]));
    else send(res, 200, neg.partial ? partialMeta(crd) : crd);
    return true;
  }
  const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
  const items = crds.filter(c => labels(c.metadata.labels ?? {}) && fields(c));
  const metadata = { resourceVersion };
  if (neg.table) send(res, 200, { ...table(items), metadata });
  else if (neg.partial) {
    send(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata,
      items: items.map(partialMeta),
    });
  } else send(res, 200, listOf(CRD_TYPE, items, { metadata }));
  return true;
}
