import * as k8s from '@kubernetes/client-node';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startTestKube, TestKube } from '../__testUtils__/testKube';
import { KubeObject, ResourceType, apiVersionOf } from '../types';

const KUBECTL = '/usr/bin/kubectl';

let kube: TestKube;

beforeAll(async () => {
  // kubectl sends a kubeconfig's token only over TLS.
  kube = await startTestKube({ tls: true });
  kube.store.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'openshift-logging' },
  });
});
afterAll(() => kube.close());

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function baseArgs() {
  return [
    '--kubeconfig',
    kube.kubeconfigPath,
    '--cache-dir',
    join(kube.dir, 'cache'),
  ];
}

function kubectl(...args: string[]): Promise<Result> {
  return new Promise(resolve => {
    execFile(
      KUBECTL,
      [...baseArgs(), ...args],
      { timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as any).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

function file(name: string, text: string): string {
  const path = join(kube.dir, name);
  writeFileSync(path, text);
  return path;
}

const lokiStackYaml = (name: string, size = '1x.extra-small') => `
apiVersion: loki.grafana.com/v1
kind: LokiStack
metadata:
  name: ${name}
  namespace: openshift-logging
spec:
  size: ${size}
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
`;

const get = (
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
) => kube.store.get({ apiVersion, kind, name, namespace });

/** One valid object of every served kind (OperatorGroup once: both versions share it). */
function seedOneOfEach(): Map<string, KubeObject> {
  const ns = 'openshift-logging';
  const specs: Record<string, Partial<KubeObject>> = {
    Namespace: {},
    Secret: { data: { a: 'Yg==' } },
    ConfigMap: { data: { a: 'b' } },
    ServiceAccount: {},
    Event: {
      involvedObject: { kind: 'LokiStack', name: 'x', namespace: ns },
      reason: 'Created',
      message: 'created',
      type: 'Normal',
    },
    Pod: { spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    Job: {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'c', image: 'busybox' }],
            restartPolicy: 'Never',
          },
        },
      },
    },
    Role: {
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    },
    ClusterRole: { rules: [] },
    RoleBinding: {
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'r',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: ns }],
    },
    ClusterRoleBinding: {
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'r',
      },
      subjects: [
        { kind: 'Group', name: 'g', apiGroup: 'rbac.authorization.k8s.io' },
      ],
    },
    Deployment: {
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    },
    Service: {
      spec: { selector: { app: 'a' }, ports: [{ port: 80 }] },
    },
    PodDisruptionBudget: {
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'a' } } },
    },
    ClusterServiceVersion: {
      spec: { displayName: 'Loki Operator', version: '6.2.0' },
    },
    Application: {
      spec: {
        project: 'default',
        source: {
          repoURL: 'https://example.com/r.git',
          path: '.',
          targetRevision: 'main',
        },
        destination: {
          server: 'https://kubernetes.default.svc',
          namespace: ns,
        },
      },
    },
    AppProject: { spec: { sourceRepos: ['*'] } },
    ClusterLogForwarder: {
      spec: {
        serviceAccount: { name: 'logcollector' },
        outputs: [
          {
            name: 'loki',
            type: 'lokiStack',
            lokiStack: {
              authentication: { token: { from: 'serviceAccount' } },
              target: { name: 'logging-loki', namespace: ns },
            },
          },
        ],
        pipelines: [
          { name: 'logs', inputRefs: ['application'], outputRefs: ['loki'] },
        ],
      },
    },
    ClusterSecretStore: {
      spec: {
        provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } },
      },
    },
    SecretStore: {
      spec: {
        provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } },
      },
    },
    ExternalSecret: {
      spec: {
        secretStoreRef: { name: 'aws', kind: 'ClusterSecretStore' },
        target: { name: 't' },
      },
    },
    LokiStack: parse(lokiStackYaml('x')),
    OperatorGroup: { spec: { targetNamespaces: [ns] } },
    OperatorConfig: { spec: { installCRDs: false } },
    ExternalSecretsConfig: { spec: {} },
    Subscription: {
      spec: {
        name: 'loki-operator',
        channel: 'stable-6.2',
        source: 'redhat-operators',
        sourceNamespace: 'openshift-marketplace',
      },
    },
  };
  const seeded = new Map<string, KubeObject>();
  for (const type of kube.store.types()) {
    if (seeded.has(type.kind)) continue;
    const spec = specs[type.kind];
    if (!spec) throw new Error(`no example for ${type.kind}`);
    const { metadata, apiVersion, kind, ...body } = spec as KubeObject;
    const o = kube.store.create({
      ...body,
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: {
        name: `every-${type.singular}`,
        ...(type.namespaced ? { namespace: ns } : {}),
      },
    });
    seeded.set(type.kind, o);
  }
  return seeded;
}

const resourceArg = (t: ResourceType) =>
  t.group ? `${t.plural}.${t.version}.${t.group}` : t.plural;

describe('kubectl', () => {
  it('lists the served resources', async () => {
    const { stdout, code } = await kubectl('api-resources');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^lokistacks\s+loki\.grafana\.com\/v1\s+true\s+LokiStack$/m,
    );
    expect(stdout).toMatch(
      /^externalsecrets\s+es\s+external-secrets\.io\/v1\s+true\s+ExternalSecret$/m,
    );
    expect(stdout).toMatch(
      /^applications\s+app,apps\s+argoproj\.io\/v1alpha1\s+true\s+Application$/m,
    );
    expect(stdout).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  });

  it('gets every served kind as a table, across namespaces, and as YAML', async () => {
    const seeded = seedOneOfEach();
    const check = async (type: ResourceType) => {
      const name = seeded.get(type.kind)!.metadata.name;
      const table = await kubectl('get', resourceArg(type), '-A');
      expect({
        type: type.kind,
        code: table.code,
        stderr: table.stderr,
      }).toEqual({
        type: type.kind,
        code: 0,
        stderr: '',
      });
      expect(table.stdout.split('\n')[0]).toMatch(
        type.namespaced ? /^NAMESPACE\s+(NAME|LAST SEEN)/ : /^NAME\s/,
      );
      // Events show their object, not their name (a priority column).
      expect(table.stdout).toContain(
        type.kind === 'Event' ? 'lokistack/x' : name,
      );

      const ns = type.namespaced ? ['-n', 'openshift-logging'] : [];
      const one = await kubectl(
        'get',
        resourceArg(type),
        name,
        ...ns,
        '-o',
        'yaml',
      );
      expect(one.code).toBe(0);
      expect(parse(one.stdout)).toMatchObject({
        apiVersion: apiVersionOf(type),
        kind: type.kind,
        metadata: { name },
      });
    };
    // A few kubectl processes at a time: 40+ calls one by one are slow.
    const queue = kube.store.types();
    await Promise.all(
      [1, 2, 3].map(async () => {
        for (let t = queue.shift(); t; t = queue.shift()) await check(t);
      }),
    );
  }, 30_000);

  it('prints CRD printer columns and built-in columns like a real cluster', async () => {
    const subs = await kubectl(
      'get',
      'subscriptions',
      '-n',
      'openshift-logging',
    );
    expect(subs.stdout.split('\n')[0]).toMatch(
      /^NAME\s+PACKAGE\s+SOURCE\s+CHANNEL$/,
    );
    expect(subs.stdout).toMatch(
      /every-subscription\s+loki-operator\s+redhat-operators\s+stable-6\.2/,
    );
    const secrets = await kubectl('get', 'secrets', '-n', 'openshift-logging');
    expect(secrets.stdout.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE$/);
  });

  it('streams changes with get -w', async () => {
    kube.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched-0', namespace: 'default' },
    });
    const child = spawn(KUBECTL, [
      ...baseArgs(),
      'get',
      'configmaps',
      '-n',
      'default',
      '-w',
    ]);
    let out = '';
    child.stdout.on('data', d => {
      out += d;
    });
    try {
      await until(() => out.includes('watched-0'));
      kube.store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched-1', namespace: 'default' },
        data: { a: 'b', c: 'd' },
      });
      await until(() => /watched-1\s+2\s+\d+s/.test(out));
      expect(out.match(/^NAME\s+DATA\s+AGE$/gm)).toHaveLength(1);
    } finally {
      child.kill();
    }
  });

  it('applies a multi-document file server-side', async () => {
    const path = file(
      'ssa.yaml',
      `apiVersion: v1
kind: Secret
metadata:
  name: logging-loki-s3
  namespace: openshift-logging
stringData:
  bucketnames: logs
---
${lokiStackYaml('ssa-loki')}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: loki-s3
  namespace: openshift-logging
spec:
  secretStoreRef: {name: aws, kind: ClusterSecretStore}
  target: {name: logging-loki-s3-synced}
  dataFrom:
  - extract: {key: logging/loki}
`,
    );
    const first = await kubectl('apply', '--server-side', '-f', path);
    expect(first.stderr).toBe('');
    expect(first.stdout.trim().split('\n')).toEqual([
      'secret/logging-loki-s3 serverside-applied',
      'lokistack.loki.grafana.com/ssa-loki serverside-applied',
      'externalsecret.external-secrets.io/loki-s3 serverside-applied',
    ]);
    const es = get(
      'external-secrets.io/v1',
      'ExternalSecret',
      'loki-s3',
      'openshift-logging',
    )!;
    expect(es.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'kubectl', operation: 'Apply' }),
    ]);
    // Defaults of the CRD schema are applied.
    expect((es.spec as any).target.creationPolicy).toBe('Owner');
  });

  it('applies client-side, and a second identical apply changes nothing', async () => {
    const path = file(
      'csa.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: loki-config
  namespace: openshift-logging
data:
  retention: 7d
---
${lokiStackYaml('csa-loki')}`,
    );
    const first = await kubectl('apply', '-f', path);
    expect(first.stdout.trim().split('\n')).toEqual([
      'configmap/loki-config created',
      'lokistack.loki.grafana.com/csa-loki created',
    ]);
    const rv = get(
      'loki.grafana.com/v1',
      'LokiStack',
      'csa-loki',
      'openshift-logging',
    )!.metadata.resourceVersion;
    const second = await kubectl('apply', '-f', path);
    expect(second.stdout.trim().split('\n')).toEqual([
      'configmap/loki-config unchanged',
      'lokistack.loki.grafana.com/csa-loki unchanged',
    ]);
    expect(
      get('loki.grafana.com/v1', 'LokiStack', 'csa-loki', 'openshift-logging')!
        .metadata.resourceVersion,
    ).toBe(rv);

    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('1x.extra-small', '1x.small'),
    );
    const third = await kubectl('apply', '-f', path);
    expect(third.stdout).toContain(
      'lokistack.loki.grafana.com/csa-loki configured',
    );
    expect(
      (
        get(
          'loki.grafana.com/v1',
          'LokiStack',
          'csa-loki',
          'openshift-logging',
        )!.spec as any
      ).size,
    ).toBe('1x.small');
  });

  it('patches with --type merge and deletes', async () => {
    await kubectl('apply', '-f', file('p.yaml', lokiStackYaml('patched')));
    const patched = await kubectl(
      'patch',
      'lokistack',
      'patched',
      '-n',
      'openshift-logging',
      '--type',
      'merge',
      '-p',
      '{"spec":{"size":"1x.medium"}}',
    );
    expect(patched.stdout.trim()).toBe(
      'lokistack.loki.grafana.com/patched patched',
    );
    expect(
      (
        get('loki.grafana.com/v1', 'LokiStack', 'patched', 'openshift-logging')!
          .spec as any
      ).size,
    ).toBe('1x.medium');

    const deleted = await kubectl(
      'delete',
      'lokistack',
      'patched',
      '-n',
      'openshift-logging',
    );
    expect(deleted.stdout.trim()).toBe(
      'lokistack.loki.grafana.com "patched" deleted',
    );
    expect(
      get('loki.grafana.com/v1', 'LokiStack', 'patched', 'openshift-logging'),
    ).toBeUndefined();
  });

  it('keeps an object with finalizers, Terminating, until a patch removes them', async () => {
    await kubectl('apply', '-f', file('f.yaml', lokiStackYaml('held')));
    await kubectl(
      'patch',
      'lokistack',
      'held',
      '-n',
      'openshift-logging',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    );
    const deleted = await kubectl(
      'delete',
      'lokistack',
      'held',
      '-n',
      'openshift-logging',
      '--wait=false',
    );
    expect(deleted.stdout.trim()).toBe(
      'lokistack.loki.grafana.com "held" deleted',
    );
    const shown = await kubectl(
      'get',
      'lokistack',
      'held',
      '-n',
      'openshift-logging',
      '-o',
      'yaml',
    );
    expect(shown.code).toBe(0);
    const metadata = parse(shown.stdout).metadata;
    expect(metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(metadata.deletionGracePeriodSeconds).toBe(0);
    expect(metadata.finalizers).toEqual(['example.com/hold']);

    const added = await kubectl(
      'patch',
      'lokistack',
      'held',
      '-n',
      'openshift-logging',
      '--type',
      'json',
      '-p',
      '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/late"}]',
    );
    expect(added.code).not.toBe(0);
    expect(added.stderr).toContain(
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/late"}',
    );

    const released = await kubectl(
      'patch',
      'lokistack',
      'held',
      '-n',
      'openshift-logging',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    );
    expect(released.code).toBe(0);
    const gone = await kubectl(
      'get',
      'lokistack',
      'held',
      '-n',
      'openshift-logging',
    );
    expect(gone.stderr).toContain(
      'Error from server (NotFound): lokistacks.loki.grafana.com "held" not found',
    );
  });

  it('waits for a condition set while it waits', async () => {
    await kubectl('apply', '-f', file('w.yaml', lokiStackYaml('waited')));
    const waiting = kubectl(
      'wait',
      '--for=condition=Ready',
      'lokistack/waited',
      '-n',
      'openshift-logging',
      '--timeout=10s',
    );
    await new Promise(r => setTimeout(r, 200));
    const current = get(
      'loki.grafana.com/v1',
      'LokiStack',
      'waited',
      'openshift-logging',
    )!;
    kube.store.updateStatus({
      ...current,
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'ReadyComponents',
            message: 'All components ready',
            lastTransitionTime: new Date().toISOString(),
          },
        ],
      },
    });
    const result = await waiting;
    expect(result).toMatchObject({
      code: 0,
      stdout: 'lokistack.loki.grafana.com/waited condition met\n',
    });
  });

  it('creates built-in kinds the way kubectl create does (protobuf bodies)', async () => {
    expect(
      (await kubectl('create', 'namespace', 'created-ns')).stdout.trim(),
    ).toBe('namespace/created-ns created');
    const secret = await kubectl(
      'create',
      'secret',
      'generic',
      'aws-creds',
      '-n',
      'created-ns',
      '--from-literal=access_key_id=AKIA',
      '--from-literal=secret_access_key=s3cr3t',
    );
    expect(secret.stdout.trim()).toBe('secret/aws-creds created');
    expect(get('v1', 'Secret', 'aws-creds', 'created-ns')!.data).toEqual({
      access_key_id: Buffer.from('AKIA').toString('base64'),
      secret_access_key: Buffer.from('s3cr3t').toString('base64'),
    });
  });

  it('rejects unknown fields (--validate=strict is the default) and prunes them with --validate=false', async () => {
    const path = file(
      'typo.yaml',
      lokiStackYaml('typo').replace('  size:', '  sizee: 1x.demo\n  size:'),
    );
    const strict = await kubectl('apply', '-f', path);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain(
      'LokiStack in version "v1" cannot be handled as a LokiStack: strict decoding error: unknown field "spec.sizee"',
    );
    const ssa = await kubectl('apply', '--server-side', '-f', path);
    expect(ssa.stderr).toContain('.spec.sizee: field not declared in schema');

    const lax = await kubectl('apply', '--validate=false', '-f', path);
    expect(lax.code).toBe(0);
    expect(
      get('loki.grafana.com/v1', 'LokiStack', 'typo', 'openshift-logging')!
        .spec,
    ).not.toHaveProperty('sizee');
  });

  it('reports schema violations as the API server does', async () => {
    const bad = await kubectl(
      'apply',
      '-f',
      file('bad.yaml', lokiStackYaml('bad', 'huge')),
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toBe(
      'The LokiStack "bad" is invalid: spec.size: Unsupported value: "huge": supported values: "1x.demo", "1x.pico", "1x.extra-small", "1x.small", "1x.medium"',
    );
  });

  it("refuses a server-side apply over another manager's field until --force-conflicts", async () => {
    const manifest = (value: string) =>
      file(
        'owned.yaml',
        `apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  namespace: openshift-logging
data:
  key: ${value}
`,
      );
    const first = await kubectl(
      'apply',
      '--server-side',
      '--field-manager=other-manager',
      '-f',
      manifest('a'),
    );
    expect(first.stdout.trim()).toBe('configmap/owned serverside-applied');

    const refused = await kubectl(
      'apply',
      '--server-side',
      '-f',
      manifest('b'),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'error: Apply failed with 1 conflict: conflict with "other-manager": .data.key\nPlease review the fields above--they currently have other managers.',
    );
    expect(get('v1', 'ConfigMap', 'owned', 'openshift-logging')!.data).toEqual({
      key: 'a',
    });

    const forced = await kubectl(
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      manifest('b'),
    );
    expect(forced.stdout.trim()).toBe('configmap/owned serverside-applied');
    const owned = get('v1', 'ConfigMap', 'owned', 'openshift-logging')!;
    expect(owned.data).toEqual({ key: 'b' });
    expect(owned.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: 'kubectl',
        operation: 'Apply',
        fieldsV1: { 'f:data': { 'f:key': {} } },
      }),
    ]);
  });

  it('refuses a client-side apply whose last-applied annotation passes 256 KiB, as a cluster does; server-side apply takes it', async () => {
    const path = file(
      'big.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: big
  namespace: openshift-logging
data:
  dashboard.json: ${'x'.repeat(300 * 1024)}
`,
    );
    const client = await kubectl('apply', '-f', path);
    expect(client.code).not.toBe(0);
    expect(client.stderr.trim()).toBe(
      'The ConfigMap "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
    );
    expect(get('v1', 'ConfigMap', 'big', 'openshift-logging')).toBeUndefined();

    const server = await kubectl('apply', '--server-side', '-f', path);
    expect(server.stdout.trim()).toBe('configmap/big serverside-applied');
  });

  it('applies the List that kubectl get -o yaml prints (OpenAPI v2)', async () => {
    const created = await kubectl(
      'apply',
      '-f',
      file(
        'listed.yaml',
        ['listed-a', 'listed-b']
          .map(
            name => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: openshift-logging
  labels: {listed: "yes"}
data: {v: "1"}
`,
          )
          .join('---\n'),
      ),
    );
    expect(created.code).toBe(0);
    const got = await kubectl(
      'get',
      'configmaps',
      '-n',
      'openshift-logging',
      '-l',
      'listed=yes',
      '-o',
      'yaml',
    );
    expect(parse(got.stdout)).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    const path = file('list.yaml', got.stdout.replace(/v: "1"/g, 'v: "2"'));
    const applied = await kubectl('apply', '-f', path);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim().split('\n')).toEqual([
      'configmap/listed-a configured',
      'configmap/listed-b configured',
    ]);
    expect(
      get('v1', 'ConfigMap', 'listed-b', 'openshift-logging')!.data,
    ).toEqual({ v: '2' });
  });

  it('validates the items of a List against the OpenAPI v2 schemas, as kubectl does against a cluster', async () => {
    const path = file(
      'bad-list.yaml',
      `apiVersion: v1
kind: List
items:
- apiVersion: loki.grafana.com/v1
  kind: LokiStack
  metadata: {name: listed, namespace: openshift-logging}
  spec:
    sizee: 1x.demo
    size: 1x.demo
    storage:
      schemas: [{effectiveDate: '2024-10-01', version: v13}]
      secret: {name: logging-loki-s3, type: s3}
    storageClassName: gp3-csi
    tenants: {mode: openshift-logging}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: listed-c, namespace: openshift-logging}
  dataa: {v: "1"}
`,
    );
    const result = await kubectl('apply', '-f', path);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      `error: error validating "${path}": error validating data: [ValidationError(LokiStack.spec): unknown field "sizee" in com.grafana.loki.v1.LokiStack.spec, ValidationError(ConfigMap): unknown field "dataa" in io.k8s.api.core.v1.ConfigMap]; if you choose to ignore these errors, turn validation off with --validate=false`,
    );
  });

  it('answers a kind nothing serves with kubectl\'s "no matches for kind", in a served group too', async () => {
    const crds = await kubectl('get', 'crd');
    expect(crds.stdout).toMatch(/^NAME\s+CREATED AT$/m);
    expect(crds.stdout).toMatch(/^lokistacks\.loki\.grafana\.com\s/m);
    for (const [apiVersion, kind] of [
      ['example.com/v1', 'Widget'],
      // A typo in a served group: kubectl looks for its CRD first.
      ['loki.grafana.com/v1', 'LokiStak'],
    ]) {
      const path = file(
        'widget.yaml',
        `apiVersion: ${apiVersion}
kind: ${kind}
metadata:
  name: w
  namespace: openshift-logging
`,
      );
      for (const mode of [[], ['--server-side']]) {
        const result = await kubectl('apply', ...mode, '-f', path);
        expect(result.code).not.toBe(0);
        expect(result.stderr.trim()).toBe(
          `error: resource mapping not found for name: "w" namespace: "openshift-logging" from "${path}": no matches for kind "${kind}" in version "${apiVersion}"\nensure CRDs are installed first`,
        );
      }
    }
  });

  it('serves client-node over TLS with the CA from the kubeconfig', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    const list = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
    expect(list.items.map(n => n.metadata?.name)).toContain(
      'openshift-logging',
    );
  });
});

async function until(check: () => boolean, timeoutMs = 10_000) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 20));
  }
}
