/**
 * `/openapi/v2`: the Swagger 2.0 document of the served kinds, in JSON or
 * in the protobuf form kubectl asks for (gnostic's `openapi_v2.Document`,
 * github.com/google/gnostic-models `openapiv2/OpenAPIv2.proto`).
 *
 * kubectl reads it to validate what it cannot have the server validate:
 * the items of a `kind: List` (what `kubectl get -o yaml` prints), and
 * kinds the OpenAPI v3 document does not describe (an unserved kind then
 * gets kubectl's "no matches for kind" instead of a download error).
 * Custom resources are described by their CRD schema the way the API
 * server converts it (apiextensions-apiserver `ToStructuralOpenAPIV2`:
 * no `anyOf`/`oneOf`/`allOf`/`not`, nullable and
 * `x-kubernetes-preserve-unknown-fields` fields untyped); built-in kinds
 * by the top-level fields admission knows (their contents untyped).
 * PATCH operations do not offer strategic merge patch, as in the v3
 * document, so kubectl keeps computing those from its built-in types.
 */
import { builtinFields } from './admission';
import { KUBE_VERSION, definitionName } from './discovery';
import { ResourceType, apiVersionOf } from './types';

type Schema = Record<string, any>;

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const ref = (name: string) => ({ $ref: `#/definitions/${name}` });

const isPlainObject = (v: unknown): v is Record<string, any> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const string = { type: 'string' };
const stringMap = { type: 'object', additionalProperties: string };
const time = { type: 'string', format: 'date-time' };

/** ObjectMeta and what it refers to, as the API server publishes them. */
const META_DEFINITIONS: Record<string, Schema> = {
  [OBJECT_META]: {
    type: 'object',
    properties: {
      annotations: stringMap,
      creationTimestamp: time,
      deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
      deletionTimestamp: time,
      finalizers: { type: 'array', items: string },
      generateName: string,
      generation: { type: 'integer', format: 'int64' },
      labels: stringMap,
      managedFields: {
        type: 'array',
        items: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry'),
      },
      name: string,
      namespace: string,
      ownerReferences: {
        type: 'array',
        items: ref('io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference'),
      },
      resourceVersion: string,
      selfLink: string,
      uid: string,
    },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference': {
    type: 'object',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: string,
      blockOwnerDeletion: { type: 'boolean' },
      controller: { type: 'boolean' },
      kind: string,
      name: string,
      uid: string,
    },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry': {
    type: 'object',
    properties: {
      apiVersion: string,
      fieldsType: string,
      fieldsV1: { type: 'object' },
      manager: string,
      operation: string,
      subresource: string,
      time,
    },
  },
  [PATCH]: { type: 'object' },
};

/**
 * A CRD version's `openAPIV3Schema` as the API server publishes it in v2
 * (`ToStructuralOpenAPIV2`), without descriptions.
 */
function toV2(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (['allOf', 'anyOf', 'oneOf', 'not', 'description'].includes(key)) {
      continue;
    }
    if (key === 'x-kubernetes-validations') continue;
    if (key === 'properties' && isPlainObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, toV2(v as Schema)]),
      );
    } else if (key === 'items' && isPlainObject(value)) {
      out.items = toV2(value);
    } else if (key === 'additionalProperties' && isPlainObject(value)) {
      out.additionalProperties = toV2(value);
    } else if (key === 'nullable') {
      continue;
    } else {
      out[key] = value;
    }
  }
  // Untyped values break kubectl if items or properties are set.
  if (schema.nullable) {
    delete out.type;
    delete out.items;
    delete out.properties;
  }
  if (schema['x-kubernetes-preserve-unknown-fields']) {
    delete out.items;
    delete out.properties;
  }
  if (out.type === 'array' && !out.items) delete out.type;
  if (Array.isArray(out.required) && isPlainObject(schema.properties)) {
    const required = out.required.filter(
      (f: string) => !schema.properties[f]?.nullable,
    );
    if (required.length) out.required = required;
    else delete out.required;
  }
  if (
    isPlainObject(schema.additionalProperties) &&
    schema.additionalProperties.nullable
  ) {
    delete out.required;
  }
  return out;
}

const gvkOf = (t: ResourceType) => ({
  group: t.group,
  kind: t.kind,
  version: t.version,
});

/**
 * Embedded resources get TypeMeta and ObjectMeta (the builder's
 * `addEmbeddedProperties`), unless they keep unknown fields.
 */
function addEmbeddedProperties(s: Schema) {
  for (const sub of Object.values(s.properties ?? {})) {
    addEmbeddedProperties(sub as Schema);
  }
  if (isPlainObject(s.items)) addEmbeddedProperties(s.items);
  if (isPlainObject(s.additionalProperties)) {
    addEmbeddedProperties(s.additionalProperties);
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (s['x-kubernetes-embedded-resource'] === true) {
    s.properties = {
      ...s.properties,
      apiVersion: string,
      kind: string,
      metadata: ref(OBJECT_META),
    };
    const required = new Set<string>(s.required ?? []);
    s.required = [
      ...(s.required ?? []),
      ...['kind', 'apiVersion'].filter(f => !required.has(f)),
    ];
  }
}

/** The definition of a served kind; undefined when nothing is known of its fields. */
function kindDefinition(t: ResourceType): Schema | undefined {
  let definition: Schema;
  if (t.schema?.['x-kubernetes-preserve-unknown-fields'] === true) {
    // Properties would make kubectl refuse every other field.
    definition = { type: 'object' };
  } else if (t.schema) {
    definition = toV2(t.schema);
    definition.properties = {
      ...definition.properties,
      apiVersion: string,
      kind: string,
      metadata: ref(OBJECT_META),
    };
    addEmbeddedProperties(definition);
  } else {
    const fields = builtinFields(t);
    if (!fields) return undefined;
    definition = {
      type: 'object',
      properties: {
        apiVersion: string,
        kind: string,
        metadata: ref(OBJECT_META),
        // Their contents are not described: anything is accepted.
        ...Object.fromEntries(fields.map(f => [f, {}])),
      },
    };
  }
  definition['x-kubernetes-group-version-kind'] = [gvkOf(t)];
  return definition;
}

const query = (name: string, description: string) => ({
  uniqueItems: true,
  type: 'string',
  description,
  name,
  in: 'query',
});

const WRITE_PARAMS = [
  query('dryRun', 'When present, modifications are not persisted.'),
  query('fieldManager', 'Name of the actor making the change.'),
  query(
    'fieldValidation',
    'How to handle unknown fields: Ignore, Warn (default) or Strict.',
  ),
];

const pathParam = (name: string) => ({
  uniqueItems: true,
  type: 'string',
  description: `${name} of the object`,
  name,
  in: 'path',
  required: true,
});

/** The Swagger 2.0 document of `types`. */
export function openApiV2Document(types: ResourceType[]) {
  const paths: Record<string, Schema> = {};
  const definitions: Record<string, Schema> = { ...META_DEFINITIONS };
  for (const t of types) {
    const definition = kindDefinition(t);
    if (definition) definitions[definitionName(t)] = definition;
    const schema = definition ? ref(definitionName(t)) : { type: 'object' };
    const responses = { '200': { description: 'OK', schema } };
    const op = (action: string, extra: Schema = {}) => ({
      consumes: ['*/*'],
      produces: ['application/json', 'application/yaml'],
      operationId: `${action}${t.kind}`,
      responses,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvkOf(t),
      ...extra,
    });
    const body = {
      name: 'body',
      in: 'body',
      required: true,
      schema,
    };
    const prefix = t.group
      ? `/apis/${apiVersionOf(t)}`
      : `/api/${apiVersionOf(t)}`;
    const base = t.namespaced
      ? `${prefix}/namespaces/{namespace}/${t.plural}`
      : `${prefix}/${t.plural}`;
    const scope = t.namespaced ? [pathParam('namespace')] : [];
    const patch = op('patch', {
      consumes: [
        'application/json-patch+json',
        'application/merge-patch+json',
        'application/apply-patch+yaml',
      ],
      parameters: [
        { ...body, schema: ref(PATCH) },
        ...WRITE_PARAMS,
        query('force', 'Force is going to "force" Apply requests.'),
      ],
    });
    paths[base] = {
      get: op('list'),
      post: op('post', { parameters: [body, ...WRITE_PARAMS] }),
      delete: op('deletecollection'),
      parameters: scope,
    };
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: op('put', { parameters: [body, ...WRITE_PARAMS] }),
      patch,
      delete: op('delete', { parameters: [WRITE_PARAMS[0]] }),
      parameters: [pathParam('name'), ...scope],
    };
    if (t.statusSubresource) {
      paths[`${base}/{name}/status`] = {
        get: op('get'),
        put: op('put', { parameters: [body, ...WRITE_PARAMS] }),
        patch,
        parameters: [pathParam('name'), ...scope],
      };
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths,
    definitions,
  };
}

// ---------------------------------------------------------------------------
// Protobuf encoding (proto3: zero values are not written).

const EMPTY = Buffer.alloc(0);

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

const key = (field: number, wire: number) => varint(field * 8 + wire);

/** A length-delimited field (string, bytes, message); messages are written even when empty. */
function bytesField(field: number, value: Buffer): Buffer {
  return Buffer.concat([key(field, 2), varint(value.length), value]);
}

const str = (field: number, value: unknown) =>
  typeof value === 'string' && value
    ? bytesField(field, Buffer.from(value, 'utf8'))
    : EMPTY;

const strs = (field: number, values: unknown) =>
  Array.isArray(values)
    ? Buffer.concat(values.map(v => bytesField(field, Buffer.from(String(v)))))
    : EMPTY;

const bool = (field: number, value: unknown) =>
  value === true ? Buffer.concat([key(field, 0), varint(1)]) : EMPTY;

const int64 = (field: number, value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value > 0
    ? Buffer.concat([key(field, 0), varint(value)])
    : EMPTY;

function double(field: number, value: unknown): Buffer {
  if (typeof value !== 'number' || value === 0) return EMPTY;
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return Buffer.concat([key(field, 1), b]);
}

const message = (field: number, value: Buffer | undefined) =>
  value ? bytesField(field, value) : EMPTY;

/** `Any` with its value as YAML (JSON is YAML). */
const any = (value: unknown) => str(2, JSON.stringify(value));

/** `NamedAny` vendor extensions of a JSON object. */
function extensions(field: number, o: Schema): Buffer {
  return Buffer.concat(
    Object.entries(o)
      .filter(([k]) => k.startsWith('x-'))
      .map(([k, v]) =>
        bytesField(field, Buffer.concat([str(1, k), bytesField(2, any(v))])),
      ),
  );
}

function encodeSchema(s: Schema): Buffer {
  const named = (props: Schema) =>
    Buffer.concat(
      Object.entries(props).map(([name, sub]) =>
        bytesField(
          1,
          Buffer.concat([str(1, name), bytesField(2, encodeSchema(sub))]),
        ),
      ),
    );
  let additional: Buffer | undefined;
  if (isPlainObject(s.additionalProperties)) {
    additional = bytesField(1, encodeSchema(s.additionalProperties));
  } else if (typeof s.additionalProperties === 'boolean') {
    additional = Buffer.concat([
      key(2, 0),
      varint(s.additionalProperties ? 1 : 0),
    ]);
  }
  const types = s.type === undefined ? [] : [].concat(s.type);
  return Buffer.concat([
    str(1, s.$ref),
    str(2, s.format),
    str(4, s.description),
    s.default !== undefined ? bytesField(5, any(s.default)) : EMPTY,
    double(7, s.maximum),
    bool(8, s.exclusiveMaximum),
    double(9, s.minimum),
    bool(10, s.exclusiveMinimum),
    int64(11, s.maxLength),
    int64(12, s.minLength),
    str(13, s.pattern),
    int64(14, s.maxItems),
    int64(15, s.minItems),
    bool(16, s.uniqueItems),
    int64(17, s.maxProperties),
    int64(18, s.minProperties),
    strs(19, s.required),
    Array.isArray(s.enum)
      ? Buffer.concat(s.enum.map((v: unknown) => bytesField(20, any(v))))
      : EMPTY,
    message(21, additional),
    types.length ? bytesField(22, strs(1, types)) : EMPTY,
    isPlainObject(s.items)
      ? bytesField(23, bytesField(1, encodeSchema(s.items)))
      : EMPTY,
    isPlainObject(s.properties) ? bytesField(25, named(s.properties)) : EMPTY,
    extensions(31, s),
  ]);
}

function parameter(p: Schema): Buffer {
  let inner: Buffer;
  if (p.in === 'body') {
    inner = bytesField(
      1,
      Buffer.concat([
        str(1, p.description),
        str(2, p.name),
        str(3, p.in),
        bool(4, p.required),
        bytesField(5, encodeSchema(p.schema)),
      ]),
    );
  } else if (p.in === 'path') {
    inner = bytesField(
      2,
      bytesField(
        4,
        Buffer.concat([
          bool(1, p.required),
          str(2, p.in),
          str(3, p.description),
          str(4, p.name),
          str(5, p.type),
          bool(19, p.uniqueItems),
        ]),
      ),
    );
  } else {
    inner = bytesField(
      2,
      bytesField(
        3,
        Buffer.concat([
          bool(1, p.required),
          str(2, p.in),
          str(3, p.description),
          str(4, p.name),
          str(6, p.type),
          bool(20, p.uniqueItems),
        ]),
      ),
    );
  }
  // ParametersItem { Parameter parameter = 1 }
  return bytesField(1, inner);
}

function operation(op: Schema): Buffer {
  const responses = Buffer.concat(
    Object.entries(op.responses as Schema).map(([code, r]) =>
      bytesField(
        1,
        Buffer.concat([
          str(1, code),
          bytesField(
            2,
            bytesField(
              1,
              Buffer.concat([
                str(1, r.description),
                bytesField(2, bytesField(1, encodeSchema(r.schema))),
              ]),
            ),
          ),
        ]),
      ),
    ),
  );
  return Buffer.concat([
    str(5, op.operationId),
    strs(6, op.produces),
    strs(7, op.consumes),
    ...(op.parameters ?? []).map((p: Schema) => bytesField(8, parameter(p))),
    bytesField(9, responses),
    extensions(13, op),
  ]);
}

const PATH_ITEM_FIELDS: Record<string, number> = {
  get: 2,
  put: 3,
  post: 4,
  delete: 5,
  patch: 8,
};

function pathItem(item: Schema): Buffer {
  return Buffer.concat([
    ...Object.entries(PATH_ITEM_FIELDS).map(([verb, field]) =>
      item[verb] ? bytesField(field, operation(item[verb])) : EMPTY,
    ),
    ...(item.parameters ?? []).map((p: Schema) => bytesField(9, parameter(p))),
  ]);
}

/** The document in protobuf (`application/com.github.proto-openapi.spec.v2.v1.0+protobuf`). */
export function encodeOpenApiV2(
  doc: ReturnType<typeof openApiV2Document>,
): Buffer {
  const paths = Buffer.concat(
    Object.entries(doc.paths).map(([path, item]) =>
      bytesField(
        2,
        Buffer.concat([str(1, path), bytesField(2, pathItem(item))]),
      ),
    ),
  );
  const definitions = Buffer.concat(
    Object.entries(doc.definitions).map(([name, s]) =>
      bytesField(
        1,
        Buffer.concat([str(1, name), bytesField(2, encodeSchema(s))]),
      ),
    ),
  );
  return Buffer.concat([
    str(1, doc.swagger),
    bytesField(
      2,
      Buffer.concat([str(1, doc.info.title), str(2, doc.info.version)]),
    ),
    bytesField(8, paths),
    bytesField(9, definitions),
  ]);
}
