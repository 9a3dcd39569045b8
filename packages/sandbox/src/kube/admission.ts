import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { createHash } from 'node:crypto';
import type { Admission } from './store';
import {
  ApiError,
  KubeObject,
  ResourceType,
  StatusCause,
  apiVersionOf,
} from './types';
import { workloadCauses } from './workloads';

/**
 * How the API server treats fields a schema does not declare, as chosen by
 * the `fieldValidation` query parameter: `Strict` rejects the request,
 * `Warn` (the server default since Kubernetes 1.27) drops them with a
 * `Warning` header, `Ignore` drops them silently.
 */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Options of {@link CrdAdmission.validate}. */
export interface ValidateOptions {
  /** Unknown-field policy; `Ignore` when not given. */
  fieldValidation?: FieldValidation;
}

/**
 * Admission as the API server does it for the sandbox's types: prunes
 * unknown fields, applies schema defaults and validates against the CRD's
 * `openAPIV3Schema`, throwing a real `422 Invalid` naming the fields.
 *
 * It is itself an {@link Admission} (for `new MemoryObjectStore(types,
 * admission)`): called that way it prunes silently, as the API server does
 * when no `fieldValidation` is asked for. The HTTP server calls
 * {@link CrdAdmission.validate} with the request's policy.
 */
export type CrdAdmission = Admission & {
  /**
   * Prunes, defaults and validates `object` in place. Under `Strict`, unknown
   * fields throw {@link strictDecodingError} before anything else; under
   * `Warn` they are returned as warning texts. Throws ApiError 422 Invalid
   * when the (pruned, defaulted) object breaks the schema.
   */
  validate(
    type: ResourceType,
    object: KubeObject,
    options?: ValidateOptions,
  ): { warnings: string[] };
  /**
   * The fields of `object` (dotted paths, `spec.foo`, `spec.list[0].bar`)
   * that the type does not declare. Does not change the object; works on
   * partial objects (server-side apply configurations).
   */
  unknownFields(type: ResourceType, object: KubeObject): string[];
  /**
   * Removes the fields the type does not declare, in place, without
   * validating (for partial objects); returns their paths.
   */
  prune(type: ResourceType, object: KubeObject): string[];
};

type Schema = Record<string, any>;

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

// Built-in kinds have no schema here; knowing their top-level fields still
// catches the common typo (`stringdata`) that a real server rejects under
// Strict. Deeper fields are not checked.
const BUILTIN_FIELDS: Record<string, string[]> = {
  '/Secret': ['data', 'stringData', 'type', 'immutable'],
  '/ConfigMap': ['data', 'binaryData', 'immutable'],
  '/Namespace': ['spec', 'status'],
  '/ServiceAccount': [
    'secrets',
    'imagePullSecrets',
    'automountServiceAccountToken',
  ],
  '/Pod': ['spec', 'status'],
  '/Event': [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'series',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ],
  'batch/Job': ['spec', 'status'],
  'apps/Deployment': ['spec', 'status'],
  '/Service': ['spec', 'status'],
  'policy/PodDisruptionBudget': ['spec', 'status'],
  'rbac.authorization.k8s.io/Role': ['rules'],
  'rbac.authorization.k8s.io/ClusterRole': ['rules', 'aggregationRule'],
  'rbac.authorization.k8s.io/RoleBinding': ['subjects', 'roleRef'],
  'rbac.authorization.k8s.io/ClusterRoleBinding': ['subjects', 'roleRef'],
};

const isPlainObject = (v: unknown): v is Record<string, any> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The top-level fields (besides apiVersion, kind and metadata) admission
 * knows of a built-in kind; undefined when it does not check them.
 */
export function builtinFields(
  type: Pick<ResourceType, 'group' | 'kind'>,
): string[] | undefined {
  return BUILTIN_FIELDS[`${type.group}/${type.kind}`];
}

/** `Kind.group` as API server messages name a kind (`Secret` for core). */
export function qualifiedKind(type: Pick<ResourceType, 'kind' | 'group'>) {
  return type.group ? `${type.kind}.${type.group}` : type.kind;
}

/**
 * The `400 BadRequest` a real API server answers for unknown fields under
 * `fieldValidation=Strict` on create and update.
 */
export function strictDecodingError(
  type: ResourceType,
  fields: string[],
): ApiError {
  return new ApiError(
    400,
    'BadRequest',
    `${type.kind} in version "${type.version}" cannot be handled as a ${
      type.kind
    }: strict decoding error: ${fields
      .map(f => `unknown field "${f}"`)
      .join(', ')}`,
  );
}

/**
 * A 422 Invalid in the API server's format: `Kind.group "name" is invalid:
 * field: message` (several causes are bracketed and comma-separated).
 */
export function invalidError(
  type: Pick<ResourceType, 'kind' | 'group'>,
  name: string,
  causes: StatusCause[],
): ApiError {
  const texts = causes.map(c => `${c.field}: ${c.message}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return new ApiError(
    422,
    'Invalid',
    `${qualifiedKind(type)} "${name}" is invalid: ${summary}`,
    { name, group: type.group, kind: type.kind, causes },
  );
}

/** Go's `%#v`-like rendering used in API server field errors. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number')
    return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

// ---------------------------------------------------------------------------
// Structural walk: pruning, defaulting, list-type checks.

interface WalkContext {
  unknown: string[];
  /** Remove unknown fields and nulls in non-nullable fields. */
  prune: boolean;
  /** Apply schema defaults. */
  defaults: boolean;
  causes: StatusCause[];
}

// Marks where ObjectMeta is: the API server checks it against its own Go
// type, whatever the CRD schema says.
const OBJECT_META = { 'x-sandbox-object-meta': true };

function walkMetadata(meta: unknown, path: string, ctx: WalkContext) {
  if (!isPlainObject(meta)) return;
  for (const key of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(key)) {
      ctx.unknown.push(childPath(path, key));
      if (ctx.prune) delete meta[key];
    }
  }
}

function walk(value: unknown, schema: Schema, path: string, ctx: WalkContext) {
  if (!schema) return;
  if (schema['x-sandbox-object-meta']) {
    walkMetadata(value, path, ctx);
    return;
  }
  if (Array.isArray(value)) {
    checkListType(value, schema, path, ctx);
    if (schema.items && typeof schema.items === 'object') {
      value.forEach((item, i) =>
        walk(item, schema.items, childPath(path, i), ctx),
      );
    }
    return;
  }
  if (!isPlainObject(value)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const properties: Schema | undefined = schema.properties;
  const additional = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const sub = properties?.[key];
    const here = childPath(path, key);
    if (sub) {
      // A null in a non-nullable field is dropped before defaulting, as
      // the API server does.
      if (value[key] === null && !sub.nullable) {
        if (ctx.prune) delete value[key];
        continue;
      }
      walk(value[key], sub, here, ctx);
    } else if (embedded && (key === 'apiVersion' || key === 'kind')) {
      continue;
    } else if (embedded && key === 'metadata') {
      walkMetadata(value[key], here, ctx);
    } else if (isPlainObject(additional)) {
      walk(value[key], additional, here, ctx);
    } else if (!preserve && additional !== true) {
      ctx.unknown.push(here);
      if (ctx.prune) delete value[key];
    }
  }
  if (properties && ctx.defaults) {
    for (const [key, sub] of Object.entries(properties)) {
      if (value[key] === undefined && sub && 'default' in sub) {
        value[key] = structuredClone(sub.default);
        walk(value[key], sub, childPath(path, key), ctx);
      }
    }
  }
}

function checkListType(
  list: unknown[],
  schema: Schema,
  path: string,
  ctx: WalkContext,
) {
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== 'set' && listType !== 'map') return;
  const keys: string[] = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const identity =
      listType === 'map' && isPlainObject(item)
        ? JSON.stringify(keys.map(k => item[k] ?? null))
        : JSON.stringify(item);
    if (seen.has(identity)) {
      const shown =
        listType === 'map' && isPlainObject(item)
          ? `map[string]interface {}{${keys
              .map(k => `"${k}":${show(item[k])}`)
              .join(', ')}}`
          : show(item);
      ctx.causes.push({
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: ${shown}`,
        field: childPath(path, i),
      });
    }
    seen.add(identity);
  });
}

// ---------------------------------------------------------------------------
// Schema compilation.

/**
 * Rewrites the Kubernetes extensions ajv does not know into JSON Schema.
 * Pruning has already happened, so no `additionalProperties: false` is
 * needed for unknown fields.
 */
function toAjvSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toAjvSchema);
  if (!isPlainObject(node)) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' || key === 'patternProperties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([k, v]) => [k, toAjvSchema(v)]),
      );
    } else if (
      key === 'x-kubernetes-validations' ||
      key === 'default' ||
      key === 'description'
    ) {
      // CEL is not evaluated; defaults were applied by the walk; descriptions
      // only slow compilation down.
    } else {
      out[key] = toAjvSchema(value);
    }
  }
  if (node['x-kubernetes-int-or-string'] && !node.type && !node.anyOf) {
    out.type = ['integer', 'string'];
  }
  // OpenAPI 3.0 booleans, JSON Schema (draft 7) numbers.
  for (const [exclusive, limit] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ]) {
    if (typeof node[exclusive] !== 'boolean') continue;
    delete out[exclusive];
    if (node[exclusive] && typeof node[limit] === 'number') {
      out[exclusive] = node[limit];
      delete out[limit];
    }
  }
  if (node.nullable && node.type && !Array.isArray(node.type)) {
    out.type = [node.type, 'null'];
    delete out.nullable;
  }
  return out;
}

// The Kubernetes date-time format (go-openapi strfmt) is laxer than RFC 3339:
// it accepts a missing zone and a missing seconds part.
const DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

function newAjv(): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: false,
    // Halves compile time of the large CRD schemas (Argo CD's Application
    // takes ~0.3 s instead of ~0.6 s); validation stays fast.
    code: { optimize: false },
    // Formats Kubernetes does not check (or checks differently) pass.
    formats: {},
  });
  addFormats(ajv, [
    'int32',
    'int64',
    'byte',
    'email',
    'ipv4',
    'ipv6',
    'uri',
    'uuid',
  ]);
  ajv.addFormat('date-time', DATE_TIME);
  return ajv;
}

function collectFormats(node: unknown, into: Set<string>) {
  if (Array.isArray(node)) node.forEach(n => collectFormats(n, into));
  else if (isPlainObject(node)) {
    if (typeof node.format === 'string') into.add(node.format);
    Object.values(node).forEach(n => collectFormats(n, into));
  }
}

/** The most a ConfigMap's or a Secret's data may hold (`corev1.MaxSecretSize`). */
export const MAX_DATA_BYTES = 1024 * 1024;
/** The most all annotations of an object may hold (`TotalAnnotationSizeLimitB`). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

// Kubernetes 1.32's field.TooLong (apimachinery util/validation/field).
const tooLong = (field: string, limit: number): StatusCause => ({
  reason: 'FieldValueTooLong',
  message: `Too long: may not be more than ${limit} bytes`,
  field,
});

// ---------------------------------------------------------------------------
// Error mapping.

function instanceField(data: unknown, pointer: string): string {
  let path = '';
  let value: any = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      path = childPath(path, Number(key));
      value = value[Number(key)];
    } else {
      path = childPath(path, key);
      value = value?.[key];
    }
  }
  return path;
}

function valueAt(data: unknown, pointer: string): unknown {
  let value: any = data;
  for (const raw of pointer.split('/').slice(1)) {
    value = value?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function toCause(error: ErrorObject, data: unknown): StatusCause {
  const field = instanceField(data, error.instancePath);
  const value = valueAt(data, error.instancePath);
  const p = error.params as Record<string, any>;
  const invalid = (text: string): StatusCause => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${show(value)}: ${text}`,
    field,
  });
  switch (error.keyword) {
    case 'required':
      return {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: childPath(field, p.missingProperty),
      };
    case 'enum':
      return {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${show(value)}: supported values: ${(
          p.allowedValues as unknown[]
        )
          .map(show)
          .join(', ')}`,
        field,
      };
    case 'type': {
      const expected = Array.isArray(p.type) ? p.type : [p.type];
      const actual = jsonType(value);
      return {
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${actual}": ${field} in body must be of type ${expected
          .filter((t: string) => t !== 'null')
          .join(' or ')}: "${actual}"`,
        field,
      };
    }
    case 'pattern':
      return invalid(`${field} in body should match '${p.pattern}'`);
    case 'format':
      return invalid(
        `${field} in body must be of type ${p.format}: ${show(value)}`,
      );
    case 'minLength':
      return invalid(
        `${field} in body should be at least ${p.limit} chars long`,
      );
    case 'maxLength':
      return tooLong(field, p.limit);
    case 'minimum':
    case 'exclusiveMinimum':
      return invalid(
        `${field} in body should be greater than ${
          error.keyword === 'minimum' ? 'or equal to ' : ''
        }${p.limit}`,
      );
    case 'maximum':
    case 'exclusiveMaximum':
      return invalid(
        `${field} in body should be less than ${
          error.keyword === 'maximum' ? 'or equal to ' : ''
        }${p.limit}`,
      );
    case 'minItems':
      return {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${
          (value as unknown[]).length
        }: ${field} in body should have at least ${p.limit} items`,
        field,
      };
    case 'maxItems':
      return {
        reason: 'FieldValueTooMany',
        message: `Too many: ${(value as unknown[]).length}: must have at most ${
          p.limit
        } items`,
        field,
      };
    case 'minProperties':
      return invalid(
        `${field} in body should have at least ${p.limit} properties`,
      );
    case 'maxProperties':
      return {
        reason: 'FieldValueTooMany',
        message: `Too many: ${
          Object.keys(value as object).length
        }: must have at most ${p.limit} items`,
        field,
      };
    default:
      return invalid(`${field} in body ${error.message ?? 'is invalid'}`);
  }
}

/**
 * Ajv reports every failing branch of an `anyOf`/`oneOf` plus the combinator
 * itself; the API server reports one error for the field. Keep the
 * combinator's error only.
 */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter(e =>
    ['anyOf', 'oneOf'].includes(e.keyword),
  );
  return errors.filter(
    e =>
      !combinators.some(
        c => c !== e && e.schemaPath.startsWith(`${c.schemaPath}/`),
      ),
  );
}

// ---------------------------------------------------------------------------
// Metadata and built-ins.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function nameCauses(type: ResourceType, name: string): StatusCause[] {
  const bad = (message: string): StatusCause[] => [
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${show(name)}: ${message}`,
      field: 'metadata.name',
    },
  ];
  if (type.group === 'rbac.authorization.k8s.io') {
    if (name === '.' || name === '..') return bad(`may not be '${name}'`);
    if (/[/%]/.test(name))
      return bad(`may not contain '${name.includes('/') ? '/' : '%'}'`);
    return [];
  }
  if (type.group === '' && type.kind === 'Namespace') {
    if (name.length > 63) return bad('must be no more than 63 characters');
    return DNS1123_LABEL.test(name)
      ? []
      : bad(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        );
  }
  if (name.length > 253) return bad('must be no more than 253 characters');
  return DNS1123_SUBDOMAIN.test(name)
    ? []
    : bad(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      );
}

function labelCauses(labels: unknown): StatusCause[] {
  if (!isPlainObject(labels)) return [];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const prefix = slash < 0 ? '' : key.slice(0, slash);
    const name = slash < 0 ? key : key.slice(slash + 1);
    if (
      (slash >= 0 &&
        (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253)) ||
      !QUALIFIED_NAME.test(name) ||
      name.length > 63
    ) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(
          key,
        )}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        field: 'metadata.labels',
      });
    }
    if (typeof value !== 'string') continue;
    if (value.length > 63) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(
          value,
        )}: must be no more than 63 characters`,
        field: 'metadata.labels',
      });
    } else if (value !== '' && !QUALIFIED_NAME.test(value)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(
          value,
        )}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
        field: 'metadata.labels',
      });
    }
  }
  return causes;
}

/** Go's JSON decoder refuses these before any validation: 400, not 422. */
function checkStringMaps(type: ResourceType, object: KubeObject) {
  const fields: Array<[string, unknown]> = [
    ['metadata.labels', object.metadata?.labels],
    ['metadata.annotations', object.metadata?.annotations],
  ];
  if (type.group === '' && ['Secret', 'ConfigMap'].includes(type.kind)) {
    fields.push(['data', object.data]);
    if (type.kind === 'Secret') fields.push(['stringData', object.stringData]);
  }
  for (const [field, map] of fields) {
    if (map === undefined || map === null) continue;
    const bad = isPlainObject(map)
      ? Object.values(map).find(v => typeof v !== 'string')
      : map;
    if (bad !== undefined) {
      throw new ApiError(
        400,
        'BadRequest',
        `${type.kind} in version "${type.version}" cannot be handled as a ${
          type.kind
        }: json: cannot unmarshal ${jsonType(bad)} into Go struct field ${
          field.startsWith('metadata') ? 'ObjectMeta' : type.kind
        }.${field} of type ${isPlainObject(map) ? 'string' : 'map'}`,
      );
    }
  }
}

const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go's JSON decoder refuses a `[]byte` field that is not base64: 400. */
function checkBase64(kind: string, map: unknown) {
  if (!isPlainObject(map)) return;
  for (const value of Object.values(map)) {
    if (typeof value === 'string' && !BASE64.test(value)) {
      throw new ApiError(
        400,
        'BadRequest',
        `${kind} in version "v1" cannot be handled as a ${kind}: illegal base64 data at input byte ${Math.max(
          0,
          [...value].findIndex(ch => !/[A-Za-z0-9+/=]/.test(ch)),
        )}`,
      );
    }
  }
}

/** The bytes a base64 value decodes to. */
const decodedLength = (value: string) => Buffer.from(value, 'base64').length;

/** `ValidateAnnotationsSize`: keys and values together, in bytes. */
function annotationCauses(annotations: unknown): StatusCause[] {
  if (!isPlainObject(annotations)) return [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    size += Buffer.byteLength(key) + Buffer.byteLength(String(value ?? ''));
  }
  return size > MAX_ANNOTATIONS_BYTES
    ? [tooLong('metadata.annotations', MAX_ANNOTATIONS_BYTES)]
    : [];
}

/**
 * `ValidateConfigMap` and `ValidateSecret`: the values of `data` (and a
 * ConfigMap's `binaryData`, decoded) may hold 1 MiB together. A
 * ConfigMap's error names the whole object (`[]`), a Secret's `data`.
 */
function dataSizeCauses(type: ResourceType, object: KubeObject): StatusCause[] {
  if (type.group !== '') return [];
  const values = (map: unknown) =>
    isPlainObject(map)
      ? Object.values(map).filter((v): v is string => typeof v === 'string')
      : [];
  let size = 0;
  if (type.kind === 'ConfigMap') {
    for (const v of values(object.data)) size += Buffer.byteLength(v);
    for (const v of values(object.binaryData)) size += decodedLength(v);
    return size > MAX_DATA_BYTES ? [tooLong('[]', MAX_DATA_BYTES)] : [];
  }
  if (type.kind === 'Secret') {
    for (const v of values(object.data)) size += decodedLength(v);
    return size > MAX_DATA_BYTES ? [tooLong('data', MAX_DATA_BYTES)] : [];
  }
  return [];
}

/** What the API server does to a Secret on write: stringData folds into data. */
function admitSecret(object: KubeObject) {
  checkBase64('Secret', object.data);
  const data = (object.data ?? {}) as Record<string, string>;
  const stringData = object.stringData as Record<string, string> | undefined;
  if (stringData) {
    for (const [key, value] of Object.entries(stringData)) {
      data[key] = Buffer.from(value, 'utf8').toString('base64');
    }
    delete object.stringData;
  }
  if (object.data !== undefined || stringData) object.data = data;
  if (!object.type) object.type = 'Opaque';
}

// ---------------------------------------------------------------------------

// Compiling a large CRD schema takes a few hundred milliseconds; validators
// are pure, so every admission in the process shares them.
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/**
 * Creates the sandbox's admission: CRD `openAPIV3Schema` validation (ajv,
 * one compiled validator per type, compiled on first use), structural
 * pruning, schema defaults, `x-kubernetes-list-type` uniqueness, metadata
 * name/label validation, and the Secret `stringData` → `data` folding every
 * API server does. CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
export function createCrdAdmission(): CrdAdmission {
  const validatorFor = (type: ResourceType): ValidateFunction | undefined => {
    if (!type.schema) return undefined;
    const key = `${apiVersionOf(type)}/${type.kind}/${createHash('sha1')
      .update(JSON.stringify(type.schema))
      .digest('hex')}`;
    let fn = validators.get(key);
    if (!fn) {
      ajv ??= newAjv();
      const schema = toAjvSchema(type.schema) as Schema;
      // The API server validates ObjectMeta itself and ignores the CRD's.
      if (isPlainObject(schema.properties?.metadata)) {
        schema.properties.metadata = { type: 'object' };
      }
      const formats = new Set<string>();
      collectFormats(schema, formats);
      for (const f of formats) {
        if (!ajv.formats[f]) ajv.addFormat(f, true);
      }
      fn = ajv.compile(schema);
      validators.set(key, fn);
    }
    return fn;
  };

  const roots = new Map<ResourceType['schema'], Schema>();
  const rootOf = (schema: Schema): Schema => {
    let root = roots.get(schema);
    if (!root) {
      root = {
        ...schema,
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          ...schema.properties,
          metadata: OBJECT_META,
        },
      };
      roots.set(schema, root);
    }
    return root;
  };

  const structural = (
    type: ResourceType,
    object: KubeObject,
    mutate: { prune?: boolean; defaults?: boolean } = {},
  ): WalkContext => {
    const ctx: WalkContext = {
      unknown: [],
      prune: Boolean(mutate.prune),
      defaults: Boolean(mutate.defaults),
      causes: [],
    };
    if (type.schema) {
      walk(object, rootOf(type.schema), '', ctx);
    } else {
      walkMetadata(object.metadata, 'metadata', ctx);
      const known = BUILTIN_FIELDS[`${type.group}/${type.kind}`];
      if (known) {
        for (const key of Object.keys(object)) {
          if (['apiVersion', 'kind', 'metadata'].includes(key)) continue;
          if (!known.includes(key)) {
            ctx.unknown.push(key);
            if (ctx.prune) delete object[key];
          }
        }
      }
    }
    return ctx;
  };

  const validate = (
    type: ResourceType,
    object: KubeObject,
    options: ValidateOptions = {},
  ): { warnings: string[] } => {
    const mode = options.fieldValidation ?? 'Ignore';
    checkStringMaps(type, object);
    const name = object.metadata?.name ?? '';
    if (mode === 'Strict') {
      const unknown = structural(type, object).unknown.sort();
      if (unknown.length) throw strictDecodingError(type, unknown);
    }
    const ctx = structural(type, object, { prune: true, defaults: true });
    if (type.group === '' && type.kind === 'Secret') admitSecret(object);
    if (type.group === '' && type.kind === 'ConfigMap') {
      checkBase64('ConfigMap', object.binaryData);
    }
    const causes: StatusCause[] = [
      ...(name ? nameCauses(type, name) : []),
      ...labelCauses(object.metadata?.labels),
      ...annotationCauses(object.metadata?.annotations),
      ...dataSizeCauses(type, object),
      ...workloadCauses(type, object),
      ...ctx.causes,
    ];
    const fn = validatorFor(type);
    if (fn && !fn(object)) {
      causes.push(...collapse(fn.errors ?? []).map(e => toCause(e, object)));
    }
    if (causes.length) throw invalidError(type, name, causes);
    return {
      warnings:
        mode === 'Warn'
          ? ctx.unknown.sort().map(f => `unknown field "${f}"`)
          : [],
    };
  };

  const admit = ((type: ResourceType, object: KubeObject) => {
    validate(type, object);
  }) as CrdAdmission;
  admit.validate = validate;
  admit.unknownFields = (type, object) =>
    structural(type, object).unknown.sort();
  // Defaults belong to whole objects; pruning a partial one must not add them.
  admit.prune = (type, object) =>
    structural(type, object, { prune: true }).unknown.sort();
  return admit;
}
