/**
 * External Secrets installed through OLM: its operator deploys the
 * controller this simulation stands for only once its configuration object
 * exists, and says so on that object.
 *
 * - The community package `external-secrets-operator`
 *   (external-secrets/external-secrets-helm-operator, `watches.yaml`) is a
 *   Helm operator: each `OperatorConfig` (operator.external-secrets.io/
 *   v1alpha1, namespaced) becomes a release of the External Secrets chart.
 *   Status as operator-framework/operator-sdk's Helm operator writes it
 *   (`internal/helm/internal/types/types.go`, `internal/helm/controller/
 *   reconcile.go`): `Initialized` True, then `Deployed` True with reason
 *   `InstallSuccessful` and the chart's notes as message, and
 *   `deployedRelease.name`.
 * - Red Hat's `openshift-external-secrets-operator`
 *   (openshift/external-secrets-operator) acts on the cluster-scoped
 *   `ExternalSecretsConfig` (operator.openshift.io/v1alpha1) named `cluster`
 *   (`api/v1alpha1/external_secrets_config_types.go`; other names are
 *   refused by a CEL rule the sandbox does not evaluate, so it ignores
 *   them). Status as `pkg/controller/external_secrets/controller.go`
 *   writes it: `Degraded` False and `Ready` True, both with reason `Ready`
 *   and the observed generation, `Ready`'s message "reconciliation
 *   successful".
 *
 * An operator acts only while its ClusterServiceVersion has `Succeeded`
 * (found by OLM's `operators.coreos.com/<package>.<namespace>` label), and
 * reports the object deployed `profile.esoReconcileMs` after it first saw
 * it (the chart's install), adding its finalizer
 * (`helm.sdk.operatorframework.io/uninstall-release`,
 * `externalsecretsconfigs.operator.openshift.io/external-secrets-controller`).
 * Deleting the object stops the controller at once (the object is only
 * being deleted: the finalizer holds it); the operator then removes the
 * operand, writes the status the real one writes (the Helm operator:
 * `Deployed` False `UninstallSuccessful`, no `deployedRelease`) and removes
 * its finalizer, and the object is gone. Simplified: the controller's Deployment is
 * not modelled (the sandbox serves apps/v1 but creates it not), nor what the objects' specs
 * configure (chart values, network policies).
 *
 * External Secrets with no CSV at all stands for one installed another way
 * (Helm, upstream manifests): it runs, as the sandbox always let it.
 */
import { ApiError, KubeObject, ObjectRef, ObjectStore } from '../../kube/types';
import {
  Condition,
  WorkQueue,
  keyOf,
  setCondition,
  splitKey,
  startWorkQueue,
  writeStatus,
} from '../kit';
import { EsoRuntime } from './model';

/** An OLM package of External Secrets and the object its operator waits for. */
interface EsoOperatorModel {
  package: string;
  config: { apiVersion: string; kind: string };
  /** The only name the operator acts on (a singleton). */
  name?: string;
  /** The finalizer the operator holds a deployed object with. */
  finalizer: string;
  /** Whether the object says the controller is deployed. */
  deployed(o: KubeObject): boolean;
  /** The status the operator writes once the controller is deployed. */
  status(o: KubeObject): Record<string, unknown>;
  /** The status it writes once it removed the controller; none if it writes none. */
  uninstalled?(o: KubeObject): Record<string, unknown>;
}

const CSV = {
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'ClusterServiceVersion',
};

/** A condition without the empty fields Go's `omitempty` leaves out. */
const condition = (c: Condition, list: Condition[] | undefined) =>
  setCondition(list, c).map(x =>
    Object.fromEntries(Object.entries(x).filter(([, v]) => v !== '')),
  ) as Condition[];

const conditions = (o: KubeObject) =>
  ((o.status as { conditions?: Condition[] })?.conditions ?? []).filter(
    c => c && typeof c === 'object',
  );

const isTrue = (o: KubeObject, type: string) =>
  conditions(o).some(c => c.type === type && c.status === 'True');

/** The two External Secrets packages OLM can install. */
export const ESO_OPERATORS: EsoOperatorModel[] = [
  {
    package: 'external-secrets-operator',
    config: {
      apiVersion: 'operator.external-secrets.io/v1alpha1',
      kind: 'OperatorConfig',
    },
    finalizer: 'helm.sdk.operatorframework.io/uninstall-release',
    deployed: o => isTrue(o, 'Deployed'),
    status: o => {
      let list = condition(
        { type: 'Initialized', status: 'True', reason: '', message: '' },
        conditions(o),
      );
      list = condition(
        {
          type: 'Deployed',
          status: 'True',
          reason: 'InstallSuccessful',
          // The External Secrets chart's NOTES.txt.
          message: `external-secrets has been deployed successfully in namespace ${o.metadata.namespace}!`,
        },
        list,
      );
      return { conditions: list, deployedRelease: { name: o.metadata.name } };
    },
    // operator-sdk's Helm reconciler on deletion: ReleaseFailed removed,
    // Deployed False UninstallSuccessful, DeployedRelease nil.
    uninstalled: o => {
      const { deployedRelease: _gone, ...rest } = (o.status ?? {}) as Record<
        string,
        unknown
      >;
      const list = condition(
        {
          type: 'Deployed',
          status: 'False',
          reason: 'UninstallSuccessful',
          message: '',
        },
        conditions(o).filter(c => c.type !== 'ReleaseFailed'),
      );
      return { ...rest, conditions: list };
    },
  },
  {
    package: 'openshift-external-secrets-operator',
    config: {
      apiVersion: 'operator.openshift.io/v1alpha1',
      kind: 'ExternalSecretsConfig',
    },
    name: 'cluster',
    finalizer:
      'externalsecretsconfigs.operator.openshift.io/external-secrets-controller',
    deployed: o => {
      const ready = conditions(o).find(c => c.type === 'Ready');
      return (
        ready?.status === 'True' &&
        (ready.observedGeneration ?? 0) >= (o.metadata.generation ?? 1)
      );
    },
    status: o => {
      const generation = o.metadata.generation ?? 1;
      let list = condition(
        {
          type: 'Degraded',
          status: 'False',
          reason: 'Ready',
          message: '',
          observedGeneration: generation,
        },
        conditions(o),
      );
      list = condition(
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'reconciliation successful',
          observedGeneration: generation,
        },
        list,
      );
      return { ...(o.status as object), conditions: list };
    },
  },
];

/** OLM's label on the CSVs of a package: `operators.coreos.com/<package>.<namespace>`. */
function packageOf(csv: KubeObject): string | undefined {
  const suffix = `.${csv.metadata.namespace}`;
  const label = Object.keys(csv.metadata.labels ?? {}).find(
    k => k.startsWith('operators.coreos.com/') && k.endsWith(suffix),
  );
  return label?.slice('operators.coreos.com/'.length, -suffix.length);
}

/** The External Secrets packages with a CSV, and whether one Succeeded. */
function installedOperators(store: ObjectStore) {
  const found = new Map<EsoOperatorModel, boolean>();
  for (const csv of store.list(CSV.apiVersion, CSV.kind)) {
    const model = ESO_OPERATORS.find(m => m.package === packageOf(csv));
    if (!model) continue;
    const succeeded =
      (csv.status as { phase?: string } | undefined)?.phase === 'Succeeded';
    found.set(model, (found.get(model) ?? false) || succeeded);
  }
  return found;
}

/** The objects an operator acts on (none when the kind is not served). */
function configsOf(store: ObjectStore, model: EsoOperatorModel) {
  try {
    return store
      .list(model.config.apiVersion, model.config.kind)
      .filter(o => !model.name || o.metadata.name === model.name);
  } catch {
    return [];
  }
}

/**
 * Whether the External Secrets controller runs: always without the switch
 * (`required` false) or without an OLM install; otherwise once an installed
 * operator (CSV Succeeded) reports one of its objects deployed. `waiting`
 * says what it waits for, for the log.
 */
export function operandState(
  store: ObjectStore,
  required: boolean,
): { running: boolean; waiting?: string } {
  if (!required) return { running: true };
  const installed = installedOperators(store);
  if (installed.size === 0) return { running: true };
  const waits: string[] = [];
  for (const [model, succeeded] of installed) {
    if (!succeeded) {
      waits.push(
        `${model.package}: its ClusterServiceVersion has not Succeeded`,
      );
      continue;
    }
    // An object being deleted no longer runs the controller.
    const deployed = (o: KubeObject) =>
      !o.metadata.deletionTimestamp && model.deployed(o);
    if (configsOf(store, model).some(deployed)) return { running: true };
    waits.push(
      `${model.package}: no ${model.config.kind}${
        model.name ? ` named ${model.name}` : ''
      } deployed`,
    );
  }
  return { running: false, waiting: waits.join('; ') };
}

/**
 * Watches that queue `keys()` whenever an operator's install or its
 * configuration objects change (the kinds the store serves).
 */
export function operandWatches(store: ObjectStore, keys: () => string[]) {
  const served = ESO_OPERATORS.map(m => m.config).filter(k => {
    try {
      store.typeOf(k.apiVersion, k.kind);
      return true;
    } catch {
      return false;
    }
  });
  return [...served, CSV].map(k => ({ ...k, keys }));
}

/**
 * Adds or removes a finalizer with an update of the latest version (retried
 * on conflicts); removing the last one of an object being deleted deletes it.
 */
function setFinalizer(
  store: ObjectStore,
  ref: ObjectRef,
  finalizer: string,
  present: boolean,
) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = store.get(ref);
    if (!current) return;
    const held = current.metadata.finalizers ?? [];
    if (held.includes(finalizer) === present) return;
    const finalizers = present
      ? [...held, finalizer]
      : held.filter(f => f !== finalizer);
    try {
      store.update({
        ...current,
        metadata: { ...current.metadata, finalizers },
      });
      return;
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) continue;
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
  }
}

/** A configuration object's work-queue key: `<kind>:<namespace>/<name>`. */
const configKey = (o: KubeObject) => `${o.kind}:${keyOf(o)}`;

/**
 * Starts the operators' side: the status of their configuration objects,
 * written once the operator is installed and after the chart's install time.
 */
export function startOperatorConfigQueue(rt: EsoRuntime): WorkQueue {
  const { ctx } = rt;
  const store = ctx.store;
  // When each object (by uid) was first seen by a running operator.
  const seenAt = new Map<string, number>();

  const reconcile = (key: string): number | void => {
    const kind = key.slice(0, key.indexOf(':'));
    const model = ESO_OPERATORS.find(m => m.config.kind === kind)!;
    const { namespace, name } = splitKey(key.slice(kind.length + 1));
    const ref = { ...model.config, namespace, name };
    const o = store.get(ref);
    if (!o || (model.name && name !== model.name)) return undefined;
    if (!installedOperators(store).get(model)) {
      // No operator, nobody to remove the finalizer: the object stays.
      seenAt.delete(o.metadata.uid!);
      return undefined;
    }
    const holds = (o.metadata.finalizers ?? []).includes(model.finalizer);
    if (o.metadata.deletionTimestamp) {
      seenAt.delete(o.metadata.uid!);
      if (!holds || rt.stopped()) return undefined;
      if (model.uninstalled) writeStatus(store, ref, model.uninstalled);
      setFinalizer(store, ref, model.finalizer, false);
      ctx.log(
        `external-secrets: ${
          model.package
        } removed the controller for ${kind} ${keyOf(o)}`,
      );
      return undefined;
    }
    if (model.deployed(o)) {
      if (!holds && !rt.stopped()) {
        setFinalizer(store, ref, model.finalizer, true);
      }
      return undefined;
    }
    const first = seenAt.get(o.metadata.uid!) ?? Date.now();
    seenAt.set(o.metadata.uid!, first);
    const wait = first + ctx.profile.esoReconcileMs - Date.now();
    if (wait > 0) return wait;
    if (rt.stopped()) return undefined;
    setFinalizer(store, ref, model.finalizer, true);
    writeStatus(store, ref, current => model.status(current));
    ctx.log(
      `external-secrets: ${
        model.package
      } deployed the controller for ${kind} ${keyOf(o)}`,
    );
    return undefined;
  };

  const allKeys = () =>
    ESO_OPERATORS.flatMap(m => configsOf(store, m)).map(configKey);

  return startWorkQueue({
    ctx,
    name: 'external-secrets-operator-configs',
    watches: operandWatches(store, allKeys),
    listKeys: allKeys,
    resyncMs: ctx.profile.esoReconcileMs * 10,
    reconcile,
  });
}
