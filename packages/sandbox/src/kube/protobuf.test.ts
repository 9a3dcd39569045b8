import { decodeProtobufObject, isProtobuf } from './protobuf';

// Bodies captured from kubectl 1.32 (`kubectl create namespace pbtest`,
// `kubectl create secret generic s1 -n pbtest --from-literal=a=b
// --type=Opaque`, `kubectl create rolebinding rb1 -n pbtest --role=r1
// --serviceaccount=pbtest:sa1 --user=bob`).
const NAMESPACE =
  'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEh4KFgoGcGJ0ZXN0EgAaACIAKgAyADgAQgASABoCCgAaACIA';
const SECRET =
  'azhzAAoMCgJ2MRIGU2VjcmV0EioKGAoCczESABoGcGJ0ZXN0IgAqADIAOABCABIGCgFhEgFiGgZPcGFxdWUaACIA';
const ROLE_BINDING =
  'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtSb2xlQmluZGluZxKNAQoZCgNyYjESABoGcGJ0ZXN0IgAqADIAOABCABIoCgRVc2VyEhlyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvGgNib2IiABIfCg5TZXJ2aWNlQWNjb3VudBIAGgNzYTEiBnBidGVzdBolChlyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvEgRSb2xlGgJyMRoAIgA=';

const decode = (b64: string) =>
  decodeProtobufObject(Buffer.from(b64, 'base64'));

describe('decodeProtobufObject', () => {
  it('recognises the protobuf content type', () => {
    expect(isProtobuf('application/vnd.kubernetes.protobuf')).toBe(true);
    expect(isProtobuf('application/json')).toBe(false);
  });

  it('decodes what kubectl create namespace sends, leaving out empty fields', () => {
    expect(decode(NAMESPACE)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'pbtest' },
    });
  });

  it('decodes Secret data as base64, as JSON carries it', () => {
    expect(decode(SECRET)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's1', namespace: 'pbtest' },
      data: { a: Buffer.from('b').toString('base64') },
      type: 'Opaque',
    });
  });

  it('decodes RBAC bindings with their subjects and role reference', () => {
    expect(decode(ROLE_BINDING)).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'rb1', namespace: 'pbtest' },
      subjects: [
        { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' },
        { kind: 'ServiceAccount', name: 'sa1', namespace: 'pbtest' },
      ],
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'r1',
      },
    });
  });

  it('returns undefined for kinds it does not know and throws on non-protobuf', () => {
    const body = Buffer.from(SECRET, 'base64');
    // Rename the kind "Secret" to "Secreu" (same length keeps the framing).
    const i = body.indexOf('Secret');
    body.write('Secreu', i);
    expect(decodeProtobufObject(body)).toBeUndefined();
    expect(() => decodeProtobufObject(Buffer.from('{}'))).toThrow(/magic/);
  });
});
