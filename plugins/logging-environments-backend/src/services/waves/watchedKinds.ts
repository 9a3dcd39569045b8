/**
 * What the wave view watches on each cluster, and how an Application is
 * told apart: the kinds, the selector, the tracking annotation and label,
 * the default mapping to an environment entity, and what of an object
 * counts as a change.
 */
import { stringifyEntityRef } from '@backstage/catalog-model';
import { ENVIRONMENT_LABEL } from '@internal/plugin-logging-environments-common';
import { CachedObject, WatchedKind } from './InformerCache';

/** The label every Application of the plugin carries (the template sets it). */
export const PART_OF_SELECTOR =
  'app.kubernetes.io/part-of=logging-environments';

/** Argo CD's annotation-based resource tracking (`<app>:<group>/<kind>:<ns>/<name>`). */
export const TRACKING_ID_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Argo CD's label-based resource tracking (the app's name). */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/** What the service knows about an Application when mapping it to an environment. */
export interface ApplicationIdentity {
  cluster: string;
  namespace?: string;
  name: string;
  labels: Record<string, string>;
}

/**
 * The default mapping from an Application to its environment entity:
 * `resource:default/<value of logging-environments.io/environment>`.
 *
 * @remarks
 * The template writes the environment's catalog entity without a namespace
 * and names it after the environment, and labels both Applications with
 * that name; an adopter whose entities live elsewhere passes their own
 * resolver.
 */
export function defaultEnvironmentRef(
  app: ApplicationIdentity,
): string | undefined {
  const name = app.labels[ENVIRONMENT_LABEL];
  return name
    ? stringifyEntityRef({ kind: 'resource', namespace: 'default', name })
    : undefined;
}

/** The kinds the portal shows, watched on every cluster. */
export const WATCHED: readonly WatchedKind[] = [
  {
    id: 'applications',
    group: 'argoproj.io',
    version: 'v1alpha1',
    plural: 'applications',
    kind: 'Application',
    labelSelector: PART_OF_SELECTOR,
  },
  {
    id: 'lokistacks',
    group: 'loki.grafana.com',
    version: 'v1',
    plural: 'lokistacks',
    kind: 'LokiStack',
  },
  {
    id: 'clusterlogforwarders',
    group: 'observability.openshift.io',
    version: 'v1',
    plural: 'clusterlogforwarders',
    kind: 'ClusterLogForwarder',
  },
];

/** What of an object matters to the portal (not resourceVersion, not reconciledAt). */
export function fingerprint(o: CachedObject): string {
  const { reconciledAt: _r, observedAt: _o, ...status } = o.status ?? {};
  return JSON.stringify([
    o.metadata?.labels,
    o.metadata?.annotations?.[TRACKING_ID_ANNOTATION],
    o.spec,
    o.operation,
    status,
  ]);
}
