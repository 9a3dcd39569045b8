/**
 * The target Secret of an ExternalSecret: provider data through
 * `target.template`, ESO's labels, owner reference and data hash.
 */
import { KubeObject } from '../../kube/types';
import { stableJson } from '../kit';
import { ANNOTATION_DATA_HASH, LABEL_MANAGED, LABEL_OWNER, md5 } from './model';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Renders `target.template.data` values whose actions are `{{ .key }}` lookups. */
function renderTemplate(text: string, data: Record<string, string>): string {
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, action: string) => {
    const lookup = /^\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action.trim());
    if (!lookup) {
      throw new Error(
        `could not apply template: the sandbox supports only {{ .key }} lookups, not {{ ${action} }}`,
      );
    }
    const value = data[lookup[1]];
    if (value === undefined) {
      throw new Error(
        `could not apply template: could not execute template: map has no entry for key "${lookup[1]}"`,
      );
    }
    return value;
  });
}

/** The Secret an ExternalSecret should produce from provider data. */
export function desiredSecret(
  es: KubeObject,
  data: Record<string, string>,
  existing: KubeObject | undefined,
): KubeObject {
  const target = ((es.spec as { target?: Record<string, unknown> })?.target ??
    {}) as {
    name?: string;
    creationPolicy?: string;
    template?: {
      type?: string;
      metadata?: {
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
      mergePolicy?: string;
      data?: Record<string, string>;
      templateFrom?: unknown[];
    };
    immutable?: boolean;
  };
  const template = target.template;
  if (template?.templateFrom?.length) {
    throw new Error(
      'could not apply template: templateFrom is not simulated by the sandbox',
    );
  }
  let out = data;
  if (template?.data) {
    const rendered: Record<string, string> = {};
    for (const [k, v] of Object.entries(template.data)) {
      rendered[k] = renderTemplate(String(v), data);
    }
    out =
      template.mergePolicy === 'Merge' ? { ...data, ...rendered } : rendered;
  }
  const name = target.name ?? es.metadata.name;
  const owner = (target.creationPolicy ?? 'Owner') === 'Owner';
  const base = existing ?? {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: es.metadata.namespace },
  };
  const labels: Record<string, string> = {
    ...(base.metadata.labels ?? {}),
    ...(template?.metadata?.labels ?? {}),
    [LABEL_MANAGED]: 'true',
  };
  if (owner)
    labels[LABEL_OWNER] = md5(`${es.metadata.namespace}/${es.metadata.name}`);
  else delete labels[LABEL_OWNER];
  const encoded = Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, b64(v)]),
  );
  const ownerRefs = (base.metadata.ownerReferences ?? []).filter(
    r =>
      !(
        r.kind === 'ExternalSecret' &&
        r.apiVersion.startsWith('external-secrets.io/')
      ),
  );
  if (owner) {
    ownerRefs.push({
      apiVersion: es.apiVersion,
      kind: 'ExternalSecret',
      name: es.metadata.name,
      uid: es.metadata.uid!,
      controller: true,
      blockOwnerDeletion: true,
    } as (typeof ownerRefs)[number]);
  }
  const secret: KubeObject = {
    ...base,
    metadata: {
      ...base.metadata,
      labels,
      annotations: {
        ...(base.metadata.annotations ?? {}),
        ...(template?.metadata?.annotations ?? {}),
        [ANNOTATION_DATA_HASH]: md5(stableJson(encoded)),
      },
      ...(ownerRefs.length ? { ownerReferences: ownerRefs } : {}),
    },
    type: template?.type ?? (base.type as string | undefined) ?? 'Opaque',
    data: encoded,
    ...(target.immutable ? { immutable: true } : {}),
  };
  if (!owner && !ownerRefs.length) delete secret.metadata.ownerReferences;
  return secret;
}

/** A Secret without server-managed metadata, for change detection. */
export function strip(o: KubeObject) {
  const {
    resourceVersion,
    managedFields,
    generation,
    uid,
    creationTimestamp,
    ...meta
  } = o.metadata;
  return { ...o, metadata: meta };
}
