/**
 * The create, update and delete verbs (get is a read of {@link existing};
 * list is in `list.ts`, patch and apply in `apply.ts`, watch in `watch.ts`).
 */
import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { invalidError } from '../admission';
import { ApiError, KubeObject, apiVersionOf } from '../types';
import {
  ResourceRequest,
  ServerContext,
  WriteResult,
  checkBodyType,
  checkIdentity,
  checkResourceVersion,
  existing,
  fieldManagerOf,
  fieldValidationOf,
  isCustom,
  isDryRun,
  namespaceExists,
  refOf,
} from './context';
import { resourceName } from './errors';
import { deleteOptions, parseObject, readBody } from './http';
import { listOf } from './list';
import { keepStoredStatus, writeStatus } from './status';

/** `create`; a dry run fills in what the store would (name, uid, timestamps). */
export async function create(
  ctx: ServerContext,
  req: IncomingMessage,
  r: ResourceRequest,
  q: URLSearchParams,
): Promise<WriteResult> {
  const { store, admission } = ctx;
  const o = parseObject(req.headers['content-type'], await readBody(req));
  checkBodyType(store.types(), r.type, o);
  checkIdentity(r.type, o, { namespace: r.namespace });
  const dryRun = isDryRun(q);
  if (r.type.statusSubresource) delete o.status;
  const generateName = o.metadata.generateName as string | undefined;
  if (!o.metadata.name && generateName && dryRun) {
    o.metadata.name = `${generateName}${randomUUID().slice(0, 5)}`;
  }
  const { warnings } = admission.validate(r.type, o, {
    fieldValidation: fieldValidationOf(q),
  });
  if (!dryRun) {
    return {
      body: store.create(o, { fieldManager: fieldManagerOf(req, q) }),
      warnings,
    };
  }
  if (r.namespace && !namespaceExists(ctx, r.namespace)) {
    throw new ApiError(
      404,
      'NotFound',
      `namespaces "${r.namespace}" not found`,
      {
        name: r.namespace,
        kind: 'namespaces',
      },
    );
  }
  if (o.metadata.name && store.get(refOf(r, o.metadata.name))) {
    throw new ApiError(
      409,
      'AlreadyExists',
      `${resourceName(r.type)} "${o.metadata.name}" already exists`,
      { name: o.metadata.name, group: r.type.group, kind: r.type.plural },
    );
  }
  delete o.metadata.generateName;
  delete o.metadata.resourceVersion;
  o.metadata.uid = randomUUID();
  // RFC 3339 in whole seconds, as metav1.Time is serialised.
  o.metadata.creationTimestamp = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  o.metadata.generation = 1;
  return { body: o, warnings };
}

/** `update` of an object or of its status. */
export async function update(
  ctx: ServerContext,
  req: IncomingMessage,
  r: ResourceRequest,
  q: URLSearchParams,
): Promise<WriteResult> {
  const { store, admission } = ctx;
  const o = parseObject(req.headers['content-type'], await readBody(req));
  checkBodyType(store.types(), r.type, o);
  checkIdentity(r.type, o, { namespace: r.namespace, name: r.name });
  const dryRun = isDryRun(q);
  const fieldValidation = fieldValidationOf(q);
  const stored = existing(ctx, r);
  checkResourceVersion(r, o, stored);
  if (r.subresource === 'status') {
    return writeStatus(ctx, r, stored, o.status, {
      dryRun,
      resourceVersion: o.metadata.resourceVersion,
      validate: { fieldValidation },
    });
  }
  if (isCustom(r.type) && !o.metadata.resourceVersion) {
    throw invalidError(r.type, r.name!, [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0x0: must be specified for an update',
        field: 'metadata.resourceVersion',
      },
    ]);
  }
  keepStoredStatus(r, o, stored);
  const { warnings } = admission.validate(r.type, o, { fieldValidation });
  if (dryRun) {
    return {
      body: {
        ...o,
        metadata: {
          ...o.metadata,
          uid: stored.metadata.uid,
          creationTimestamp: stored.metadata.creationTimestamp,
          resourceVersion: stored.metadata.resourceVersion,
        },
      },
      warnings,
    };
  }
  return {
    body: store.update(o, { fieldManager: fieldManagerOf(req, q) }),
    warnings,
  };
}

/**
 * `delete` with preconditions: the object (custom resources, namespaces,
 * pods) or a success Status (other built-in kinds).
 */
export async function remove(
  ctx: ServerContext,
  req: IncomingMessage,
  r: ResourceRequest,
  q: URLSearchParams,
) {
  const opts = deleteOptions(req, await readBody(req));
  const stored = existing(ctx, r);
  const pre = opts.preconditions ?? {};
  if (pre.uid && pre.uid !== stored.metadata.uid) {
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stored.metadata.uid}`,
      { name: r.name, group: r.type.group, kind: r.type.plural },
    );
  }
  if (
    pre.resourceVersion &&
    pre.resourceVersion !== stored.metadata.resourceVersion
  ) {
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${stored.metadata.resourceVersion}`,
      { name: r.name, group: r.type.group, kind: r.type.plural },
    );
  }
  const deleted: KubeObject = isDryRun(q, opts)
    ? markedAsDeleted(r, stored)
    : ctx.store.delete(refOf(r));
  // Custom resources, namespaces and pods answer with the object; other
  // built-in kinds with a success Status, unless finalizers keep the object.
  if (
    deleted.metadata.deletionTimestamp !== undefined ||
    isCustom(r.type) ||
    (r.type.group === '' && ['Namespace', 'Pod'].includes(r.type.kind))
  ) {
    return deleted;
  }
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: r.name,
      ...(r.type.group ? { group: r.type.group } : {}),
      kind: r.type.plural,
      uid: deleted.metadata.uid,
    },
  };
}

/** What a dry-run delete answers: an object with finalizers only marked. */
function markedAsDeleted(r: ResourceRequest, stored: KubeObject): KubeObject {
  const isNamespace = r.type.group === '' && r.type.kind === 'Namespace';
  if (isNamespace || !(stored.metadata.finalizers ?? []).length) return stored;
  return {
    ...stored,
    metadata: {
      deletionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      deletionGracePeriodSeconds: 0,
      ...stored.metadata,
    },
  };
}

/** `deletecollection`: the objects the selectors match, as a list. */
export async function removeCollection(
  ctx: ServerContext,
  req: IncomingMessage,
  r: ResourceRequest,
  q: URLSearchParams,
) {
  const { store } = ctx;
  const opts = deleteOptions(req, await readBody(req));
  const dryRun = isDryRun(q, opts);
  const items = store.list(apiVersionOf(r.type), r.type.kind, {
    namespace: r.namespace,
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
  });
  const deleted = dryRun
    ? items
    : items.map(o =>
        store.delete(
          refOf({ ...r, namespace: o.metadata.namespace }, o.metadata.name),
        ),
      );
  return listOf(r.type, deleted, {
    metadata: { resourceVersion: store.currentRevision() },
  });
}
