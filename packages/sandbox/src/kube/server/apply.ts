/**
 * The patch verb: JSON patch, merge patch, strategic merge patch (built-in
 * kinds only) and server-side apply, of an object or of its status.
 */
import { IncomingMessage } from 'node:http';
import { invalidError } from '../admission';
import { parsePatchBody, patchObject, patchTypeOf } from '../patch';
import { applyMerge } from '../store';
import { KubeObject, ResourceType, apiVersionOf } from '../types';
import {
  ResourceRequest,
  ServerContext,
  WriteResult,
  checkApplyType,
  checkIdentity,
  checkResourceVersion,
  existing,
  fieldManagerOf,
  fieldValidationOf,
  gvkString,
  isCustom,
  isDryRun,
  refOf,
} from './context';
import { HttpStatus, badRequest, notFound, statusOf } from './errors';
import { readBody } from './http';
import { keepStoredStatus, writeStatus } from './status';

/** A patch's answer: 201 when an apply created the object. */
export interface PatchResult extends WriteResult {
  code: number;
}

const unsupportedPatch = (type: ResourceType) =>
  new HttpStatus(
    statusOf(
      415,
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${
        isCustom(type) ? '' : ', application/strategic-merge-patch+json'
      }`,
    ),
  );

const patchOptionsInvalid = (field: string, reason: string, message: string) =>
  invalidError({ kind: 'PatchOptions', group: 'meta.k8s.io' }, '', [
    { reason, message, field },
  ]);

/** Server-side apply (`application/apply-patch+yaml`). */
function apply(
  ctx: ServerContext,
  r: ResourceRequest,
  q: URLSearchParams,
  text: string,
): PatchResult {
  const { store, admission } = ctx;
  const fieldManager = q.get('fieldManager');
  if (!fieldManager) {
    throw patchOptionsInvalid(
      'fieldManager',
      'FieldValueRequired',
      'Required value: is required for apply patch',
    );
  }
  const body = parsePatchBody('apply', text);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`Object 'Kind' is missing in '${text.slice(0, 200)}'`);
  }
  const applied = body as KubeObject;
  checkApplyType(r.type, applied);
  if (applied.metadata === undefined || applied.metadata === null) {
    applied.metadata = {} as KubeObject['metadata'];
  }
  const bodyNamespace = applied.metadata.namespace ?? '';
  checkIdentity(r.type, applied, { namespace: r.namespace, name: r.name });
  const fieldValidation = fieldValidationOf(q);
  const unknown = admission.unknownFields(r.type, applied);
  if (unknown.length && fieldValidation === 'Strict') {
    throw badRequest(
      `failed to create typed patch object (${bodyNamespace}/${
        applied.metadata.name
      }; ${gvkString(r.type.group, r.type.version, r.type.kind)}): ${unknown
        .map(f => `.${f}: field not declared in schema`)
        .join(', ')}`,
    );
  }
  const warnings =
    fieldValidation === 'Warn' ? unknown.map(f => `unknown field "${f}"`) : [];
  admission.prune(r.type, applied);
  const dryRun = isDryRun(q);
  const stored = store.get(refOf(r));
  if (r.subresource === 'status') {
    if (!stored) throw notFound(r.type, r.name!);
    const status = applyMerge(
      (stored.status ?? {}) as Record<string, unknown>,
      (applied.status ?? {}) as Record<string, unknown>,
    );
    const { body: written } = writeStatus(ctx, r, stored, status, {
      dryRun,
      resourceVersion: undefined,
    });
    return { code: 200, body: written, warnings };
  }
  const options = {
    fieldManager,
    force: q.get('force') === 'true',
  };
  // What the store would end up with (conflicts are refused here), then
  // validated, so a bad apply is a 422 whatever admission the store was
  // built with.
  const planned = store.apply(structuredClone(applied), {
    ...options,
    dryRun: true,
  });
  admission.validate(r.type, structuredClone(planned));
  const code = stored ? 200 : 201;
  if (dryRun) return { code, body: planned, warnings };
  return { code, body: store.apply(applied, options), warnings };
}

/** `patch` of an object or of its status, by the request's content type. */
export async function patch(
  ctx: ServerContext,
  req: IncomingMessage,
  r: ResourceRequest,
  q: URLSearchParams,
): Promise<PatchResult> {
  const patchType = patchTypeOf(req.headers['content-type']);
  if (!patchType) throw unsupportedPatch(r.type);
  if (patchType === 'strategic' && isCustom(r.type)) {
    throw unsupportedPatch(r.type);
  }
  const text = (await readBody(req)).toString('utf8');
  if (patchType === 'apply') return apply(ctx, r, q, text);
  if (q.has('force')) {
    throw patchOptionsInvalid(
      'force',
      'FieldValueForbidden',
      'Forbidden: may not be specified for non-apply patch',
    );
  }
  const stored = existing(ctx, r);
  const patched = patchObject(
    stored,
    patchType,
    parsePatchBody(patchType, text),
  );
  if (patched.metadata.name !== r.name) {
    throw badRequest(
      `the name of the object (${patched.metadata.name}) does not match the name on the URL (${r.name})`,
    );
  }
  if (r.type.namespaced && patched.metadata.namespace !== r.namespace) {
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  patched.apiVersion = apiVersionOf(r.type);
  patched.kind = r.type.kind;
  const fieldValidation = fieldValidationOf(q);
  const dryRun = isDryRun(q);
  if (r.subresource === 'status') {
    // A patch that sets metadata.resourceVersion asks for optimistic locking.
    checkResourceVersion(r, patched, stored);
    return {
      code: 200,
      ...writeStatus(ctx, r, stored, patched.status, {
        dryRun,
        resourceVersion: stored.metadata.resourceVersion,
        validate: { fieldValidation },
      }),
    };
  }
  if (patched.status === undefined) delete patched.status;
  keepStoredStatus(r, patched, stored);
  checkResourceVersion(r, patched, stored);
  const { warnings } = ctx.admission.validate(r.type, patched, {
    fieldValidation,
  });
  if (dryRun) return { code: 200, body: patched, warnings };
  return {
    code: 200,
    body: ctx.store.update(patched, { fieldManager: fieldManagerOf(req, q) }),
    warnings,
  };
}
