/**
 * The ExternalSecret reconcile: refresh policy and interval, provider data,
 * creation and deletion policies, the target Secret, and ESO's Ready
 * condition with a Warning Event (`UpdateFailed`) for each new failure.
 */
import { ApiError, KubeObject } from '../../kube/types';
import {
  Condition,
  WorkQueue,
  findCondition,
  keyOf,
  kubeTime,
  recordEvent,
  setCondition,
  splitKey,
  stableJson,
  startWorkQueue,
  writeStatus,
} from '../kit';
import {
  ANNOTATION_DATA_HASH,
  COMPONENT,
  CSS,
  ES,
  EsoRuntime,
  LABEL_MANAGED,
  MSG_DELETED,
  MSG_ERR_GET_DATA,
  MSG_ERR_IS_OWNED,
  MSG_ERR_UPDATE,
  MSG_MISSING,
  MSG_SYNCED,
  MSG_SYNCED_RETAIN,
  NAMESPACE,
  SECRET,
  SS,
  StoreRef,
  errorText,
  md5,
} from './model';
import { operandWatches } from './operatorConfig';
import { providerData } from './provider';
import { desiredSecret, strip } from './target';

/** Go `time.ParseDuration` for the units ESO documents; undefined if invalid. */
export function parseGoDuration(text: string | undefined): number | undefined {
  if (text === undefined || text === null) return undefined;
  const s = String(text).trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) return undefined;
    total += parseFloat(m[1]) * units[m[2]];
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

/** ESO's `getResourceVersion`: generation plus a hash of labels and annotations. */
function syncedResourceVersion(es: KubeObject): string {
  const meta = {
    annotations: es.metadata.annotations ?? {},
    labels: es.metadata.labels ?? {},
  };
  return `${es.metadata.generation ?? 1}-${md5(stableJson(meta))}`;
}

const refreshIntervalOf = (es: KubeObject) => {
  const raw = (es.spec as { refreshInterval?: string })?.refreshInterval;
  const parsed =
    raw === undefined ? 3_600_000 : parseGoDuration(raw) ?? 3_600_000;
  return parsed;
};

/** Starts the work queue of the ExternalSecrets. */
export function startExternalSecretQueue(rt: EsoRuntime): WorkQueue {
  const { ctx } = rt;
  const { store: kube, profile } = ctx;
  const refreshCapMs = profile.esoReconcileMs * 20;
  // Last failure detail per ExternalSecret uid, to record an Event once.
  const failureEvents = new Map<string, string>();

  const markFailed = (es: KubeObject, message: string, cause: unknown) => {
    const detail = errorText(cause);
    const previous = findCondition(es, 'Ready');
    writeStatus(
      kube,
      { ...ES, namespace: es.metadata.namespace, name: es.metadata.name },
      current => {
        const status = (current.status ?? {}) as Record<string, unknown>;
        return {
          ...status,
          conditions: setCondition(status.conditions as Condition[], {
            type: 'Ready',
            status: 'False',
            reason: 'SecretSyncedError',
            message,
          }),
        };
      },
    );
    const signature = `${es.metadata.uid}|${detail}`;
    if (
      previous?.reason !== 'SecretSyncedError' ||
      failureEvents.get(es.metadata.uid!) !== signature
    ) {
      failureEvents.set(es.metadata.uid!, signature);
      recordEvent(kube, es, 'Warning', 'UpdateFailed', detail, COMPONENT);
      ctx.log(
        `external-secrets: ExternalSecret ${keyOf(es)} not synced: ${detail}`,
      );
    }
  };
  const markDone = (
    es: KubeObject,
    start: Date,
    reason: string,
    message: string,
    binding?: string,
  ) => {
    writeStatus(
      kube,
      { ...ES, namespace: es.metadata.namespace, name: es.metadata.name },
      current => {
        const status = (current.status ?? {}) as Record<string, unknown>;
        return {
          ...status,
          conditions: setCondition(status.conditions as Condition[], {
            type: 'Ready',
            status: 'True',
            reason,
            message,
          }),
          refreshTime: kubeTime(start),
          syncedResourceVersion: syncedResourceVersion(current),
          ...(binding ? { binding: { name: binding } } : {}),
        };
      },
    );
    failureEvents.delete(es.metadata.uid!);
  };

  const reconcileExternalSecret = async (
    key: string,
  ): Promise<number | void> => {
    const { namespace, name } = splitKey(key);
    const es = kube.get({ ...ES, namespace, name });
    if (!es || es.metadata.deletionTimestamp || !rt.operandRunning()) {
      return undefined;
    }
    const start = new Date();
    const spec = (es.spec ?? {}) as {
      refreshPolicy?: string;
      target?: {
        name?: string;
        creationPolicy?: string;
        deletionPolicy?: string;
      };
    };
    const secretName = spec.target?.name ?? name;
    const existing = kube.get({ ...SECRET, namespace, name: secretName });
    const status = (es.status ?? {}) as {
      refreshTime?: string;
      syncedResourceVersion?: string;
    };
    const interval = refreshIntervalOf(es);
    const effective = interval > 0 ? Math.min(interval, refreshCapMs) : 0;
    const ready = findCondition(es, 'Ready');
    const upToDate =
      ready?.status === 'True' &&
      status.syncedResourceVersion === syncedResourceVersion(es);
    const secretValid =
      existing?.metadata.labels?.[LABEL_MANAGED] === 'true' &&
      existing.metadata.annotations?.[ANNOTATION_DATA_HASH] ===
        md5(stableJson(existing.data ?? {}));
    const policy = spec.refreshPolicy ?? 'Periodic';
    const creationPolicy = spec.target?.creationPolicy ?? 'Owner';
    const needsSecret = creationPolicy !== 'None' && creationPolicy !== 'Merge';
    if (upToDate && (secretValid || !needsSecret)) {
      if (policy !== 'Periodic' || effective === 0) return undefined;
      const since = Date.now() - (Date.parse(status.refreshTime ?? '') || 0);
      if (since < effective) return effective - since;
    }
    if (policy === 'CreatedOnce' && upToDate && existing) return undefined;

    let data: Record<string, string>;
    try {
      data = await providerData(rt, es);
    } catch (e) {
      if (rt.stopped()) return undefined;
      markFailed(es, MSG_ERR_GET_DATA, e);
      return profile.esoReconcileMs * 10;
    }
    if (rt.stopped()) return undefined;
    const latest = kube.get({ ...ES, namespace, name });
    if (!latest || latest.metadata.uid !== es.metadata.uid) return undefined;

    const deletionPolicy = spec.target?.deletionPolicy ?? 'Retain';
    if (Object.keys(data).length === 0 && deletionPolicy !== 'Merge') {
      if (deletionPolicy === 'Delete') {
        if (creationPolicy !== 'Owner') {
          markFailed(
            latest,
            'could not delete secret',
            new Error(
              `unable to delete secret ${secretName}: creationPolicy=${creationPolicy} is not Owner`,
            ),
          );
          return undefined;
        }
        if (existing) {
          try {
            kube.delete({ ...SECRET, namespace, name: secretName });
          } catch {
            // already gone
          }
        }
        markDone(latest, start, 'SecretDeleted', MSG_DELETED);
        return effective || undefined;
      }
      markDone(latest, start, 'SecretSynced', MSG_SYNCED_RETAIN);
      return effective || undefined;
    }

    try {
      const current = kube.get({ ...SECRET, namespace, name: secretName });
      const owner = current?.metadata.ownerReferences?.find(r => r.controller);
      if (
        owner &&
        owner.kind === 'ExternalSecret' &&
        owner.name !== latest.metadata.name
      ) {
        markFailed(
          latest,
          MSG_ERR_IS_OWNED,
          new Error(`secret is owned by another ExternalSecret: ${owner.name}`),
        );
        return undefined;
      }
      if (creationPolicy === 'None') {
        markDone(latest, start, 'SecretSynced', MSG_SYNCED);
        return effective || undefined;
      }
      if (creationPolicy === 'Merge' && !current) {
        markDone(latest, start, 'SecretMissing', MSG_MISSING);
        return effective || undefined;
      }
      let desired = desiredSecret(latest, data, current);
      if (creationPolicy === 'Merge' && current) {
        desired = {
          ...desired,
          data: {
            ...((current.data ?? {}) as Record<string, string>),
            ...(desired.data as object),
          },
        };
        desired.metadata.annotations![ANNOTATION_DATA_HASH] = md5(
          stableJson(desired.data),
        );
      }
      const fieldManager = `externalsecrets.external-secrets.io/${latest.metadata.name}`;
      if (!current) {
        kube.create(desired, { fieldManager });
        recordEvent(
          kube,
          latest,
          'Normal',
          'Created',
          'secret created',
          COMPONENT,
        );
        ctx.log(`external-secrets: created secret ${namespace}/${secretName}`);
      } else if (stableJson(strip(current)) !== stableJson(strip(desired))) {
        kube.update(desired, { fieldManager });
        recordEvent(
          kube,
          latest,
          'Normal',
          'Updated',
          'secret updated',
          COMPONENT,
        );
        ctx.log(`external-secrets: updated secret ${namespace}/${secretName}`);
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) return 0;
      markFailed(latest, MSG_ERR_UPDATE, e);
      return profile.esoReconcileMs * 10;
    }
    markDone(latest, start, 'SecretSynced', MSG_SYNCED, secretName);
    return effective || undefined;
  };

  const esKeysForStore = (store: KubeObject) =>
    kube
      .list(ES.apiVersion, ES.kind, {
        namespace:
          store.kind === 'SecretStore' ? store.metadata.namespace : undefined,
      })
      .filter(es => {
        const ref = (es.spec as { secretStoreRef?: Partial<StoreRef> })
          ?.secretStoreRef;
        return (
          (ref?.kind ?? 'SecretStore') === store.kind &&
          ref?.name === store.metadata.name
        );
      })
      .map(keyOf);

  return startWorkQueue({
    ctx,
    name: 'external-secrets',
    watches: [
      { ...ES, keys: (o, t) => (t === 'DELETED' ? [] : [keyOf(o)]) },
      { ...SS, keys: esKeysForStore },
      { ...CSS, keys: esKeysForStore },
      {
        ...SECRET,
        keys: o =>
          kube
            .list(ES.apiVersion, ES.kind, { namespace: o.metadata.namespace })
            .filter(
              es =>
                ((es.spec as { target?: { name?: string } })?.target?.name ??
                  es.metadata.name) === o.metadata.name,
            )
            .map(keyOf),
      },
      {
        ...NAMESPACE,
        keys: o =>
          kube
            .list(ES.apiVersion, ES.kind, { namespace: o.metadata.name })
            .map(keyOf),
      },
      ...operandWatches(kube, () =>
        kube.list(ES.apiVersion, ES.kind).map(keyOf),
      ),
    ],
    listKeys: () => kube.list(ES.apiVersion, ES.kind).map(keyOf),
    resyncMs: refreshCapMs,
    reconcile: reconcileExternalSecret,
  });
}
