/**
 * The list verb as the API server answers it from etcd and its watch cache
 * (k8s.io/apiserver `pkg/storage/cacher`, `pkg/storage/etcd3`, Kubernetes
 * 1.32): `resourceVersion` and `resourceVersionMatch` (`Exact` reads the
 * objects as they were at that revision until it is compacted,
 * `NotOlderThan` waits for the store to reach it), pages whose `continue`
 * token reads the rest at the first page's revision, selectors, Table and
 * partial metadata.
 */
import { invalidError } from '../admission';
import { parseFieldSelector, parseLabelSelector } from '../selectors';
import { IncludeObject } from '../table';
import { KubeObject, ResourceType, apiVersionOf } from '../types';
import { ResourceRequest, ServerContext, partialMeta } from './context';
import { HttpStatus, badRequest, statusOf } from './errors';
import { Negotiated } from './http';

/** A `<Kind>List` of items. */
export function listOf(
  type: ResourceType,
  items: unknown[],
  extra: object = {},
) {
  return {
    kind: `${type.kind}List`,
    apiVersion: apiVersionOf(type),
    ...extra,
    items,
  };
}

// etcd3 store's answers (pkg/storage/etcd3/errors.go).
const EXPIRED = 'The resourceVersion for the provided list is too old.';
const INCONSISTENT_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** `ValidateListOptions`: a 422 on `ListOptions.meta.k8s.io`. */
function validateListOptions(rv: string, match: string, token: string) {
  if (!match) return;
  const forbidden = (message: string) => ({
    reason: 'FieldValueForbidden',
    message: `Forbidden: ${message}`,
    field: 'resourceVersionMatch',
  });
  const causes = [];
  if (!rv) {
    causes.push(
      forbidden(
        'resourceVersionMatch is forbidden unless resourceVersion is provided',
      ),
    );
  }
  if (token) {
    causes.push(
      forbidden('resourceVersionMatch is forbidden when continue is provided'),
    );
  }
  if (match !== 'Exact' && match !== 'NotOlderThan') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`,
      field: 'resourceVersionMatch',
    });
  }
  if (match === 'Exact' && rv === '0') {
    causes.push(
      forbidden(
        'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
      ),
    );
  }
  if (causes.length) {
    throw invalidError(
      { kind: 'ListOptions', group: 'meta.k8s.io' },
      '',
      causes,
    );
  }
}

/** A `Status` without a reason (`StatusReasonUnknown`), as for errors the API server does not classify. */
const unknownFailure = (code: number, message: string) =>
  new HttpStatus({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    code,
  } as ReturnType<typeof statusOf>);

/** `APIObjectVersioner.ParseResourceVersion`; undefined when it does not parse. */
function parseRevision(rv: string): number | undefined {
  return /^\d+$/.test(rv) && Number.isSafeInteger(Number(rv))
    ? Number(rv)
    : undefined;
}

const invalidRevisionText = (rv: string) =>
  `resourceVersion: Invalid value: ${JSON.stringify(
    rv,
  )}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`;

/** A continue token (`storage.EncodeContinue`): base64url JSON, no padding. */
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv, start }),
    'utf8',
  ).toString('base64url');
}

/** `storage.DecodeContinue`; its errors are 400 `invalid continue token`. */
function decodeContinue(token: string): { rv: number; start: string } {
  const invalid = (why: string) =>
    badRequest(`invalid continue token: continue key is not valid${why}`);
  const bad = /[^A-Za-z0-9_-]/.exec(token);
  if (bad) throw invalid(`: illegal base64 data at input byte ${bad.index}`);
  if (token.length % 4 === 1) {
    throw invalid(`: illegal base64 data at input byte ${token.length - 1}`);
  }
  let c: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (e) {
    throw invalid(`: ${(e as Error).message}`);
  }
  if (c?.v !== 'meta.k8s.io/v1') {
    throw invalid(
      `: server does not recognize this encoded version ${c?.v ?? ''}`,
    );
  }
  if (typeof c.rv !== 'number' || !Number.isInteger(c.rv) || c.rv === 0) {
    throw invalid(
      ': incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
  if (typeof c.start !== 'string' || !c.start) {
    throw invalid(': encoded start key empty (version meta.k8s.io/v1)');
  }
  // The key must not climb out of the list's prefix.
  if (c.start.split('/').some(part => part === '..' || part === '.')) {
    throw invalid(`: ${c.start}`);
  }
  return { rv: c.rv, start: c.start };
}

/**
 * The revision a list reads at (undefined: the current one), and where a
 * continued list starts; refuses what etcd or the watch cache refuses.
 */
async function readPoint(
  ctx: ServerContext,
  q: URLSearchParams,
  limit: number,
): Promise<{ at?: number; start: string }> {
  const { store } = ctx;
  const rv = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  const token = q.get('continue') ?? '';
  validateListOptions(rv, match, token);
  const current = Number(store.currentRevision());
  if (token) {
    const c = decodeContinue(token);
    if (rv && rv !== '0') {
      throw badRequest(
        'specifying resource version is not allowed when using continue',
      );
    }
    // A negative revision continues at the latest one.
    if (c.rv < 0) return { start: c.start };
    if (c.rv < store.compactedRevision()) {
      const body = statusOf(410, INCONSISTENT_CONTINUE);
      throw new HttpStatus({
        ...body,
        metadata: { continue: encodeContinue(-1, c.start) },
      } as typeof body);
    }
    if (c.rv > current) {
      throw unknownFailure(
        500,
        'etcdserver: mvcc: required revision is a future revision',
      );
    }
    return { at: c.rv, start: c.start };
  }
  if (!rv || rv === '0') return { start: '' };
  // Exact, and a limited list at a resourceVersion without a match (the
  // legacy exact read), go to etcd; the rest is served by the watch cache.
  if (match === 'Exact' || (match === '' && limit > 0)) {
    const at = parseRevision(rv);
    if (at === undefined) {
      throw badRequest(`invalid resource version: ${invalidRevisionText(rv)}`);
    }
    if (at < store.compactedRevision()) {
      throw new HttpStatus(statusOf(410, EXPIRED));
    }
    if (at > current) {
      throw unknownFailure(
        500,
        'etcdserver: mvcc: required revision is a future revision',
      );
    }
    return { at, start: '' };
  }
  const min = parseRevision(rv);
  if (min === undefined) throw unknownFailure(500, invalidRevisionText(rv));
  if (!(await store.waitForRevision(min, ctx.freshnessTimeoutMs))) {
    throw new HttpStatus(
      statusOf(
        504,
        `Timeout: Too large resource version: ${min}, current: ${store.currentRevision()}`,
        {
          causes: [
            {
              reason: 'ResourceVersionTooLarge',
              message: 'Too large resource version',
            },
          ],
          retryAfterSeconds: 1,
        },
      ),
      { 'Retry-After': '1' },
    );
  }
  return { start: '' };
}

/** `list`: read point, selectors, pages (`limit`/`continue`), Table and partial metadata. */
export async function list(
  ctx: ServerContext,
  r: ResourceRequest,
  q: URLSearchParams,
  neg: Negotiated,
) {
  const { store, tables } = ctx;
  const limit = Math.max(0, Math.trunc(Number(q.get('limit') ?? 0)) || 0);
  const { at, start } = await readPoint(ctx, q, limit);
  const apiVersion = apiVersionOf(r.type);
  const scope = { namespace: r.namespace };
  const all =
    at === undefined
      ? store.list(apiVersion, r.type.kind, scope)
      : store.listAt(apiVersion, r.type.kind, at, scope);
  const resourceVersion = String(at ?? store.currentRevision());
  // Keys below the list's etcd prefix, in etcd's (byte) order.
  const keyOf = (o: KubeObject) =>
    r.type.namespaced && !r.namespace
      ? `${o.metadata.namespace}/${o.metadata.name}`
      : o.metadata.name;
  const candidates = start ? all.filter(o => keyOf(o) >= start) : all;
  const labelSelector = q.get('labelSelector') ?? '';
  const fieldSelector = q.get('fieldSelector') ?? '';
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(fieldSelector);
  // The watch cache ignores the limit of a list at resourceVersion "0".
  const pageSize = q.get('resourceVersion') === '0' ? 0 : limit;
  const items: KubeObject[] = [];
  let more = false;
  for (let i = 0; i < candidates.length; i++) {
    const o = candidates[i];
    if (labels(o.metadata.labels ?? {}) && fields(o)) items.push(o);
    if (pageSize > 0 && items.length >= pageSize) {
      more = i < candidates.length - 1;
      break;
    }
  }
  const metadata: Record<string, unknown> = { resourceVersion };
  if (more) {
    metadata.continue = encodeContinue(
      Number(resourceVersion),
      `${keyOf(items[items.length - 1])}\u0000`,
    );
    // Counted only without selectors: etcd counts keys, not matches.
    if (!labelSelector.trim() && !fieldSelector.trim()) {
      metadata.remainingItemCount = candidates.length - pageSize;
    }
  }
  if (neg.table) {
    const table = tables.render(r.type, items, {
      tableVersion: neg.table,
      includeObject: (q.get('includeObject') as IncludeObject) || undefined,
      resourceVersion,
    });
    return { ...table, metadata };
  }
  if (neg.partial) {
    return {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata,
      items: items.map(partialMeta),
    };
  }
  return listOf(r.type, items, { metadata });
}
