import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  ClusterClient,
  ClusterRegistry,
  EnvironmentRecordsApi,
  ExternalSecretsFlavour,
  FIELD_MANAGER,
  ObjectRef,
} from '@internal/plugin-logging-environments-node';
import yaml from 'yaml';
import { createEnsureOperatorsAction } from './ensureOperators';
import { examples } from './ensureOperators.examples';

type Obj = Record<string, any>;

/**
 * A stand-in cluster whose OLM installs every Subscription at once and
 * whose External Secrets operators report their configuration object
 * deployed as soon as it exists (the real ones, on the sandbox, in
 * packages/backend/src/bootstrap/clusterActions.test.ts).
 */
function fakeCluster() {
  const objects = new Map<string, Obj>();
  const key = (kind: string, namespace: string | undefined, name: string) =>
    `${kind}/${namespace ?? ''}/${name}`;
  const applied: string[] = [];
  const operate = (o: Obj | undefined) => {
    if (!o) return o;
    if (o.kind === 'Subscription') {
      o.status = { installedCSV: `${o.spec.name}.v1` };
    } else if (o.kind === 'OperatorConfig') {
      o.status = {
        conditions: [
          { type: 'Deployed', status: 'True', reason: 'InstallSuccessful' },
        ],
      };
    } else if (o.kind === 'ExternalSecretsConfig') {
      o.status = {
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }],
      };
    }
    return structuredClone(o);
  };
  const cluster = {
    server: 'https://k8s.example.com',
    async get(ref: ObjectRef) {
      if (ref.kind === 'ClusterServiceVersion') {
        return { metadata: { name: ref.name }, status: { phase: 'Succeeded' } };
      }
      return operate(objects.get(key(ref.kind, ref.namespace, ref.name)));
    },
    async list(_apiVersion: string, kind: string) {
      return [...objects.values()].filter(o => o.kind === kind).map(operate);
    },
    async apply(o: Obj) {
      const stored = {
        ...structuredClone(o),
        metadata: {
          ...o.metadata,
          managedFields: [{ manager: FIELD_MANAGER }],
        },
      };
      objects.set(key(o.kind, o.metadata.namespace, o.metadata.name), stored);
      applied.push(
        `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${
          o.metadata.name
        }`,
      );
      return stored;
    },
  };
  return { cluster: cluster as unknown as ClusterClient, applied };
}

function setup(flavour?: ExternalSecretsFlavour) {
  const fake = fakeCluster();
  jest.spyOn(ClusterClient, 'fromKubeConfig').mockReturnValue(fake.cluster);
  const info = {
    name: 'sandbox',
    url: 'https://k8s.example.com',
    externalSecretsFlavour: flavour,
  };
  const clusters: ClusterRegistry = {
    list: () => [info],
    get: () => info,
    // Unused: ClusterClient.fromKubeConfig is stubbed.
    kubeConfig: () => ({} as ReturnType<ClusterRegistry['kubeConfig']>),
    argocdApi: () => undefined,
  };
  // The backend's answer for the examples' environment (its rules are
  // tested in packages/backend).
  const records = {
    checkStep: async () => ({ name: 'acme-prod', cluster: 'sandbox' }),
  } as unknown as EnvironmentRecordsApi;
  const action = createEnsureOperatorsAction({ clusters, records });
  const run = async (input: unknown, dryRun = false) => {
    const checkpoints: string[] = [];
    const ctx = Object.assign(
      createMockActionContext({ input: input as any }),
      {
        isDryRun: dryRun,
        async checkpoint(opts: { key: string; fn: () => unknown }) {
          checkpoints.push(opts.key);
          return opts.fn();
        },
      },
    );
    await action.handler(ctx as any);
    const [[, results]] = (ctx.output as jest.Mock).mock.calls;
    return { results, checkpoints };
  };
  return { ...fake, run };
}

const inputOf = (i: number) => yaml.parse(examples[i].example).steps[0].input;

describe('logging:operators:ensure', () => {
  afterEach(() => jest.restoreAllMocks());

  it('runs every example in a dry run without changing anything', async () => {
    const { run, applied } = setup();
    for (const i of examples.keys()) {
      const { results, checkpoints } = await run(inputOf(i), true);
      expect(checkpoints).toEqual([]);
      expect(results.length).toBeGreaterThan(0);
    }
    expect(applied).toEqual([]);
    const { results } = await run(inputOf(1), true);
    expect(results).toEqual([
      {
        resource: 'Subscription openshift-operators/external-secrets-operator',
        action: 'would-create',
      },
      {
        resource: 'OperatorConfig openshift-operators/cluster',
        action: 'would-create',
      },
    ]);
  });

  it.each([
    [
      'community (the default)',
      undefined,
      [
        'Subscription openshift-operators/external-secrets-operator',
        'OperatorConfig openshift-operators/cluster',
      ],
    ],
    [
      'redhat',
      'redhat' as const,
      [
        'Namespace external-secrets-operator',
        'OperatorGroup external-secrets-operator/external-secrets-operator',
        'Subscription external-secrets-operator/openshift-external-secrets-operator',
        'ExternalSecretsConfig cluster',
      ],
    ],
  ])(
    "installs External Secrets in the cluster's flavour, %s, with its configuration object in a checkpoint of its own",
    async (_name, flavour, objects) => {
      const { run, applied } = setup(flavour);
      const first = await run(inputOf(1));
      expect(applied).toEqual(objects);
      const step = `logging:operators:ensure/sandbox/externalSecrets/${
        flavour ?? 'community'
      }`;
      expect(first.checkpoints).toEqual([step, `${step}/config`]);
      expect(first.results.at(-1)).toEqual({
        resource: objects.at(-1),
        action: 'created',
      });

      // Again: the Subscription and the object are left alone (the
      // Namespaces and OperatorGroups are applied again, as always).
      const second = await run(inputOf(1));
      const kept = (lines: string[]) =>
        lines.filter(l =>
          /^(Subscription|OperatorConfig|ExternalSecretsConfig)/.test(l),
        );
      expect(kept(applied)).toEqual(kept(objects));
      expect(
        second.results
          .filter((r: Obj) => kept([r.resource]).length)
          .map((r: Obj) => r.action),
      ).toEqual(['unchanged', 'unchanged']);
    },
  );

  it('creates no configuration object when External Secrets is not among the operators', async () => {
    const { run, applied } = setup();
    const { checkpoints } = await run(inputOf(0));
    expect(checkpoints).toEqual([
      'logging:operators:ensure/sandbox/loki,logging',
    ]);
    expect(applied.filter(a => !a.startsWith('Namespace'))).toEqual([
      'OperatorGroup openshift-operators-redhat/openshift-operators-redhat',
      'OperatorGroup openshift-logging/cluster-logging',
      'Subscription openshift-operators-redhat/loki-operator',
      'Subscription openshift-logging/cluster-logging',
    ]);
  });
});
