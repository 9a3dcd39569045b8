/**
 * The OpenShift GitOps operator (Red Hat's build of argoproj-labs/
 * argocd-operator), as far as the product meets it: the operator owns
 * `argocd-cm` and renders it from the `ArgoCD` resource
 * (`controllers/argocd/configmap.go`, `reconcileArgoConfigMap`).
 *
 * - On start it creates the default instance, `ArgoCD
 *   openshift-gitops/openshift-gitops`, when it is missing (the operator
 *   does unless `DISABLE_DEFAULT_ARGOCD_INSTANCE` is set), and `argocd-cm`
 *   with the operator's labels and an owner reference to it.
 * - Each `spec.resourceHealthChecks` entry becomes the key
 *   `resource.customizations.health.<group>_<kind>` (`<kind>` for the core
 *   group) holding `check` (`getResourceHealthChecks`); the operator never
 *   writes a `resource.customizations.useOpenLibs.*` key for them, so Argo
 *   CD runs those scripts without the Lua libraries. `spec.extraConfig` is
 *   written last and wins over them.
 * - The operator replaces the whole data of `argocd-cm`, so a key it did not
 *   render disappears and a direct edit is reverted at its next reconcile
 *   (every change of `argocd-cm` or the `ArgoCD` resource triggers one). The
 *   sandbox does that for the health-check and `useOpenLibs` keys only: the
 *   rest of `argocd-cm` is the sandbox's own Argo CD configuration, which
 *   the operator would render from fields the sandbox does not model.
 */
import { join } from 'node:path';
import { ApiError, KubeObject, ObjectStore } from '../kube/types';
import { keyOf, listKeys, refOf, splitKey, startWorkQueue } from './kit';
import { Controller, ControllerContext } from './types';

/** The `ArgoCD` resource's API. */
export const ARGOCD = { apiVersion: 'argoproj.io/v1beta1', kind: 'ArgoCD' };

/** The instance the operator creates on its own. */
export const DEFAULT_ARGOCD_INSTANCE = {
  namespace: 'openshift-gitops',
  name: 'openshift-gitops',
};

// The sandbox always runs from source, never from a production build.
// eslint-disable-next-line no-restricted-syntax
const PACKAGE_SRC = join(__dirname, '..');

/**
 * The `ArgoCD` CRD (argoproj-labs/argocd-operator), served only in
 * OpenShift GitOps mode; see the README there.
 */
export const OPENSHIFT_GITOPS_CRD_DIR = join(
  PACKAGE_SRC,
  '../crds-openshift-gitops',
);

const MANAGER = 'argocd-operator';
const CONFIG_MAP = 'argocd-cm';
/** The keys of `argocd-cm` the sandbox renders as the operator does. */
const RENDERED_PREFIXES = [
  'resource.customizations.health.',
  'resource.customizations.useOpenLibs.',
];
const rendered = (key: string) =>
  RENDERED_PREFIXES.some(prefix => key.startsWith(prefix));

interface ArgoCdSpec {
  resourceHealthChecks?: Array<{
    group?: string;
    kind?: string;
    check?: string;
  }>;
  extraConfig?: Record<string, string>;
}

/**
 * The health-check keys of `argocd-cm` an `ArgoCD` resource renders to, as
 * the operator writes them: one per `spec.resourceHealthChecks` entry (a
 * later entry of the same group and kind wins), then the `spec.extraConfig`
 * keys of that kind.
 */
export function renderHealthChecks(argocd: KubeObject): Record<string, string> {
  const spec = (argocd.spec ?? {}) as ArgoCdSpec;
  const data: Record<string, string> = {};
  for (const entry of spec.resourceHealthChecks ?? []) {
    const group = entry.group ? `${entry.group}_` : '';
    data[`resource.customizations.health.${group}${entry.kind ?? ''}`] =
      entry.check ?? '';
  }
  for (const [key, value] of Object.entries(spec.extraConfig ?? {})) {
    if (rendered(key)) data[key] = String(value);
  }
  return data;
}

/** Creates the default `ArgoCD` instance when missing. */
function ensureDefaultInstance(store: ObjectStore, log: (l: string) => void) {
  if (store.get({ ...ARGOCD, ...DEFAULT_ARGOCD_INSTANCE })) return;
  try {
    store.create(
      { ...ARGOCD, metadata: { ...DEFAULT_ARGOCD_INSTANCE }, spec: {} },
      { fieldManager: MANAGER },
    );
    log(
      `openshift-gitops: created the default instance ArgoCD ${DEFAULT_ARGOCD_INSTANCE.namespace}/${DEFAULT_ARGOCD_INSTANCE.name}`,
    );
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
}

/** Starts the simulated OpenShift GitOps operator. */
export function startOpenShiftGitopsController(
  ctx: ControllerContext,
): Controller {
  const { store, log } = ctx;
  ensureDefaultInstance(store, log);
  const instancesIn = (namespace?: string) =>
    store.list(ARGOCD.apiVersion, ARGOCD.kind, { namespace }).map(keyOf);

  const reconcile = (key: string) => {
    const argocd = store.get(refOf(ARGOCD.apiVersion, ARGOCD.kind, key));
    if (!argocd) return;
    const { namespace } = splitKey(key);
    const desired = renderHealthChecks(argocd);
    const ref = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace,
      name: CONFIG_MAP,
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const cm = store.get(ref);
      if (!cm) {
        store.create(
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {
              name: CONFIG_MAP,
              namespace,
              labels: {
                'app.kubernetes.io/name': CONFIG_MAP,
                'app.kubernetes.io/part-of': 'argocd',
                'app.kubernetes.io/managed-by': argocd.metadata.name,
                'operator.argoproj.io/tracked-by': 'argocd',
              },
              ownerReferences: [
                {
                  apiVersion: ARGOCD.apiVersion,
                  kind: ARGOCD.kind,
                  name: argocd.metadata.name,
                  uid: argocd.metadata.uid!,
                  controller: true,
                },
              ],
            },
            data: desired,
          },
          { fieldManager: MANAGER },
        );
        log(`openshift-gitops: created ${namespace}/${CONFIG_MAP} from ${key}`);
        return;
      }
      const data = { ...((cm.data ?? {}) as Record<string, string>) };
      const changed: string[] = [];
      for (const k of Object.keys(data)) {
        if (rendered(k) && !(k in desired)) {
          delete data[k];
          changed.push(`removed ${k}`);
        }
      }
      for (const [k, v] of Object.entries(desired)) {
        if (data[k] !== v) {
          changed.push(`${k in data ? 'reverted' : 'set'} ${k}`);
          data[k] = v;
        }
      }
      if (changed.length === 0) return;
      try {
        store.update({ ...cm, data }, { fieldManager: MANAGER });
        log(
          `openshift-gitops: rendered ${namespace}/${CONFIG_MAP} from ArgoCD ${key}: ${changed.join(
            ', ',
          )}`,
        );
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  };

  const queue = startWorkQueue({
    ctx,
    name: 'openshift-gitops',
    watches: [
      {
        ...ARGOCD,
        keys: (o, type) => (type === 'DELETED' ? [] : [keyOf(o)]),
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        keys: o =>
          o.metadata.name === CONFIG_MAP
            ? instancesIn(o.metadata.namespace)
            : [],
      },
    ],
    listKeys: () => listKeys(store, ARGOCD.apiVersion, ARGOCD.kind),
    resyncMs: ctx.profile.argoReconcileMs,
    reconcile,
  });
  return { name: 'openshift-gitops', stop: () => queue.stop() };
}
