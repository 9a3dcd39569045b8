import { BUILTIN_TYPES, INITIAL_NAMESPACES } from '../kube/builtins';
import { loadCrdTypes } from '../kube/crds';
import { MemoryObjectStore } from '../kube/store';
import { KubeObject } from '../kube/types';
import { startOlmController } from './olm';
import {
  conditionOf,
  newTestStore,
  testContext,
  waitFor,
} from './__testUtils__/operators';
import { Controller } from './types';

const SUB = {
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'Subscription',
};
const CSV = {
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'ClusterServiceVersion',
};

function subscription(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    ...SUB,
    metadata: { name, namespace },
    spec: {
      name,
      channel: 'stable-6.2',
      source: 'redhat-operators',
      sourceNamespace: 'openshift-marketplace',
      installPlanApproval: 'Automatic',
      ...spec,
    },
  };
}

function operatorGroup(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'operators.coreos.com/v1',
    kind: 'OperatorGroup',
    metadata: { name, namespace },
    spec: { upgradeStrategy: 'Default' },
  };
}

describe('startOlmController', () => {
  let controller: Controller | undefined;
  afterEach(() => controller?.stop());

  function setup() {
    const store = newTestStore(['openshift-logging', 'no-og', 'two-og']);
    const ctx = testContext(store);
    return { store, ctx };
  }

  it('installs the channel head and reports the Subscription at latest known', async () => {
    const { store, ctx } = setup();
    store.create(operatorGroup('openshift-logging', 'cluster-logging'));
    controller = startOlmController(ctx);
    store.create(subscription('openshift-logging', 'cluster-logging'));

    const csv = await waitFor(() => {
      const c = store.get({
        ...CSV,
        namespace: 'openshift-logging',
        name: 'cluster-logging.v6.2.3',
      });
      return (c?.status as any)?.phase === 'Succeeded' && c;
    });
    expect(csv.status).toMatchObject({
      phase: 'Succeeded',
      reason: 'InstallSucceeded',
      message: 'install strategy completed with no errors',
    });
    expect(((csv.status as any).conditions as any[]).map(c => c.phase)).toEqual(
      ['Pending', 'InstallReady', 'Installing', 'Succeeded'],
    );
    expect(csv.metadata.annotations).toMatchObject({
      'olm.operatorGroup': 'cluster-logging',
      'olm.operatorNamespace': 'openshift-logging',
    });

    const sub = await waitFor(() => {
      const s = store.get({
        ...SUB,
        namespace: 'openshift-logging',
        name: 'cluster-logging',
      });
      return (s?.status as any)?.installedCSV && s;
    });
    expect(sub.status).toMatchObject({
      state: 'AtLatestKnown',
      currentCSV: 'cluster-logging.v6.2.3',
      installedCSV: 'cluster-logging.v6.2.3',
    });
    expect(conditionOf(sub, 'CatalogSourcesUnhealthy')).toMatchObject({
      status: 'False',
      reason: 'AllCatalogSourcesHealthy',
      message: 'all available catalogsources are healthy',
    });
    expect(conditionOf(sub, 'ResolutionFailed')).toBeUndefined();

    const og = store.get({
      apiVersion: 'operators.coreos.com/v1',
      kind: 'OperatorGroup',
      namespace: 'openshift-logging',
      name: 'cluster-logging',
    });
    expect((og?.status as any)?.namespaces).toEqual(['']);
  });

  it('fails the CSV without an OperatorGroup, and recovers when one is added', async () => {
    const { store, ctx } = setup();
    controller = startOlmController(ctx);
    store.create(subscription('no-og', 'loki-operator'));

    const failed = await waitFor(() => {
      const c = store.get({
        ...CSV,
        namespace: 'no-og',
        name: 'loki-operator.v6.2.3',
      });
      return (c?.status as any)?.phase === 'Failed' && c;
    });
    expect(failed.status).toMatchObject({
      phase: 'Failed',
      reason: 'NoOperatorGroup',
      message: 'csv in namespace with no operatorgroups',
    });

    store.create(operatorGroup('no-og', 'og'));
    await waitFor(() => {
      const c = store.get({
        ...CSV,
        namespace: 'no-og',
        name: 'loki-operator.v6.2.3',
      });
      return (c?.status as any)?.phase === 'Succeeded';
    });
  });

  it('fails the CSV when the namespace has two OperatorGroups', async () => {
    const { store, ctx } = setup();
    store.create(operatorGroup('two-og', 'a'));
    store.create(operatorGroup('two-og', 'b'));
    controller = startOlmController(ctx);
    store.create(subscription('two-og', 'loki-operator'));
    const failed = await waitFor(() => {
      const c = store.get({
        ...CSV,
        namespace: 'two-og',
        name: 'loki-operator.v6.2.3',
      });
      return (c?.status as any)?.phase === 'Failed' && c;
    });
    expect((failed.status as any).reason).toBe('TooManyOperatorGroups');
  });

  it('reports ResolutionFailed for an unknown package or channel, and installs nothing', async () => {
    const { store, ctx } = setup();
    store.create(operatorGroup('openshift-logging', 'cluster-logging'));
    controller = startOlmController(ctx);
    store.create(subscription('openshift-logging', 'no-such-operator'));
    store.create(
      subscription('openshift-logging', 'loki-operator', {
        channel: 'stable-9.9',
      }),
    );

    const unknownPackage = await waitFor(() =>
      conditionOf(
        store.get({
          ...SUB,
          namespace: 'openshift-logging',
          name: 'no-such-operator',
        }),
        'ResolutionFailed',
      ),
    );
    expect(unknownPackage).toMatchObject({
      status: 'True',
      reason: 'ConstraintsNotSatisfiable',
      message:
        'constraints not satisfiable: no operators found in package no-such-operator in the catalog referenced by subscription no-such-operator',
    });
    const unknownChannel = await waitFor(() =>
      conditionOf(
        store.get({
          ...SUB,
          namespace: 'openshift-logging',
          name: 'loki-operator',
        }),
        'ResolutionFailed',
      ),
    );
    expect(unknownChannel?.message).toBe(
      'constraints not satisfiable: no operators found in channel stable-9.9 of package loki-operator in the catalog referenced by subscription loki-operator',
    );
    // Give an install plan time to (wrongly) run.
    await new Promise(r => setTimeout(r, ctx.profile.csvInstallMs * 3));
    expect(store.list(CSV.apiVersion, CSV.kind)).toEqual([]);
  });

  it('installs from openshift-operators through the seeded global-operators group', async () => {
    const { store, ctx } = setup();
    controller = startOlmController(ctx);
    expect(
      store
        .list('operators.coreos.com/v1', 'OperatorGroup', {
          namespace: 'openshift-operators',
        })
        .map(o => o.metadata.name),
    ).toEqual(['global-operators']);
    store.create(
      subscription('openshift-operators', 'external-secrets-operator', {
        channel: 'stable',
        source: 'community-operators',
      }),
    );
    await waitFor(() => {
      const c = store.get({
        ...CSV,
        namespace: 'openshift-operators',
        name: 'external-secrets-operator.v0.20.4',
      });
      return (c?.status as any)?.phase === 'Succeeded';
    });
  });

  it("lists the CRDs an External Secrets bundle owns, its configuration object's among them", async () => {
    const { store, ctx } = setup();
    controller = startOlmController(ctx);
    store.create(
      subscription('openshift-operators', 'external-secrets-operator', {
        channel: 'stable',
        source: 'community-operators',
      }),
    );
    const csv = await waitFor(() => {
      const c = store.get({
        ...CSV,
        namespace: 'openshift-operators',
        name: 'external-secrets-operator.v0.20.4',
      });
      return (c?.status as any)?.phase === 'Succeeded' && c;
    });
    expect(
      (csv.spec as any).customresourcedefinitions.owned.map(
        (o: any) => `${o.name}/${o.version}`,
      ),
    ).toEqual([
      'clustersecretstores.external-secrets.io/v1',
      'externalsecrets.external-secrets.io/v1',
      'secretstores.external-secrets.io/v1',
      'operatorconfigs.operator.external-secrets.io/v1alpha1',
    ]);
    // How OLM (and the External Secrets simulation) tells the package.
    expect(Object.keys(csv.metadata.labels ?? {})).toContain(
      'operators.coreos.com/external-secrets-operator.openshift-operators',
    );
  });

  it('keeps a CSV Pending while the sandbox does not serve a CRD it owns', async () => {
    // A sandbox started without the ExternalSecretsConfig CRD.
    const store = new MemoryObjectStore([
      ...BUILTIN_TYPES,
      ...loadCrdTypes().filter(t => t.kind !== 'ExternalSecretsConfig'),
    ]);
    for (const name of [...INITIAL_NAMESPACES, 'external-secrets-operator']) {
      store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    store.create(operatorGroup('external-secrets-operator', 'eso'));
    const ctx = testContext(store);
    controller = startOlmController(ctx);
    store.create(
      subscription(
        'external-secrets-operator',
        'openshift-external-secrets-operator',
        { channel: 'stable-v1' },
      ),
    );
    const pending = await waitFor(() => {
      const c = store.get({
        ...CSV,
        namespace: 'external-secrets-operator',
        name: 'external-secrets-operator.v1.0.1',
      });
      return (c?.status as any)?.reason === 'RequirementsNotMet' && c;
    });
    expect(pending.status).toMatchObject({
      phase: 'Pending',
      message: "one or more requirements couldn't be found",
      requirementStatus: [
        {
          kind: 'CustomResourceDefinition',
          name: 'externalsecretsconfigs.operator.openshift.io',
          status: 'NotPresent',
        },
      ],
    });
    await new Promise(r => setTimeout(r, ctx.profile.csvInstallMs * 3));
    expect(
      (
        store.get({
          ...CSV,
          namespace: 'external-secrets-operator',
          name: 'external-secrets-operator.v1.0.1',
        })?.status as any
      ).phase,
    ).toBe('Pending');
  });

  it('does nothing new for an installed operator, even after a restart', async () => {
    const { store, ctx } = setup();
    store.create(operatorGroup('openshift-logging', 'cluster-logging'));
    controller = startOlmController(ctx);
    store.create(subscription('openshift-logging', 'cluster-logging'));
    await waitFor(() => {
      const s = store.get({
        ...SUB,
        namespace: 'openshift-logging',
        name: 'cluster-logging',
      });
      const c = store.get({
        ...CSV,
        namespace: 'openshift-logging',
        name: 'cluster-logging.v6.2.3',
      });
      return (
        (s?.status as any)?.state === 'AtLatestKnown' &&
        (c?.status as any)?.phase === 'Succeeded'
      );
    });
    controller.stop();
    const before = store.currentRevision();
    controller = startOlmController(ctx);
    await new Promise(r => setTimeout(r, ctx.profile.csvInstallMs * 4));
    expect(store.currentRevision()).toBe(before);
    expect(store.list(CSV.apiVersion, CSV.kind)).toHaveLength(1);
  });

  it('stops watching and timing when stopped', async () => {
    const { store, ctx } = setup();
    store.create(operatorGroup('openshift-logging', 'cluster-logging'));
    controller = startOlmController(ctx);
    controller.stop();
    store.create(subscription('openshift-logging', 'cluster-logging'));
    await new Promise(r => setTimeout(r, ctx.profile.csvInstallMs * 3));
    expect(
      store.get({
        ...SUB,
        namespace: 'openshift-logging',
        name: 'cluster-logging',
      })?.status,
    ).toBeUndefined();
  });
});
