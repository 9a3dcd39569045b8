import { parse } from 'yaml';
import { createCrdAdmission } from './admission';
import { BUILTIN_TYPES } from './builtins';
import { loadCrdTypes } from './crds';
import { MemoryObjectStore } from './store';
import { ApiError, KubeObject, ResourceType, apiVersionOf } from './types';

const TYPES = [...BUILTIN_TYPES, ...loadCrdTypes()];
const admission = createCrdAdmission();

function typeOf(o: KubeObject): ResourceType {
  const t = TYPES.find(
    x => apiVersionOf(x) === o.apiVersion && x.kind === o.kind,
  );
  if (!t) throw new Error(`no type ${o.apiVersion} ${o.kind}`);
  return t;
}

function rejection(o: KubeObject, options = {}): ApiError {
  try {
    admission.validate(typeOf(o), o, options);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error(`expected ${o.kind} to be rejected`);
}

const yaml = (text: string) => parse(text) as KubeObject;

// Upstream documentation examples (Red Hat Logging 6, ESO, Argo CD, OLM).
const lokiStack = () =>
  yaml(`
apiVersion: loki.grafana.com/v1
kind: LokiStack
metadata:
  name: logging-loki
  namespace: openshift-logging
spec:
  managementState: Managed
  size: 1x.extra-small
  storage:
    schemas:
    - effectiveDate: '2024-10-01'
      version: v13
    secret:
      name: logging-loki-s3
      type: s3
  storageClassName: gp3-csi
  tenants:
    mode: openshift-logging
`);

const externalSecret = () =>
  yaml(`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: example
  namespace: default
spec:
  refreshInterval: 1h
  secretStoreRef:
    name: secretstore-sample
    kind: ClusterSecretStore
  target:
    name: secret-to-be-created
  data:
  - secretKey: access_key_id
    remoteRef:
      key: provider-key
      property: provider-key-property
`);

const clusterSecretStore = () =>
  yaml(`
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: aws-secretsmanager
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-central-1
      auth:
        secretRef:
          accessKeyIDSecretRef:
            name: awssm-secret
            key: access-key
            namespace: external-secrets
          secretAccessKeySecretRef:
            name: awssm-secret
            key: secret-access-key
            namespace: external-secrets
`);

const application = () =>
  yaml(`
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: openshift-gitops
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
    - CreateNamespace=true
`);

const clusterLogForwarder = () =>
  yaml(`
apiVersion: observability.openshift.io/v1
kind: ClusterLogForwarder
metadata:
  name: collector
  namespace: openshift-logging
spec:
  serviceAccount:
    name: logcollector
  outputs:
  - name: default-lokistack
    type: lokiStack
    lokiStack:
      authentication:
        token:
          from: serviceAccount
      target:
        name: logging-loki
        namespace: openshift-logging
    tls:
      ca:
        key: service-ca.crt
        configMapName: openshift-service-ca.crt
  pipelines:
  - name: default-logstore
    inputRefs:
    - application
    - infrastructure
    outputRefs:
    - default-lokistack
`);

const subscription = () =>
  yaml(`
apiVersion: operators.coreos.com/v1alpha1
kind: Subscription
metadata:
  name: loki-operator
  namespace: openshift-operators-redhat
spec:
  channel: stable-6.2
  installPlanApproval: Automatic
  name: loki-operator
  source: redhat-operators
  sourceNamespace: openshift-marketplace
`);

describe('createCrdAdmission', () => {
  it.each([
    ['LokiStack', lokiStack],
    ['ExternalSecret', externalSecret],
    ['ClusterSecretStore', clusterSecretStore],
    ['Application', application],
    ['ClusterLogForwarder', clusterLogForwarder],
    ['Subscription', subscription],
  ])('accepts the upstream %s example', (_, make) => {
    const o = make();
    expect(() =>
      admission.validate(typeOf(o), o, { fieldValidation: 'Strict' }),
    ).not.toThrow();
  });

  it('names an unsupported LokiStack size like the API server', () => {
    const o = lokiStack();
    (o.spec as any).size = 'huge';
    const e = rejection(o);
    expect(e.code).toBe(422);
    expect(e.reason).toBe('Invalid');
    expect(e.message).toBe(
      'LokiStack.loki.grafana.com "logging-loki" is invalid: spec.size: Unsupported value: "huge": supported values: "1x.demo", "1x.pico", "1x.extra-small", "1x.small", "1x.medium"',
    );
    expect(e.details).toMatchObject({
      name: 'logging-loki',
      group: 'loki.grafana.com',
      kind: 'LokiStack',
      causes: [{ reason: 'FieldValueNotSupported', field: 'spec.size' }],
    });
  });

  it('requires the LokiStack storage secret name', () => {
    const o = lokiStack();
    delete (o.spec as any).storage.secret.name;
    const e = rejection(o);
    expect(e.details?.causes).toEqual([
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.storage.secret.name',
      },
    ]);
    expect(e.message).toContain('spec.storage.secret.name: Required value');
  });

  it('reports every broken field, bracketed', () => {
    const o = lokiStack();
    (o.spec as any).size = 'huge';
    (o.spec as any).storage.schemas[0].version = 'v99';
    const e = rejection(o);
    expect(e.message).toMatch(
      /is invalid: \[spec\.size: .*, spec\.storage\.schemas\[0\]\.version: Unsupported value: "v99"/,
    );
    expect(e.details?.causes?.map(c => c.field).sort()).toEqual([
      'spec.size',
      'spec.storage.schemas[0].version',
    ]);
  });

  it('rejects a malformed ExternalSecret store reference (v1)', () => {
    const o = externalSecret();
    (o.spec as any).secretStoreRef.name = 'Not_A_Name';
    const e = rejection(o);
    expect(e.details?.causes).toEqual([
      expect.objectContaining({
        reason: 'FieldValueInvalid',
        field: 'spec.secretStoreRef.name',
      }),
    ]);
    expect(e.message).toContain(
      'spec.secretStoreRef.name: Invalid value: "Not_A_Name": spec.secretStoreRef.name in body should match',
    );
    // The v1 schema does not require the name (a real API server accepts
    // it; only CEL-free schema rules are checked here too).
    const missing = externalSecret();
    delete (missing.spec as any).secretStoreRef.name;
    expect(() => admission.validate(typeOf(missing), missing)).not.toThrow();
  });

  it('rejects an unknown AWS service in a ClusterSecretStore', () => {
    const o = clusterSecretStore();
    (o.spec as any).provider.aws.service = 'SecretManager';
    const e = rejection(o);
    expect(e.details?.causes?.[0]).toMatchObject({
      reason: 'FieldValueNotSupported',
      field: 'spec.provider.aws.service',
    });
  });

  it('rejects a wrongly typed Argo CD Application field', () => {
    const o = application();
    (o.spec as any).syncPolicy.automated.prune = 'yes';
    const e = rejection(o);
    expect(e.details?.causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        message:
          'Invalid value: "string": spec.syncPolicy.automated.prune in body must be of type boolean: "string"',
        field: 'spec.syncPolicy.automated.prune',
      },
    ]);
  });

  it('requires an Argo CD Application destination and source repo', () => {
    const o = application();
    delete (o.spec as any).destination;
    delete (o.spec as any).source.repoURL;
    const fields = rejection(o)
      .details?.causes?.map(c => c.field)
      .sort();
    expect(fields).toEqual(['spec.destination', 'spec.source.repoURL']);
  });

  it('rejects duplicate ClusterLogForwarder output names (list-type map)', () => {
    const o = clusterLogForwarder();
    const outputs = (o.spec as any).outputs;
    outputs.push(structuredClone(outputs[0]));
    const e = rejection(o);
    expect(e.details?.causes).toEqual([
      expect.objectContaining({
        reason: 'FieldValueDuplicate',
        field: 'spec.outputs[1]',
      }),
    ]);
  });

  it('rejects an unknown ClusterLogForwarder output type', () => {
    const o = clusterLogForwarder();
    (o.spec as any).outputs[0].type = 'loki-stack';
    expect(rejection(o).details?.causes?.[0]).toMatchObject({
      reason: 'FieldValueNotSupported',
      field: 'spec.outputs[0].type',
    });
  });

  it('requires the OLM Subscription package and catalog source', () => {
    const o = subscription();
    delete (o.spec as any).name;
    delete (o.spec as any).sourceNamespace;
    const e = rejection(o);
    expect(e.message).toBe(
      'Subscription.operators.coreos.com "loki-operator" is invalid: [spec.name: Required value, spec.sourceNamespace: Required value]',
    );
  });

  it('rejects unknown fields under Strict with the decoder message', () => {
    const o = lokiStack();
    (o.spec as any).sizee = '1x.small';
    (o.metadata as any).lables = { a: 'b' };
    const e = rejection(o, { fieldValidation: 'Strict' });
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe(
      'LokiStack in version "v1" cannot be handled as a LokiStack: strict decoding error: unknown field "metadata.lables", unknown field "spec.sizee"',
    );
  });

  it('prunes unknown fields otherwise, warning under Warn', () => {
    const o = lokiStack();
    (o.spec as any).sizee = '1x.small';
    (o.spec as any).storage.secret.nam = 'x';
    const { warnings } = admission.validate(typeOf(o), o, {
      fieldValidation: 'Warn',
    });
    expect(warnings).toEqual([
      'unknown field "spec.sizee"',
      'unknown field "spec.storage.secret.nam"',
    ]);
    expect(o.spec).not.toHaveProperty('sizee');
    expect((o.spec as any).storage.secret).not.toHaveProperty('nam');

    const quiet = lokiStack();
    (quiet.spec as any).sizee = '1x.small';
    expect(admission.validate(typeOf(quiet), quiet).warnings).toEqual([]);
    expect(quiet.spec).not.toHaveProperty('sizee');
  });

  it('keeps fields under x-kubernetes-preserve-unknown-fields', () => {
    const o = application();
    (o.spec as any).source.helm = {
      valuesObject: { anything: { goes: [1, 2] } },
    };
    admission.validate(typeOf(o), o, { fieldValidation: 'Strict' });
    expect((o.spec as any).source.helm.valuesObject).toEqual({
      anything: { goes: [1, 2] },
    });
  });

  it('applies schema defaults', () => {
    const o = externalSecret();
    admission.validate(typeOf(o), o);
    expect((o.spec as any).target).toMatchObject({
      name: 'secret-to-be-created',
      creationPolicy: 'Owner',
      deletionPolicy: 'Retain',
    });
  });

  it('lists unknown fields of a partial object without changing it', () => {
    const partial = yaml(`
apiVersion: loki.grafana.com/v1
kind: LokiStack
metadata: {name: x}
spec:
  storage: {secret: {nmae: s}}
`);
    const before = structuredClone(partial);
    expect(admission.unknownFields(typeOf(partial), partial)).toEqual([
      'spec.storage.secret.nmae',
    ]);
    expect(partial).toEqual(before);
  });

  it('validates metadata names and labels of every kind', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'Bad_Name', labels: { app: 'x'.repeat(64) } },
    };
    const e = rejection(secret);
    expect(e.message).toMatch(
      /^Secret "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    expect(e.details?.causes?.map(c => c.field)).toEqual([
      'metadata.name',
      'metadata.labels',
    ]);
  });

  it('folds Secret stringData into base64 data', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: Buffer.from('1').toString('base64') },
      stringData: { b: 'two' },
    };
    admission.validate(typeOf(secret), secret);
    expect(secret).toMatchObject({
      type: 'Opaque',
      data: { a: 'MQ==', b: Buffer.from('two').toString('base64') },
    });
    expect(secret).not.toHaveProperty('stringData');
    const bad: KubeObject = { ...secret, data: { a: 'not base64!' } };
    expect(rejection(bad).code).toBe(400);
  });

  it('serves as the store admission', () => {
    const store = new MemoryObjectStore(TYPES, admission);
    store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'openshift-logging' },
    });
    const o = lokiStack();
    (o.spec as any).bogus = true;
    const created = store.create(o);
    expect(created.spec).not.toHaveProperty('bogus');
    const bad = {
      ...created,
      spec: { ...(created.spec as object), size: 'huge' },
    };
    expect(() => store.update(bad)).toThrow(/spec\.size: Unsupported value/);
  });
});
