/**
 * The status of SecretStores and ClusterSecretStores: validated against the
 * sandbox's AWS every `profile.esoReconcileMs` and at once when a Secret
 * their auth references changes; Ready (or why not) with an Event on each
 * transition.
 */
import { describeAwsError } from '../awsAccess';
import {
  Condition,
  WorkQueue,
  keyOf,
  recordEvent,
  setCondition,
  splitKey,
  startWorkQueue,
  writeStatus,
} from '../kit';
import { KubeObject } from '../../kube/types';
import {
  COMPONENT,
  CSS,
  EsoRuntime,
  MSG_STORE_VALIDATED,
  MSG_UNABLE_CREATE_CLIENT,
  SECRET,
  SS,
  StoreClientConfig,
} from './model';
import { operandWatches } from './operatorConfig';
import {
  allStores,
  getStore,
  isReferent,
  managedStore,
  referencedSecrets,
  storeClientConfig,
} from './storeConfig';

function readyCondition(
  status: 'True' | 'False',
  reason: string,
  message: string,
): Condition {
  return { type: 'Ready', status, reason, message };
}

/** A store's work-queue key: `<kind>:<namespace>/<name>`. */
const storeKey = (o: { kind: string; metadata: KubeObject['metadata'] }) =>
  `${o.kind}:${keyOf(o)}`;

const parseStoreKey = (key: string) => {
  const [kind, rest] = [
    key.slice(0, key.indexOf(':')),
    key.slice(key.indexOf(':') + 1),
  ];
  return { kind, ...splitKey(rest) };
};

/** Validates a store; returns its Ready condition (and an event detail). */
async function validateStore(
  rt: EsoRuntime,
  store: KubeObject,
): Promise<{ condition: Condition; detail?: string }> {
  if (isReferent(store)) {
    // Referent auth: secret refs without a namespace are resolved per
    // ExternalSecret, so ESO cannot validate the store up front
    // (ValidationResultUnknown) and reports it valid.
    return {
      condition: readyCondition('True', 'Valid', MSG_STORE_VALIDATED),
    };
  }
  let config: StoreClientConfig;
  try {
    config = storeClientConfig(rt.ctx.store, store, undefined);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return {
      condition: readyCondition(
        'False',
        'InvalidProviderConfig',
        MSG_UNABLE_CREATE_CLIENT,
      ),
      detail,
    };
  }
  try {
    await rt.access.authenticate(config.credentials, 'sts');
  } catch (e) {
    const detail = describeAwsError(e);
    return {
      condition: readyCondition(
        'False',
        'ValidationFailed',
        `unable to validate store: ${detail}`,
      ),
      detail,
    };
  }
  return { condition: readyCondition('True', 'Valid', MSG_STORE_VALIDATED) };
}

/** Starts the work queue of the stores' status. */
export function startSecretStoreQueue(rt: EsoRuntime): WorkQueue {
  const { ctx } = rt;
  const kube = ctx.store;
  // Last Ready status per store uid, to record an Event on transitions only.
  const storeEvents = new Map<string, string>();

  const reconcileStore = async (key: string) => {
    const { kind, namespace, name } = parseStoreKey(key);
    const store = getStore(kube, kind, name, namespace);
    if (!store || !managedStore(store) || !rt.operandRunning()) return;
    const { condition, detail } = await validateStore(rt, store);
    if (rt.stopped()) return;
    const written = writeStatus(
      kube,
      { apiVersion: store.apiVersion, kind, namespace, name },
      current => {
        const status = (current.status ?? {}) as Record<string, unknown>;
        return {
          ...status,
          capabilities: 'ReadWrite',
          conditions: setCondition(status.conditions as Condition[], condition),
        };
      },
    );
    const uid = store.metadata.uid!;
    const signature = `${condition.status}|${condition.reason}|${detail ?? ''}`;
    if (written && storeEvents.get(uid) !== signature) {
      storeEvents.set(uid, signature);
      recordEvent(
        kube,
        written,
        condition.status === 'True' ? 'Normal' : 'Warning',
        condition.reason,
        detail ?? condition.message,
        COMPONENT,
      );
      ctx.log(
        `external-secrets: ${kind} ${keyOf(written)} Ready=${
          condition.status
        } (${condition.reason}${detail ? `: ${detail}` : ''})`,
      );
    }
  };

  return startWorkQueue({
    ctx,
    name: 'external-secrets-stores',
    watches: [
      { ...SS, keys: (o, t) => (t === 'DELETED' ? [] : [storeKey(o)]) },
      { ...CSS, keys: (o, t) => (t === 'DELETED' ? [] : [storeKey(o)]) },
      {
        ...SECRET,
        keys: o => {
          const id = `${o.metadata.namespace}/${o.metadata.name}`;
          return allStores(kube)
            .filter(s =>
              referencedSecrets(s).some(
                r => r === id || r === `*/${o.metadata.name}`,
              ),
            )
            .map(storeKey);
        },
      },
      ...operandWatches(kube, () => allStores(kube).map(storeKey)),
    ],
    listKeys: () => allStores(kube).map(storeKey),
    resyncMs: ctx.profile.esoReconcileMs,
    reconcile: reconcileStore,
  });
}
