/**
 * Decoding of Kubernetes protobuf request bodies (`application/
 * vnd.kubernetes.protobuf`) for the built-in kinds kubectl's typed clients
 * send that way: `kubectl create namespace|secret|configmap|serviceaccount|
 * role|rolebinding|clusterrole|clusterrolebinding|job`. Responses are
 * always JSON (those clients accept it). Fields not described here are
 * dropped.
 */

type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time';
type Kind =
  | Scalar
  | Message
  | { map: 'string' | 'bytes' }
  | { repeated: Scalar | Message };
interface Message {
  [field: number]: [name: string, kind: Kind];
}

const TIME: Message = { 1: ['seconds', 'int'], 2: ['nanos', 'int'] };

const OWNER_REFERENCE: Message = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};

const OBJECT_META: Message = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', 'time'],
  11: ['labels', { map: 'string' }],
  12: ['annotations', { map: 'string' }],
  13: ['ownerReferences', { repeated: OWNER_REFERENCE }],
  14: ['finalizers', { repeated: 'string' }],
};

const OBJECT_REFERENCE: Message = {
  1: ['kind', 'string'],
  2: ['namespace', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['fieldPath', 'string'],
};

const LOCAL_OBJECT_REFERENCE: Message = { 1: ['name', 'string'] };

const LABEL_SELECTOR: Message = {
  1: ['matchLabels', { map: 'string' }],
  2: [
    'matchExpressions',
    {
      repeated: {
        1: ['key', 'string'],
        2: ['operator', 'string'],
        3: ['values', { repeated: 'string' }],
      },
    },
  ],
};

const POLICY_RULE: Message = {
  1: ['verbs', { repeated: 'string' }],
  2: ['apiGroups', { repeated: 'string' }],
  3: ['resources', { repeated: 'string' }],
  4: ['resourceNames', { repeated: 'string' }],
  5: ['nonResourceURLs', { repeated: 'string' }],
};

const SUBJECT: Message = {
  1: ['kind', 'string'],
  2: ['apiGroup', 'string'],
  3: ['name', 'string'],
  4: ['namespace', 'string'],
};

const ROLE_REF: Message = {
  1: ['apiGroup', 'string'],
  2: ['kind', 'string'],
  3: ['name', 'string'],
};

const BINDING: Message = {
  1: ['metadata', OBJECT_META],
  2: ['subjects', { repeated: SUBJECT }],
  3: ['roleRef', ROLE_REF],
};

const ENV_VAR: Message = { 1: ['name', 'string'], 2: ['value', 'string'] };

const CONTAINER: Message = {
  1: ['name', 'string'],
  2: ['image', 'string'],
  3: ['command', { repeated: 'string' }],
  4: ['args', { repeated: 'string' }],
  5: ['workingDir', 'string'],
  7: ['env', { repeated: ENV_VAR }],
  14: ['imagePullPolicy', 'string'],
};

const POD_SPEC: Message = {
  2: ['containers', { repeated: CONTAINER }],
  3: ['restartPolicy', 'string'],
  4: ['terminationGracePeriodSeconds', 'int'],
  5: ['activeDeadlineSeconds', 'int'],
  8: ['serviceAccountName', 'string'],
  15: ['imagePullSecrets', { repeated: LOCAL_OBJECT_REFERENCE }],
  20: ['initContainers', { repeated: CONTAINER }],
};

const TYPES: Record<string, Message> = {
  'v1/Namespace': {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['finalizers', { repeated: 'string' }] }],
    3: ['status', { 1: ['phase', 'string'] }],
  },
  'v1/Secret': {
    1: ['metadata', OBJECT_META],
    2: ['data', { map: 'bytes' }],
    3: ['type', 'string'],
    4: ['stringData', { map: 'string' }],
    5: ['immutable', 'bool'],
  },
  'v1/ConfigMap': {
    1: ['metadata', OBJECT_META],
    2: ['data', { map: 'string' }],
    3: ['binaryData', { map: 'bytes' }],
    4: ['immutable', 'bool'],
  },
  'v1/ServiceAccount': {
    1: ['metadata', OBJECT_META],
    2: ['secrets', { repeated: OBJECT_REFERENCE }],
    3: ['imagePullSecrets', { repeated: LOCAL_OBJECT_REFERENCE }],
    4: ['automountServiceAccountToken', 'bool'],
  },
  'rbac.authorization.k8s.io/v1/Role': {
    1: ['metadata', OBJECT_META],
    2: ['rules', { repeated: POLICY_RULE }],
  },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    1: ['metadata', OBJECT_META],
    2: ['rules', { repeated: POLICY_RULE }],
    3: [
      'aggregationRule',
      { 1: ['clusterRoleSelectors', { repeated: LABEL_SELECTOR }] },
    ],
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': BINDING,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': BINDING,
  'batch/v1/Job': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['parallelism', 'int'],
        2: ['completions', 'int'],
        3: ['activeDeadlineSeconds', 'int'],
        6: [
          'template',
          { 1: ['metadata', OBJECT_META], 2: ['spec', POD_SPEC] },
        ],
        7: ['backoffLimit', 'int'],
        8: ['ttlSecondsAfterFinished', 'int'],
      },
    ],
  },
};

/** The 4-byte prefix of every Kubernetes protobuf body. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done() {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function scalar(kind: Scalar, wire: number, r: Reader): unknown {
  if (kind === 'int' || kind === 'bool') {
    const v = r.varint();
    return kind === 'bool' ? v !== 0n : Number(BigInt.asIntN(64, v));
  }
  if (wire !== 2) throw new Error(`unexpected wire type ${wire}`);
  const b = r.bytes();
  if (kind === 'bytes') return b.toString('base64');
  if (kind === 'time') {
    const t = decodeMessage(b, TIME) as { seconds?: number; nanos?: number };
    if (!t.seconds) return undefined;
    return new Date(t.seconds * 1000).toISOString().replace('.000Z', 'Z');
  }
  return b.toString('utf8');
}

/**
 * Decodes one message; singular zero values are left out as Go's JSON
 * `omitempty` does, list elements are kept as they are (`apiGroups: [""]`).
 */
function decodeMessage(buf: Buffer, desc: Message): Record<string, unknown> {
  const out: Record<string, any> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const key = Number(r.varint());
    const field = key >> 3;
    const wire = key & 7;
    const entry = desc[field];
    if (!entry) {
      r.skip(wire);
      continue;
    }
    const [name, kind] = entry;
    if (typeof kind === 'string') {
      const v = scalar(kind, wire, r);
      if (v !== undefined && v !== '' && v !== 0 && v !== false) out[name] = v;
    } else if ('map' in kind) {
      const e = decodeMessage(r.bytes(), {
        1: ['key', 'string'],
        2: ['value', kind.map as Scalar],
      });
      out[name] = { ...out[name], [String(e.key ?? '')]: e.value ?? '' };
    } else if ('repeated' in kind) {
      const item = kind.repeated;
      const v =
        typeof item === 'string'
          ? scalar(item, wire, r)
          : decodeMessage(r.bytes(), item);
      (out[name] ??= []).push(v ?? '');
    } else {
      const v = decodeMessage(r.bytes(), kind);
      if (Object.keys(v).length) out[name] = v;
    }
  }
  return out;
}

/** Whether a `Content-Type` is the Kubernetes protobuf encoding. */
export function isProtobuf(contentType: string | undefined): boolean {
  return (
    (contentType ?? '').split(';')[0].trim() ===
    'application/vnd.kubernetes.protobuf'
  );
}

/**
 * Decodes a Kubernetes protobuf body into the JSON object a client would
 * have sent; undefined when the kind is not one this module knows (the
 * server then answers 415 as for any other unsupported body).
 */
export function decodeProtobufObject(
  body: Buffer,
): Record<string, unknown> | undefined {
  if (!body.subarray(0, 4).equals(MAGIC)) {
    throw new Error('not a Kubernetes protobuf message (missing magic)');
  }
  const unknown = decodeMessage(body.subarray(4), {
    1: ['typeMeta', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }],
    2: ['raw', 'bytes'],
  }) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: string };
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  const desc = TYPES[`${apiVersion}/${kind}`];
  if (!desc) return undefined;
  const object = decodeMessage(Buffer.from(unknown.raw ?? '', 'base64'), desc);
  return { apiVersion, kind, metadata: {}, ...object };
}
