/**
 * Whether a ClusterLogForwarder (observability.openshift.io/v1, Cluster
 * Logging 6) collects the container logs of a namespace, from its spec:
 *
 * - The reserved input `application` collects every namespace that is not
 *   an infrastructure namespace.
 * - The reserved input `infrastructure` collects the infrastructure
 *   namespaces (`default`, `openshift`, `openshift-*`, `kube-*`).
 * - A custom `type: application` input with `application.includes` collects
 *   the namespaces an include's glob matches (infrastructure namespaces only
 *   when the include names them, not through `*`), minus those a whole-
 *   namespace exclude matches; without includes it behaves as `application`
 *   minus its excludes.
 * - A custom `type: infrastructure` input collects the infrastructure
 *   namespaces when its sources include `container` (or are omitted).
 * - Only pipelines with at least one output count. Filters that drop
 *   records and label selectors are not evaluated: a namespace they narrow
 *   is still reported as collected.
 */

/**
 * Whether a namespace holds infrastructure logs (Cluster Logging's rule).
 *
 * @public
 */
export function isInfrastructureNamespace(namespace: string): boolean {
  return (
    namespace === 'default' ||
    namespace === 'openshift' ||
    namespace.startsWith('openshift-') ||
    namespace.startsWith('kube-')
  );
}

function glob(pattern: string): RegExp {
  const escaped = pattern
    .split('')
    .map(ch => {
      if (ch === '*') return '.*';
      if (ch === '?') return '.';
      return ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${escaped}$`);
}

type NamespaceContainer = { namespace?: string; container?: string };
type Input = {
  name?: string;
  type?: string;
  application?: {
    includes?: NamespaceContainer[];
    excludes?: NamespaceContainer[];
  };
  infrastructure?: { sources?: string[] };
};
type Forwarder = {
  spec?: {
    inputs?: Input[];
    pipelines?: Array<{
      name?: string;
      inputRefs?: string[];
      outputRefs?: string[];
    }>;
  };
};

function applicationInputCollects(input: Input, namespace: string): boolean {
  const includes = input.application?.includes ?? [];
  const excludes = input.application?.excludes ?? [];
  // An exclude limited to some containers leaves the rest of the namespace
  // collected.
  const excluded = excludes.some(
    e =>
      glob(e.namespace ?? '*').test(namespace) &&
      (e.container === undefined || e.container === '*'),
  );
  if (excluded) return false;
  if (includes.length === 0) return !isInfrastructureNamespace(namespace);
  return includes.some(i => {
    const pattern = i.namespace ?? '*';
    if (!glob(pattern).test(namespace)) return false;
    // "infrastructure namespaces are still excluded for "*" values unless a
    // qualifying glob pattern is specified" (the CRD's documentation).
    return !isInfrastructureNamespace(namespace) || pattern !== '*';
  });
}

/**
 * Whether the forwarder collects the namespace's container logs, and
 * through which pipeline and input.
 *
 * @public
 */
export function namespaceCollected(
  forwarder: Forwarder,
  namespace: string,
): { collected: boolean; via?: string } {
  const inputs = new Map(
    (forwarder.spec?.inputs ?? []).map(i => [i.name ?? '', i]),
  );
  const infra = isInfrastructureNamespace(namespace);
  for (const pipeline of forwarder.spec?.pipelines ?? []) {
    if (!pipeline.outputRefs?.length) continue;
    for (const ref of pipeline.inputRefs ?? []) {
      const input = inputs.get(ref);
      let collects = false;
      if (input) {
        if (input.type === 'application') {
          collects = applicationInputCollects(input, namespace);
        } else if (input.type === 'infrastructure') {
          const sources = input.infrastructure?.sources;
          collects =
            infra && (!sources?.length || sources.includes('container'));
        }
      } else if (ref === 'application') {
        collects = !infra;
      } else if (ref === 'infrastructure') {
        collects = infra;
      }
      if (collects) {
        return {
          collected: true,
          via: `pipeline ${pipeline.name ?? '(unnamed)'}, input ${ref}`,
        };
      }
    }
  }
  return { collected: false };
}
