/**
 * The watch verb: a chunked stream of events that starts with the current
 * objects (or resumes after a resourceVersion from the watch history),
 * follows selectors as objects start or stop matching, sends bookmarks and
 * ends on `timeoutSeconds`.
 */
import { ServerResponse } from 'node:http';
import { RecordedEvent, ResourceExpiredError } from '../history';
import { parseFieldSelector, parseLabelSelector } from '../selectors';
import { IncludeObject } from '../table';
import { ApiError, KubeObject, WatchEvent, apiVersionOf } from '../types';
import { ResourceRequest, ServerContext } from './context';
import { badRequest, statusOf } from './errors';
import { Negotiated } from './http';

/** Serves a watch on `res` until the client leaves, it times out or the server closes. */
export function watch(
  ctx: ServerContext,
  res: ServerResponse,
  r: ResourceRequest,
  q: URLSearchParams,
  neg: Negotiated,
) {
  const { store, tables, history, watches } = ctx;
  const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const fieldSelector = [
    q.get('fieldSelector'),
    r.name ? `metadata.name=${r.name}` : undefined,
  ]
    .filter(Boolean)
    .join(',');
  const fields = parseFieldSelector(fieldSelector || undefined);
  const rv = q.get('resourceVersion');
  const sendInitial = q.get('sendInitialEvents') === 'true';
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  const matches = (o: KubeObject) =>
    (!r.namespace || o.metadata.namespace === r.namespace) &&
    labels(o.metadata.labels ?? {}) &&
    fields(o);
  const keyOf = (o: KubeObject) =>
    `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  let headersSent = false;
  const encode = (event: WatchEvent) => {
    if (!neg.table || event.type === 'ERROR' || event.type === 'BOOKMARK') {
      return event;
    }
    const table = tables.render(r.type, [event.object], {
      tableVersion: neg.table,
      includeObject: (q.get('includeObject') as IncludeObject) || undefined,
      resourceVersion: event.object.metadata.resourceVersion,
      noHeaders: headersSent,
    });
    headersSent = true;
    return { type: event.type, object: table };
  };
  const write = (event: WatchEvent) => {
    // The client may be gone before 'close' has been handled.
    if (res.writableEnded || res.destroyed) return;
    res.write(`${JSON.stringify(encode(event))}\n`);
  };
  const bookmark = (annotations?: Record<string, string>) =>
    write({
      type: 'BOOKMARK',
      object: {
        kind: r.type.kind,
        apiVersion: apiVersionOf(r.type),
        metadata: {
          resourceVersion: store.currentRevision(),
          ...(annotations ? { annotations } : {}),
        } as KubeObject['metadata'],
      },
    });

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  const known = new Set<string>();
  const current = store
    .list(apiVersionOf(r.type), r.type.kind, { namespace: r.namespace })
    .filter(matches);
  const replay = rv && rv !== '0' && !sendInitial ? Number(rv) : undefined;
  for (const o of current) {
    known.add(keyOf(o));
    if (replay === undefined) write({ type: 'ADDED', object: o });
  }
  if (sendInitial && bookmarks) {
    bookmark({ 'k8s.io/initial-events-end': 'true' });
  }

  let timeoutTimer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let unfollow = () => {};
  const end = () => {
    unfollow();
    clearTimeout(timeoutTimer);
    clearTimeout(bookmarkTimer);
    watches.delete(end);
    if (!res.writableEnded) res.end();
  };
  watches.add(end);
  res.on('close', end);
  res.on('error', end);

  const onEvent = ({ event }: RecordedEvent) => {
    const o = event.object;
    if (r.namespace && o.metadata.namespace !== r.namespace) return;
    const key = keyOf(o);
    const now = matches(o);
    const was = known.has(key);
    if (event.type === 'DELETED') {
      if (was || now) write({ type: 'DELETED', object: o });
      known.delete(key);
    } else if (now) {
      write({
        type: event.type === 'ADDED' || !was ? 'ADDED' : 'MODIFIED',
        object: o,
      });
      known.add(key);
    } else if (was) {
      // Stopped matching the selector: gone from this watch's view.
      write({ type: 'DELETED', object: o });
      known.delete(key);
    }
  };
  try {
    if (replay !== undefined && Number.isNaN(replay)) {
      throw badRequest(`invalid resource version: ${rv}`);
    }
    unfollow = history.follow(r.type, replay, onEvent);
  } catch (e) {
    let status: object = statusOf(500, String(e));
    if (e instanceof ResourceExpiredError) status = statusOf(410, e.message);
    else if (e instanceof ApiError) status = e.toStatus();
    write({ type: 'ERROR', object: status as unknown as KubeObject });
    end();
    return;
  }
  const timeout = Number(q.get('timeoutSeconds'));
  if (timeout > 0) timeoutTimer = setTimeout(end, timeout * 1000);
  if (bookmarks) {
    const interval = ctx.bookmarkIntervalMs;
    const tick = () => {
      bookmark();
      bookmarkTimer = setTimeout(tick, interval);
    };
    bookmarkTimer = setTimeout(tick, interval);
  }
}
