/**
 * Simulated Cluster Logging Operator 6.x (observability.openshift.io/v1
 * ClusterLogForwarder).
 *
 * Validation and status follow CLO's reconciler
 * (openshift/cluster-logging-operator `internal/controller/observability/
 * clusterlogforwarder_controller.go`, `internal/validations/observability/`,
 * `api/observability/v1/conditions.go`):
 * - `observability.openshift.io/Authorized`: the service account exists
 *   (else `ServiceAccountDoesNotExist` with the API's NotFound message) and
 *   may collect every log type its pipelines use (`ClusterRolesExist`,
 *   "permitted to collect log types: [...]", else `ClusterRoleMissing`,
 *   "insufficient permissions on service account, not authorized to collect
 *   [...] logs"). CLO asks a SubjectAccessReview; the sandbox has no RBAC
 *   evaluation, so a type counts as permitted when a ClusterRoleBinding
 *   binds the service account to CLO's `collect-<type>-logs` ClusterRole
 *   (or to `cluster-admin`), which is how the product grants it.
 * - `inputConditions`, `outputConditions`, `pipelineConditions`:
 *   `observability.openshift.io/ValidInput-<name>` etc., `ValidationSuccess`
 *   ("input \"x\" is valid") or `ValidationFailure` with CLO's messages
 *   (missing Secret/ConfigMap references, "refs not found: ...").
 *   OpenShift injects the ConfigMaps `openshift-service-ca.crt` and
 *   `kube-root-ca.crt` into every namespace, so they count as present.
 * - `observability.openshift.io/Valid`: `ValidationSuccess`, or
 *   `ValidationFailure` "one or more of inputs, outputs, pipelines, filters
 *   have a validation failure".
 * - `Ready`: `ReconciliationComplete` once valid for
 *   `profile.forwarderReadyMs` (the collector rolling out), `Unknown` /
 *   `UnknownState` meanwhile, `False` / `ValidationFailure` when invalid,
 *   `Unknown` / `ManagementStateUnmanaged` when unmanaged.
 *
 * Not upstream, by design: an output of `type: lokiStack` is only valid
 * while its target LokiStack exists and is Ready (message `lokistack
 * "<ns>/<name>" is not ready` / `... not found`). The real CLO does not look
 * at the LokiStack; its collector would fail to deliver instead, which a
 * status does not show. Which namespaces are collected is not a CLO status
 * field: the status names the log types (Authorized) and each input
 * (inputConditions); the namespaces follow from the spec (see
 * {@link collectedNamespaces}).
 *
 * Simplified: filters are not validated (every filter is valid); the
 * collector DaemonSet, its ConfigMap and Service are not created.
 */
import { KubeObject } from '../kube/types';
import {
  Condition,
  findCondition,
  keyOf,
  refOf,
  setCondition,
  startWorkQueue,
  writeStatus,
} from './kit';
import { Controller, ControllerContext } from './types';

const CLF = {
  apiVersion: 'observability.openshift.io/v1',
  kind: 'ClusterLogForwarder',
};
const LOKI = { apiVersion: 'loki.grafana.com/v1', kind: 'LokiStack' };
const GROUP = 'observability.openshift.io';
const RESERVED_INPUTS = ['application', 'infrastructure', 'audit'];
/** CLO's pattern of infrastructure namespaces. */
export const INFRA_NAMESPACES = /^default$|^openshift.*$|^kube.*$/;
const INJECTED_CONFIGMAPS: Record<string, string> = {
  'openshift-service-ca.crt': 'service-ca.crt',
  'kube-root-ca.crt': 'ca.crt',
};

interface InputSpec {
  name: string;
  type?: string;
  application?: {
    includes?: Array<{ namespace?: string; container?: string }>;
    excludes?: Array<{ namespace?: string; container?: string }>;
    selector?: unknown;
  } | null;
  infrastructure?: unknown;
  audit?: unknown;
  receiver?: { type?: string } | null;
}

interface ForwarderSpec {
  managementState?: string;
  serviceAccount?: { name?: string };
  inputs?: InputSpec[];
  outputs?: Array<{
    name: string;
    type?: string;
    lokiStack?: { target?: { name?: string; namespace?: string } };
    [key: string]: unknown;
  }>;
  filters?: Array<{ name: string }>;
  pipelines?: Array<{
    name: string;
    inputRefs?: string[];
    outputRefs?: string[];
    filterRefs?: string[];
  }>;
}

/** Go's `%q` of a string slice: `["a" "b"]`. */
const goQuoted = (list: string[]) =>
  `[${list.map(s => JSON.stringify(s)).join(' ')}]`;

/** CLO's `gatherPipelineInputs`: the log types the pipelines collect. */
export function collectedLogTypes(spec: ForwarderSpec): string[] {
  const refs = new Set<string>();
  const types = new Set<string>();
  for (const p of spec.pipelines ?? []) {
    for (const ref of p.inputRefs ?? []) {
      refs.add(ref);
      if (RESERVED_INPUTS.includes(ref)) types.add(ref);
    }
  }
  for (const input of spec.inputs ?? []) {
    if (!refs.has(input.name)) continue;
    if (input.type === 'application') {
      types.add('application');
      if (
        input.application?.includes?.some(i =>
          INFRA_NAMESPACES.test(i.namespace ?? ''),
        )
      ) {
        types.add('infrastructure');
      }
    } else if (input.type === 'infrastructure' || input.type === 'audit') {
      types.add(input.type);
    } else if (input.type === 'receiver' && input.receiver?.type === 'syslog') {
      types.add('infrastructure');
    }
  }
  return [...types].sort();
}

/** Glob of CLO's include/exclude namespace patterns (`*` wildcards). */
function globMatch(pattern: string, value: string) {
  return new RegExp(
    `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`,
  ).test(value);
}

/**
 * The namespaces whose container logs a forwarder collects, given the
 * cluster's namespaces: `application` is every non-infrastructure namespace
 * (narrowed by an input's includes/excludes), `infrastructure` the
 * `default`, `openshift*` and `kube*` ones. Label selectors are not
 * evaluated (an input with one counts as all its namespaces). For the
 * product's health card logic and tests; CLO has no such status field.
 */
export function collectedNamespaces(
  spec: ForwarderSpec,
  namespaces: string[],
): string[] {
  const out = new Set<string>();
  const referenced = new Set(
    (spec.pipelines ?? []).flatMap(p => p.inputRefs ?? []),
  );
  const inputs: InputSpec[] = [
    ...(spec.inputs ?? []).filter(i => referenced.has(i.name)),
    ...RESERVED_INPUTS.filter(r => referenced.has(r)).map(r => ({
      name: r,
      type: r,
    })),
  ];
  for (const input of inputs) {
    for (const ns of namespaces) {
      const infra = INFRA_NAMESPACES.test(ns);
      if (input.type === 'infrastructure' && infra) out.add(ns);
      if (input.type !== 'application') continue;
      const includes = input.application?.includes ?? [];
      const excludes = input.application?.excludes ?? [];
      const included = includes.length
        ? includes.some(i => globMatch(i.namespace ?? '*', ns))
        : !infra;
      const excluded = excludes.some(
        e => !e.container && e.namespace && globMatch(e.namespace, ns),
      );
      if (included && !excluded) out.add(ns);
    }
  }
  return [...out].sort();
}

/** Secret/ConfigMap references of an output (TLS and authentication). */
function configReferences(
  output: unknown,
): Array<{ kind: 'secret' | 'configmap'; name: string; key?: string }> {
  const refs: Array<{
    kind: 'secret' | 'configmap';
    name: string;
    key?: string;
  }> = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.configMapName === 'string') {
      refs.push({
        kind: 'configmap',
        name: o.configMapName,
        key: o.key as string,
      });
    } else if (typeof o.secretName === 'string') {
      refs.push({ kind: 'secret', name: o.secretName, key: o.key as string });
    }
    const secret = o.secret as { name?: string; key?: string } | undefined;
    if (secret && typeof secret.name === 'string') {
      refs.push({ kind: 'secret', name: secret.name, key: secret.key });
    }
    for (const [k, child] of Object.entries(o)) {
      if (k !== 'secret') walk(child);
    }
  };
  walk(output);
  return refs;
}

/** Starts the simulated Cluster Logging Operator. */
export function startClusterLoggingController(
  ctx: ControllerContext,
): Controller {
  const { store, profile } = ctx;
  let stopped = false;
  // When each forwarder (by uid) last became valid.
  const validSince = new Map<string, number>();

  const permitted = (namespace: string, sa: string, logType: string) =>
    store.list('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding').some(b => {
      const role = (b.roleRef as { name?: string } | undefined)?.name;
      if (role !== `collect-${logType}-logs` && role !== 'cluster-admin')
        return false;
      return ((b.subjects ?? []) as Array<Record<string, string>>).some(
        s =>
          s.kind === 'ServiceAccount' &&
          s.name === sa &&
          (s.namespace ?? '') === namespace,
      );
    });

  const configMessages = (namespace: string, output: unknown): string[] => {
    const messages: string[] = [];
    for (const ref of configReferences(output)) {
      const obj = store.get({
        apiVersion: 'v1',
        kind: ref.kind === 'secret' ? 'Secret' : 'ConfigMap',
        namespace,
        name: ref.name,
      });
      let data: Record<string, string> | undefined = obj
        ? ((obj.data ?? {}) as Record<string, string>)
        : undefined;
      if (!obj && ref.kind === 'configmap' && INJECTED_CONFIGMAPS[ref.name]) {
        data = { [INJECTED_CONFIGMAPS[ref.name]]: 'injected by OpenShift' };
      }
      if (!data) {
        messages.push(`${ref.kind}[${ref.name}] not found`);
      } else if (ref.key !== undefined) {
        if (!(ref.key in data)) {
          messages.push(`${ref.kind}[${ref.name}.${ref.key}] not found`);
        } else if (!data[ref.key]) {
          messages.push(`${ref.kind}[${ref.name}.${ref.key}] value is empty`);
        }
      }
    }
    return messages;
  };

  const reconcile = (key: string): number | void => {
    const ref = refOf(CLF.apiVersion, CLF.kind, key);
    const clf = store.get(ref);
    if (!clf || stopped) return undefined;
    const namespace = clf.metadata.namespace!;
    const spec = (clf.spec ?? {}) as ForwarderSpec;
    const uid = clf.metadata.uid!;
    const current = (clf.status ?? {}) as Record<string, unknown>;

    if (spec.managementState === 'Unmanaged') {
      validSince.delete(uid);
      writeStatus(store, ref, latest => {
        const s = (latest.status ?? {}) as Record<string, unknown>;
        return {
          ...s,
          conditions: setCondition(s.conditions as Condition[], {
            type: 'Ready',
            status: 'Unknown',
            reason: 'ManagementStateUnmanaged',
            message:
              'Updates are ignored when the managementState is Unmanaged',
          }),
        };
      });
      return undefined;
    }

    let conditions = (current.conditions ?? []) as Condition[];
    // Authorization (ValidatePermissions).
    const saName = spec.serviceAccount?.name ?? '';
    const sa = store.get({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace,
      name: saName,
    });
    const logTypes = collectedLogTypes(spec);
    let authorized: Condition;
    if (!sa) {
      authorized = {
        type: `${GROUP}/Authorized`,
        status: 'False',
        reason: 'ServiceAccountDoesNotExist',
        message: `serviceaccounts "${saName}" not found`,
      };
    } else {
      const failed = logTypes.filter(t => !permitted(namespace, saName, t));
      const hasReceivers = (spec.inputs ?? []).some(i => i.type === 'receiver');
      if (logTypes.length === 0 && !hasReceivers) {
        authorized = {
          type: `${GROUP}/Authorized`,
          status: 'False',
          reason: 'ClusterRoleMissing',
          message:
            'There is an error in the input permission validation; no inputs were found to evaluate',
        };
      } else if (failed.length) {
        authorized = {
          type: `${GROUP}/Authorized`,
          status: 'False',
          reason: 'ClusterRoleMissing',
          message: `insufficient permissions on service account, not authorized to collect ${goQuoted(
            failed,
          )} logs`,
        };
      } else {
        authorized = {
          type: `${GROUP}/Authorized`,
          status: 'True',
          reason: 'ClusterRolesExist',
          message: `permitted to collect log types: [${logTypes.join(' ')}]`,
        };
      }
    }
    conditions = setCondition(conditions, authorized);

    // Inputs: the spec'd ones plus the reserved ones the pipelines use (CLO
    // adds those to the spec when it initializes the forwarder).
    const referencedInputs = new Set(
      (spec.pipelines ?? []).flatMap(p => p.inputRefs ?? []),
    );
    const inputs: InputSpec[] = [
      ...(spec.inputs ?? []),
      ...RESERVED_INPUTS.filter(
        r =>
          referencedInputs.has(r) &&
          !(spec.inputs ?? []).some(i => i.name === r),
      ).map(r => ({ name: r, type: r, [r]: {} })),
    ];
    const itemList = (
      previous: unknown,
      items: Array<{ type: string; ok: boolean; message: string }>,
    ): Condition[] => {
      let list = (Array.isArray(previous) ? previous : []) as Condition[];
      list = list.filter(c => items.some(i => i.type === c.type));
      for (const item of items) {
        list = setCondition(list, {
          type: item.type,
          status: item.ok ? 'True' : 'False',
          reason: item.ok ? 'ValidationSuccess' : 'ValidationFailure',
          message: item.message,
        });
      }
      return list;
    };
    const inputItems = inputs.map(input => {
      const type = input.type ?? '';
      const typed = (input as unknown as Record<string, unknown>)[type];
      const ok = !RESERVED_INPUTS.includes(type) || Boolean(typed);
      return {
        type: `${GROUP}/ValidInput-${input.name}`,
        ok,
        message: ok
          ? `input ${JSON.stringify(input.name)} is valid`
          : `${input.name} has nil ${type} spec`,
      };
    });
    const outputItems = (spec.outputs ?? []).map(output => {
      const messages = configMessages(namespace, output);
      if (output.type === 'lokiStack') {
        const target = output.lokiStack?.target ?? {};
        const id = `${target.namespace ?? namespace}/${target.name}`;
        const stack = store.get({
          ...LOKI,
          namespace: target.namespace ?? namespace,
          name: target.name ?? '',
        });
        if (!stack) messages.push(`lokistack ${JSON.stringify(id)} not found`);
        else if (findCondition(stack, 'Ready')?.status !== 'True') {
          messages.push(`lokistack ${JSON.stringify(id)} is not ready`);
        }
      }
      return {
        type: `${GROUP}/ValidOutput-${output.name}`,
        ok: messages.length === 0,
        message: messages.length
          ? messages.join(',')
          : `output ${JSON.stringify(output.name)} is valid`,
      };
    });
    const outputNames = new Set((spec.outputs ?? []).map(o => o.name));
    const inputNames = new Set(inputs.map(i => i.name));
    const filterNames = new Set((spec.filters ?? []).map(f => f.name));
    const pipelineItems = (spec.pipelines ?? []).map(p => {
      const missing = (refs: string[] | undefined, known: Set<string>) =>
        (refs ?? []).filter(r => !known.has(r));
      const parts: string[] = [];
      const mi = missing(p.inputRefs, inputNames);
      const mo = missing(p.outputRefs, outputNames);
      const mf = missing(p.filterRefs, filterNames);
      if (mi.length) parts.push(`inputs[${mi.join(' ')}]`);
      if (mo.length) parts.push(`outputs[${mo.join(' ')}]`);
      if (mf.length) parts.push(`filters[${mf.join(' ')}]`);
      return {
        type: `${GROUP}/ValidPipeline-${p.name}`,
        ok: parts.length === 0,
        message: parts.length
          ? `refs not found: ${parts.join(',')}`
          : `pipeline ${JSON.stringify(p.name)} is valid`,
      };
    });
    const filterItems = (spec.filters ?? []).map(f => ({
      type: `${GROUP}/ValidFilter-${f.name}`,
      ok: true,
      message: `filter ${JSON.stringify(f.name)} is valid`,
    }));

    const valid =
      authorized.status === 'True' &&
      [...inputItems, ...outputItems, ...pipelineItems].every(i => i.ok);
    conditions = setCondition(conditions, {
      type: `${GROUP}/Valid`,
      status: valid ? 'True' : 'False',
      reason: valid ? 'ValidationSuccess' : 'ValidationFailure',
      message: valid
        ? ''
        : 'one or more of inputs, outputs, pipelines, filters have a validation failure',
    });

    let requeue: number | undefined;
    let ready: Condition;
    if (!valid) {
      validSince.delete(uid);
      ready = {
        type: 'Ready',
        status: 'False',
        reason: 'ValidationFailure',
        message: '',
      };
    } else {
      const wasReady = findCondition(clf, 'Ready')?.status === 'True';
      if (!validSince.has(uid)) validSince.set(uid, wasReady ? 0 : Date.now());
      const remaining =
        validSince.get(uid)! + profile.forwarderReadyMs - Date.now();
      if (remaining > 0) {
        ready = {
          type: 'Ready',
          status: 'Unknown',
          reason: 'UnknownState',
          message: '',
        };
        requeue = remaining;
      } else {
        ready = {
          type: 'Ready',
          status: 'True',
          reason: 'ReconciliationComplete',
          message: '',
        };
      }
    }
    conditions = setCondition(conditions, ready);

    const previousReady = findCondition(clf, 'Ready');
    writeStatus(store, ref, latest => {
      const s = (latest.status ?? {}) as Record<string, unknown>;
      return {
        ...s,
        conditions,
        inputConditions: itemList(s.inputConditions, inputItems),
        outputConditions: itemList(s.outputConditions, outputItems),
        pipelineConditions: itemList(s.pipelineConditions, pipelineItems),
        ...(filterItems.length
          ? { filterConditions: itemList(s.filterConditions, filterItems) }
          : {}),
      };
    });
    if (
      previousReady?.status !== ready.status ||
      previousReady?.reason !== ready.reason
    ) {
      const failing = [...outputItems, ...pipelineItems, ...inputItems]
        .filter(i => !i.ok)
        .map(i => `${i.type.slice(GROUP.length + 1)}: ${i.message}`);
      ctx.log(
        `cluster-logging: ClusterLogForwarder ${key} Ready=${ready.status} (${
          ready.reason
        }${authorized.status !== 'True' ? `; ${authorized.message}` : ''}${
          failing.length ? `; ${failing.join('; ')}` : ''
        })`,
      );
    }
    return requeue;
  };

  const forwardersIn = (namespace?: string) =>
    store
      .list(CLF.apiVersion, CLF.kind, namespace ? { namespace } : {})
      .map(keyOf);
  const forwardersTargeting = (stack: KubeObject) =>
    store
      .list(CLF.apiVersion, CLF.kind)
      .filter(clf =>
        ((clf.spec as ForwarderSpec)?.outputs ?? []).some(
          o =>
            o.lokiStack?.target?.name === stack.metadata.name &&
            (o.lokiStack?.target?.namespace ?? clf.metadata.namespace) ===
              stack.metadata.namespace,
        ),
      )
      .map(keyOf);

  const queue = startWorkQueue({
    ctx,
    name: 'cluster-logging',
    watches: [
      {
        ...CLF,
        keys: (o, type) => {
          if (type === 'DELETED') {
            validSince.delete(o.metadata.uid!);
            return [];
          }
          return [keyOf(o)];
        },
      },
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        keys: o => forwardersIn(o.metadata.namespace),
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        keys: o => forwardersIn(o.metadata.namespace),
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        keys: o => forwardersIn(o.metadata.namespace),
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        keys: () => forwardersIn(),
      },
      { ...LOKI, keys: forwardersTargeting },
    ],
    listKeys: () => forwardersIn(),
    resyncMs: profile.forwarderReadyMs * 10,
    reconcile,
  });

  return {
    name: 'cluster-logging',
    stop() {
      stopped = true;
      queue.stop();
    },
  };
}
